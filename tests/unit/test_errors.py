"""The error tree: stable machine codes, Retry-After, messages people read."""

from __future__ import annotations

import re

import pytest

from otpgate.domain import errors
from otpgate.domain.errors import (
    ChallengeError,
    InvalidCode,
    InvalidInput,
    OtpgateError,
    PermanentDeliveryError,
    RateLimited,
    ResendTooSoon,
    Throttled,
)


def all_error_classes() -> list[type[OtpgateError]]:
    found: list[type[OtpgateError]] = []
    pending: list[type[OtpgateError]] = [OtpgateError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return [cls for cls in found if cls.__module__ == errors.__name__]


ERRORS = all_error_classes()


def test_every_error_has_its_own_stable_code() -> None:
    assert len(ERRORS) >= 20
    codes = [cls.code for cls in ERRORS]
    assert len(codes) == len(set(codes)), sorted(codes)
    for cls in ERRORS:
        # Declared on the class itself, not inherited by accident.
        assert "code" in vars(cls), cls.__name__
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", cls.code), cls.code
        assert cls.title


def test_codes_match_the_documented_tree() -> None:
    doc = errors.__doc__ or ""
    for cls in ERRORS:
        if cls in (OtpgateError, ChallengeError, Throttled):
            continue  # abstract branches, documented without a code
        assert re.search(rf"{cls.__name__}\s+{cls.code}\b", doc), cls.__name__


def test_every_error_module_class_is_in_the_tree() -> None:
    public = {
        obj
        for obj in vars(errors).values()
        if isinstance(obj, type)
        and issubclass(obj, Exception)
        and obj.__module__ == errors.__name__
    }
    assert public == set(ERRORS)


@pytest.mark.parametrize(("given", "expected"), [(0, 1), (-10, 1), (1, 1), (30, 30), (3600, 3600)])
def test_retry_after_is_at_least_one(given: int, expected: int) -> None:
    for cls in (Throttled, RateLimited, ResendTooSoon, errors.CodeLockout):
        assert cls(given).retry_after == expected


def test_retry_after_with_detail() -> None:
    exc = ResendTooSoon(12, "Wait 12 seconds.")
    assert exc.retry_after == 12
    assert exc.detail == "Wait 12 seconds."
    assert str(exc) == "Wait 12 seconds."


def test_detail_defaults_to_title() -> None:
    exc = RateLimited(5)
    assert exc.detail == RateLimited.title
    assert errors.NotFound().detail == errors.NotFound.title


@pytest.mark.parametrize(
    ("remaining", "text"),
    [
        (0, "0 tries left."),
        (1, "1 try left."),
        (2, "2 tries left."),
        (4, "4 tries left."),
    ],
)
def test_invalid_code_says_tries_left(remaining: int, text: str) -> None:
    exc = InvalidCode(remaining)
    assert exc.attempts_remaining == remaining
    assert exc.detail == f"That code is not right. {text}"
    assert isinstance(exc, ChallengeError)


def test_invalid_input_names_its_field() -> None:
    exc = InvalidInput("email", "Enter a valid email address.")
    assert exc.field == "email"
    assert exc.detail == "Enter a valid email address."
    assert exc.code == "validation_error"


@pytest.mark.parametrize(
    "cls",
    [
        errors.ChallengeExpired,
        errors.ChallengeFailed,
        errors.ChallengeUsed,
        errors.ChallengeCanceled,
        errors.ResendLimitReached,
    ],
)
def test_challenge_errors_explain_themselves(cls: type[ChallengeError]) -> None:
    exc = cls()
    assert isinstance(exc, ChallengeError)
    assert exc.detail.endswith(".")
    assert exc.detail != cls.title


def test_hierarchy() -> None:
    assert issubclass(errors.ChallengeNotFound, errors.NotFound)
    assert issubclass(errors.EmailUnavailable, errors.Conflict)
    assert issubclass(PermanentDeliveryError, errors.DeliveryError)
    for cls in ERRORS:
        assert issubclass(cls, OtpgateError)
