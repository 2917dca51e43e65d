"""The pure parts: breaker states, backoff, routes, statuses, sealed bodies, settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from otpgate.adapters.sealing import AesGcmSealer, SealError
from otpgate.config import Settings
from otpgate.domain.delivery import (
    IN_FLIGHT,
    BreakerState,
    CircuitBreaker,
    DeliveryStatus,
    RetryPolicy,
    Routes,
)

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_the_breaker_opens_after_consecutive_failures_only() -> None:
    breaker = CircuitBreaker(threshold=3, cooloff=timedelta(seconds=30))
    breaker.failed(T0)
    breaker.failed(T0)
    breaker.succeeded()  # a success in between resets the count
    breaker.failed(T0)
    breaker.failed(T0)
    assert breaker.allow(T0)
    breaker.failed(T0)
    assert breaker.state(T0) is BreakerState.OPEN
    assert not breaker.allow(T0 + timedelta(seconds=29))


def test_half_open_lets_one_probe_through_and_a_failed_probe_reopens() -> None:
    breaker = CircuitBreaker(threshold=1, cooloff=timedelta(seconds=30))
    breaker.failed(T0)
    later = T0 + timedelta(seconds=30)
    assert breaker.state(later) is BreakerState.HALF_OPEN
    assert breaker.allow(later)
    assert not breaker.allow(later)  # only one probe at a time
    breaker.failed(later)
    assert breaker.state(later + timedelta(seconds=29)) is BreakerState.OPEN
    assert breaker.reopens_at() == later + timedelta(seconds=30)
    assert breaker.allow(later + timedelta(seconds=30))
    breaker.succeeded()
    assert breaker.state(later) is BreakerState.CLOSED


@given(st.integers(min_value=1, max_value=50), st.floats(min_value=0, max_value=1))
def test_backoff_grows_exponentially_within_the_cap(rounds: int, share: float) -> None:
    policy = RetryPolicy(base_seconds=1.0, max_seconds=30.0)
    delay = policy.backoff(rounds, lambda low, high: low + (high - low) * share)
    assert 0 <= delay <= min(30.0, 2 ** (rounds - 1))


def test_routes_pick_the_longest_prefix_and_fall_back_to_the_order() -> None:
    routes = Routes.parse("+1:twilio; +1242:sns,twilio ;+49:sns", ("webhook", "twilio"))
    assert routes.providers_for("+12425551234") == ("sns", "twilio")
    assert routes.providers_for("+14155552671") == ("twilio",)
    assert routes.providers_for("+4915123456789") == ("sns",)
    assert routes.providers_for("+447400123456") == ("webhook", "twilio")
    assert routes.all_providers == ("webhook", "twilio", "sns")


@pytest.mark.parametrize("text", ["49:sns", "+49", "+49:", "+4x:sns", "+49:,"])
def test_malformed_routes_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        Routes.parse(text, ("outbox",))


def test_final_statuses() -> None:
    assert {
        DeliveryStatus.QUEUED,
        DeliveryStatus.SENDING,
    } == IN_FLIGHT


def test_a_sealed_body_opens_only_for_its_message_and_key() -> None:
    key = b"k" * 40
    sealer = AesGcmSealer(key)
    sealed = sealer.seal("123456 is your code", "sms_1")
    assert b"123456" not in sealed
    assert sealer.open(sealed, "sms_1") == "123456 is your code"
    with pytest.raises(SealError):
        sealer.open(sealed, "sms_2")  # moved to another row
    with pytest.raises(SealError):
        AesGcmSealer(b"o" * 40).open(sealed, "sms_1")
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(SealError):
        sealer.open(tampered, "sms_1")
    # After a key rotation, bodies sealed under the former key still open.
    assert AesGcmSealer(b"n" * 40, previous=(key,)).open(sealed, "sms_1") == "123456 is your code"


def test_delivery_mode_follows_the_database(tmp_path: Path) -> None:
    secret = "s" * 40
    assert Settings(data_dir=tmp_path).delivery_mode == "inline"
    scaled = Settings(database_url="postgresql://db/otp", secret_key=secret)
    assert scaled.delivery_mode == "queue"
    assert scaled.queue_conninfo == "postgresql://db/otp"
    asyncpg = Settings(database_url="postgresql+asyncpg://db/otp", secret_key=secret)
    assert asyncpg.queue_conninfo == "postgresql://db/otp"
    assert Settings(database_url="postgresql://db/otp", secret_key=secret, delivery="inline")


def test_status_callback_setting(tmp_path: Path) -> None:
    base = {"data_dir": tmp_path, "base_url": "https://otp.example/"}
    assert Settings(**base).twilio_status_callback_url is None
    on = Settings(**base, twilio_status_callback="true")
    assert on.twilio_status_callback_url == "https://otp.example/hooks/twilio/status"
    own = Settings(**base, twilio_status_callback="https://in.example/cb")
    assert own.twilio_status_callback_url == "https://in.example/cb"
    with pytest.raises(ValidationError):
        Settings(**base, twilio_status_callback="ftp://in.example/cb")
