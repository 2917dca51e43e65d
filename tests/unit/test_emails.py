"""Email addresses: canonical form, refusals, throttling key, masking."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from otpgate.domain.emails import MAX_EMAIL_LENGTH, mask_email, normalize_email, throttle_key
from otpgate.domain.errors import InvalidInput
from tests.unit.props import PROPS


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("alice@example.com", "alice@example.com"),
        ("Alice@Example.COM", "alice@example.com"),
        ("  ALICE@EXAMPLE.COM \n", "alice@example.com"),
        ("alice.smith+shop@mail.example.org", "alice.smith+shop@mail.example.org"),
        ("José@Example.com", "josé@example.com"),
    ],
)
def test_normalize_email(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Enter your email address"),
        ("   ", "Enter your email address"),
        ("alice", "valid email address"),
        ("alice@", "valid email address"),
        ("@example.com", "valid email address"),
        ("alice@@example.com", "valid email address"),
        ("alice@example", "valid email address"),
        ("alice example@example.com", "valid email address"),
        ("alice@localhost", "valid email address"),
        ("a" * 250 + "@example.com", "too long"),
    ],
)
def test_invalid_addresses_are_refused_on_the_email_field(raw: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        normalize_email(raw)
    assert caught.value.field == "email"
    assert caught.value.code == "validation_error"


def test_field_name_is_passed_through() -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_email("nope", field="new_email")
    assert caught.value.field == "new_email"


@PROPS
@given(raw=st.emails())
def test_normalize_is_idempotent_and_lower_case(raw: str) -> None:
    try:
        normalized = normalize_email(raw)
    except InvalidInput as exc:
        assert exc.field == "email"
        return
    assert normalized == normalized.lower()
    assert len(normalized) <= MAX_EMAIL_LENGTH
    assert normalize_email(normalized) == normalized
    if raw.isascii():
        assert normalize_email(raw.upper()) == normalized


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Alice@Example.COM", "alice@example.com"),
        ("  Alice@Example.COM  ", "alice@example.com"),
        ("Not An Email", "not an email"),
        ("", ""),
        ("@@", "@@"),
    ],
)
def test_throttle_key_folds_without_validating(raw: str, expected: str) -> None:
    assert throttle_key(raw) == expected


def test_throttle_key_is_bounded() -> None:
    assert len(throttle_key("A" * 10_000)) == MAX_EMAIL_LENGTH


@PROPS
@given(raw=st.text(max_size=300))
def test_throttle_key_never_fails_and_ignores_case_and_padding(raw: str) -> None:
    key = throttle_key(raw)
    assert len(key) <= MAX_EMAIL_LENGTH
    assert throttle_key(f"  {raw}\t") == key
    if raw.isascii():
        assert throttle_key(raw.upper()) == key


def test_known_and_unknown_addresses_share_a_throttle_key_form() -> None:
    # Valid or not, the same address typed two ways is throttled as one.
    assert throttle_key("ALICE@example.com") == throttle_key("alice@EXAMPLE.com ")
    assert throttle_key("ALICE@example.com") == normalize_email("ALICE@example.com")


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("alice@example.com", "a•••@example.com"),
        ("b@example.org", "b•••@example.org"),
        ("josé@example.com", "j•••@example.com"),
    ],
)
def test_mask_email(email: str, masked: str) -> None:
    assert mask_email(email) == masked


def test_mask_email_hides_the_length_of_the_local_part() -> None:
    assert len(mask_email("al@example.com")) == len(mask_email("alexandria@example.com"))
