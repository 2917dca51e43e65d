"""Domain rules of the verification API: summaries, canonical details, webhook data."""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from otpgate.domain.accounts import EventType, SecurityEvent
from otpgate.domain.errors import InvalidInput
from otpgate.domain.verifications import (
    approval_claims,
    canonical_details,
    check_locale,
    details_sha256,
    number_subject,
    reduce_summary,
    sms_text,
)
from otpgate.domain.webhook_events import ALLOWED, webhook_body, webhook_data


@given(st.text(max_size=300))
def test_a_reduced_summary_is_one_printable_line_without_quotes_or_is_refused(raw: str) -> None:
    """S41: whatever a shop sends, what reaches an SMS is one line of printable characters
    that cannot close our quotes, at most 120 characters."""
    try:
        reduced = reduce_summary(raw)
    except InvalidInput as exc:
        assert exc.field == "summary"
        return
    assert len(reduced) <= 120
    assert '"' not in reduced
    assert all(unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp") for ch in reduced)
    assert reduced == reduced.strip() and "  " not in reduced


def test_summaries_are_never_cut() -> None:
    """S42: too long is refused, never shortened."""
    assert reduce_summary("a" * 120) == "a" * 120
    with pytest.raises(InvalidInput):
        reduce_summary("a" * 121)


@pytest.mark.parametrize("raw", ["a\nb", "a\rb", "a\u2028b", "a\u2029b", "a\x85b", "a\x0bb"])
def test_line_breaks_are_refused(raw: str) -> None:
    with pytest.raises(InvalidInput):
        reduce_summary(raw)


def test_the_sms_text_quotes_the_summary_or_says_something_neutral() -> None:
    assert sms_text("Pay €5 to Bob") == '"Pay €5 to Bob"'
    assert sms_text("") == "confirm it's you"
    assert reduce_summary(None) == ""


@given(st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8), max_size=8))
def test_canonical_details_do_not_depend_on_key_order(details: dict[str, object]) -> None:
    reordered = dict(reversed(list(details.items())))
    assert canonical_details(details) == canonical_details(reordered)


def test_canonical_details_are_sorted_compact_utf8() -> None:
    canonical = canonical_details({"payee": "Jürgen", "amount": "1.00"})
    assert canonical == '{"amount":"1.00","payee":"Jürgen"}'
    assert details_sha256(canonical) == hashlib.sha256(canonical.encode()).hexdigest()
    assert canonical_details(None) == "{}"
    with pytest.raises(InvalidInput):
        canonical_details({"x": float("nan")})
    with pytest.raises(InvalidInput):
        canonical_details({"x": "é" * 2100})  # 4200 bytes in UTF-8


def test_locales_are_language_tags() -> None:
    assert check_locale("pt-BR") == "pt-BR"
    assert check_locale(None) is None
    with pytest.raises(InvalidInput):
        check_locale("en_US; drop")


def test_the_claims_are_exactly_design_5_2() -> None:
    at = datetime(2026, 11, 25, 19, 35, tzinfo=UTC)
    claims = approval_claims(
        issuer="https://shop.example",
        api_key_id="key_1",
        subject=number_subject("+14155552671"),
        token_id="t1",
        verification_id="ver_1",
        summary="Pay",
        details_hash="ab",
        issued_at=at,
    )
    assert set(claims) == {
        "iss", "aud", "sub", "jti", "iat", "exp", "verification_id", "summary",
        "details_sha256", "amr",
    }  # fmt: skip
    assert claims["exp"] - claims["iat"] == 300 and claims["amr"] == ["sms"]
    assert claims["sub"] == hashlib.sha256(b"+14155552671").hexdigest()


@given(st.dictionaries(st.text(min_size=1, max_size=12), st.text(max_size=12), max_size=10))
def test_webhook_data_holds_only_allowed_details(details: dict[str, str]) -> None:
    """S50: a detail that is not on the event type's allow-list never reaches a webhook."""
    for kind in EventType:
        event = SecurityEvent(type=kind, outcome="ok", details={**details, "code": "123456"})
        data = webhook_data(event)
        assert set(data) - {"outcome", "ip", "user_agent"} <= set(ALLOWED[kind])
        assert "code" not in data and "password" not in data and "token" not in data


def test_every_event_type_has_an_allow_list() -> None:
    assert set(ALLOWED) == set(EventType)


def test_a_webhook_body_names_type_id_time_account_and_data() -> None:
    at = datetime(2026, 11, 25, 19, 35, tzinfo=UTC)
    event = SecurityEvent(
        type=EventType.CODE_FAILED,
        outcome="wrong_code",
        account_id="acc_1",
        ip="203.0.113.7",
        details={"challenge_id": "ch_1", "remaining": 4, "purpose": "sign_in"},
        created_at=at,
    )
    assert webhook_body("evt_1", event) == {
        "type": "code.failed",
        "id": "evt_1",
        "created_at": "2026-11-25T19:35:00Z",
        "account_id": "acc_1",
        "data": {
            "outcome": "wrong_code",
            "ip": "203.0.113.7",
            "challenge_id": "ch_1",
            "purpose": "sign_in",
            "remaining": 4,
        },
    }
