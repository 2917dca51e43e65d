"""Sessions: revocation, absolute expiry and idle timeout on the server's clock (S21)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from otpgate.domain.accounts import Account, EventType, SecurityEvent, Session
from otpgate.domain.clock import ManualClock

IDLE = 3600  # 1 hour
LIFETIME = timedelta(hours=24)


def new_session(clock: ManualClock) -> Session:
    now = clock.now()
    return Session(
        id="ses_1",
        account_id="acc_1",
        created_at=now,
        last_seen_at=now,
        expires_at=now + LIFETIME,
    )


def test_new_session_is_active() -> None:
    clock = ManualClock()
    session = new_session(clock)
    assert session.is_active(clock.now(), IDLE)


def test_idle_timeout() -> None:
    clock = ManualClock()
    session = new_session(clock)
    clock.advance(IDLE - 1)
    assert session.is_active(clock.now(), IDLE)
    clock.advance(1)
    assert not session.is_active(clock.now(), IDLE)


def test_activity_extends_idle_but_not_absolute_expiry() -> None:
    clock = ManualClock()
    session = new_session(clock)
    # Seen every 50 minutes: never idle, yet it still ends at 24 hours.
    while clock.now() + timedelta(minutes=50) < session.expires_at:
        clock.advance(50 * 60)
        assert session.is_active(clock.now(), IDLE)
        session = replace(session, last_seen_at=clock.now())
    clock.set(session.expires_at - timedelta(seconds=1))
    assert session.is_active(clock.now(), IDLE)
    clock.set(session.expires_at)
    assert not session.is_active(clock.now(), IDLE)
    session = replace(session, last_seen_at=clock.now())
    assert not session.is_active(clock.now(), IDLE)


def test_revoked_session_is_inactive_at_once() -> None:
    clock = ManualClock()
    session = replace(new_session(clock), revoked_at=clock.now())
    assert not session.is_active(clock.now(), IDLE)
    clock.advance(1)
    assert not session.is_active(clock.now(), IDLE)


@pytest.mark.parametrize("idle", [1, 60, 3600])
def test_idle_setting_is_honoured(idle: int) -> None:
    clock = ManualClock()
    session = new_session(clock)
    clock.advance(idle - 0.5)
    assert session.is_active(clock.now(), idle)
    clock.advance(0.5)
    assert not session.is_active(clock.now(), idle)


def test_account_defaults_have_no_lockout() -> None:
    account = Account(
        id="acc_1",
        name="Alice",
        email="alice@example.com",
        phone="+14155552671",
        password_hash="$argon2id$...",
        phone_verified=True,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert account.code_fail_streak == 0
    assert account.code_lockouts == 0
    assert account.code_locked_until is None


def test_security_events_have_independent_details() -> None:
    first = SecurityEvent(type=EventType.CODE_SENT, outcome="ok")
    second = SecurityEvent(type=EventType.CODE_SENT, outcome="ok")
    first.details["challenge"] = "ch_1"
    assert second.details == {}


def test_event_type_values_are_unique() -> None:
    values = [event.value for event in EventType]
    assert len(values) == len(set(values))
