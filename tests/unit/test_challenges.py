"""The challenge state machine: statuses, expiry, attempts and resends (S2, S5, S10, S11)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from otpgate.domain.challenges import (
    Challenge,
    ForAccount,
    Purpose,
    SignIn,
    Status,
    Verification,
    code_expiry,
    ensure_open,
    ensure_resend_allowed,
    new_challenge_id,
)
from otpgate.domain.errors import (
    ChallengeCanceled,
    ChallengeError,
    ChallengeExpired,
    ChallengeFailed,
    ChallengeUsed,
    OtpgateError,
    ResendLimitReached,
    ResendTooSoon,
)
from otpgate.domain.policy import OtpPolicy
from tests.unit.props import PROPS

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
POLICY = OtpPolicy()


def seconds(n: float) -> timedelta:
    return timedelta(seconds=n)


def make_challenge(**changes: object) -> Challenge:
    """A fresh pending sign-in challenge created and sent at T0 with the default policy."""
    base = Challenge(
        id="ch_test",
        subject=ForAccount("acc_1"),
        intent=SignIn(),
        status=Status.PENDING,
        destination="+14155552671",
        code_digest="0" * 64,
        attempts=0,
        max_attempts=POLICY.max_attempts,
        sends=1,
        created_at=T0,
        expires_at=code_expiry(POLICY, T0, T0),
        last_sent_at=T0,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# --- statuses ------------------------------------------------------------------------------


def test_only_pending_is_not_terminal() -> None:
    assert not Status.PENDING.is_terminal
    for status in (Status.APPROVED, Status.FAILED, Status.EXPIRED, Status.CANCELED):
        assert status.is_terminal


def test_status_and_purpose_values_are_stable() -> None:
    assert [s.value for s in Status] == ["pending", "approved", "failed", "expired", "canceled"]
    assert [p.value for p in Purpose] == [
        "verify_phone",
        "sign_in",
        "step_up",
        "verify",
        "recover",
    ]


def test_a_verification_id_is_its_own_kind() -> None:
    """A verification's id (``ver_``) never looks like a customer's challenge id (``ch_``)."""
    intent = Verification(api_key_id="key_1", summary="", details="{}", details_sha256="")
    assert new_challenge_id(intent).startswith("ver_")
    assert new_challenge_id().startswith("ch_")


def test_new_challenge_id_is_prefixed_unguessable_and_unique() -> None:
    ids = {new_challenge_id() for _ in range(1000)}
    assert len(ids) == 1000
    for challenge_id in ids:
        assert challenge_id.startswith("ch_")
        assert len(challenge_id) - 3 >= 32  # 24 random bytes, url-safe base64


# --- ensure_open ---------------------------------------------------------------------------


def test_fresh_pending_challenge_is_open() -> None:
    ensure_open(make_challenge(), T0)
    ensure_open(make_challenge(attempts=POLICY.max_attempts - 1), T0 + seconds(10))


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (Status.APPROVED, ChallengeUsed),
        (Status.FAILED, ChallengeFailed),
        (Status.EXPIRED, ChallengeExpired),
        (Status.CANCELED, ChallengeCanceled),
    ],
)
def test_ensure_open_names_the_terminal_state(status: Status, error: type[ChallengeError]) -> None:
    challenge = make_challenge(status=status)
    with pytest.raises(error) as caught:
        ensure_open(challenge, T0)
    assert type(caught.value) is error
    # Terminal is final even before the code's expiry, and long after it.
    with pytest.raises(error):
        ensure_open(challenge, T0 + seconds(3600))


@pytest.mark.parametrize("attempts", [POLICY.max_attempts, POLICY.max_attempts + 1, 99])
def test_exhausted_attempts_fail_the_challenge(attempts: int) -> None:
    # S10: after 5 wrong codes even the right one is refused.
    with pytest.raises(ChallengeFailed):
        ensure_open(make_challenge(attempts=attempts), T0 + seconds(1))


def test_overdue_pending_challenge_is_expired() -> None:
    challenge = make_challenge()
    ensure_open(challenge, challenge.expires_at - timedelta(microseconds=1))
    with pytest.raises(ChallengeExpired):
        ensure_open(challenge, challenge.expires_at)
    with pytest.raises(ChallengeExpired):
        ensure_open(challenge, challenge.expires_at + seconds(1))


def test_expiry_is_reported_before_exhausted_attempts() -> None:
    challenge = make_challenge(attempts=POLICY.max_attempts)
    with pytest.raises(ChallengeExpired):
        ensure_open(challenge, challenge.expires_at + seconds(1))


# --- effective_status ----------------------------------------------------------------------


def test_effective_status_turns_overdue_pending_into_expired() -> None:
    challenge = make_challenge()
    assert challenge.effective_status(T0) is Status.PENDING
    assert challenge.effective_status(challenge.expires_at - seconds(1)) is Status.PENDING
    assert challenge.effective_status(challenge.expires_at) is Status.EXPIRED
    assert challenge.effective_status(challenge.expires_at + seconds(600)) is Status.EXPIRED


@pytest.mark.parametrize(
    "status", [Status.APPROVED, Status.FAILED, Status.EXPIRED, Status.CANCELED]
)
def test_effective_status_leaves_terminal_states_alone(status: Status) -> None:
    challenge = make_challenge(status=status)
    assert challenge.effective_status(T0) is status
    assert challenge.effective_status(challenge.expires_at + seconds(1)) is status


@PROPS
@given(
    status=st.sampled_from(Status),
    offset=st.integers(-10, 2000),
    attempts=st.integers(0, 10),
)
def test_ensure_open_agrees_with_effective_status(
    status: Status, offset: int, attempts: int
) -> None:
    challenge = make_challenge(status=status, attempts=attempts)
    now = T0 + seconds(offset)
    effective = challenge.effective_status(now)
    should_be_open = effective is Status.PENDING and attempts < challenge.max_attempts
    if should_be_open:
        ensure_open(challenge, now)
    else:
        with pytest.raises(ChallengeError):
            ensure_open(challenge, now)


# --- attempts_remaining --------------------------------------------------------------------


@PROPS
@given(attempts=st.integers(0, 50), max_attempts=st.integers(0, 20))
def test_attempts_remaining_is_never_negative(attempts: int, max_attempts: int) -> None:
    challenge = make_challenge(attempts=attempts, max_attempts=max_attempts)
    assert challenge.attempts_remaining == max(0, max_attempts - attempts)
    assert challenge.attempts_remaining >= 0


def test_attempts_remaining_counts_down() -> None:
    assert [make_challenge(attempts=a).attempts_remaining for a in range(7)] == [
        5,
        4,
        3,
        2,
        1,
        0,
        0,
    ]


# --- code_expiry (S2) ----------------------------------------------------------------------


def test_code_expiry_defaults() -> None:
    assert code_expiry(POLICY, T0, T0) == T0 + seconds(300)
    assert code_expiry(POLICY, T0, T0 + seconds(60)) == T0 + seconds(360)
    # A code sent 12 minutes in gets only the 3 minutes left of the challenge's 15.
    assert code_expiry(POLICY, T0, T0 + seconds(720)) == T0 + seconds(900)


@PROPS
@given(
    sent_after=st.integers(0, 2000),
    ttl=st.integers(1, 600),
    max_life=st.integers(1, 900),
    micros=st.integers(0, 999_999),
)
def test_code_expiry_never_beyond_challenge_life(
    sent_after: int, ttl: int, max_life: int, micros: int
) -> None:
    policy = OtpPolicy(code_ttl_seconds=ttl, challenge_max_life_seconds=max_life)
    sent_at = T0 + seconds(sent_after) + timedelta(microseconds=micros)
    expiry = code_expiry(policy, T0, sent_at)
    assert expiry <= T0 + policy.challenge_max_life
    assert expiry <= sent_at + policy.code_ttl
    assert expiry == min(sent_at + policy.code_ttl, T0 + policy.challenge_max_life)


# --- resend --------------------------------------------------------------------------------


def test_resend_waits_for_the_cooldown() -> None:
    challenge = make_challenge()
    with pytest.raises(ResendTooSoon) as caught:
        ensure_resend_allowed(challenge, POLICY, T0 + seconds(10))
    assert caught.value.retry_after == 20
    assert "20 seconds" in caught.value.detail
    with pytest.raises(ResendTooSoon) as caught:
        ensure_resend_allowed(challenge, POLICY, T0 + seconds(29.5))
    assert caught.value.retry_after == 1
    with pytest.raises(ResendTooSoon) as caught:
        ensure_resend_allowed(challenge, POLICY, T0)
    assert caught.value.retry_after == 30
    ensure_resend_allowed(challenge, POLICY, T0 + seconds(30))
    ensure_resend_allowed(challenge, POLICY, T0 + seconds(45))


def test_cooldown_counts_from_the_last_send() -> None:
    challenge = make_challenge(
        sends=3,
        last_sent_at=T0 + seconds(100),
        expires_at=code_expiry(POLICY, T0, T0 + seconds(100)),
    )
    with pytest.raises(ResendTooSoon) as caught:
        ensure_resend_allowed(challenge, POLICY, T0 + seconds(110))
    assert caught.value.retry_after == 20
    ensure_resend_allowed(challenge, POLICY, T0 + seconds(130))


def test_resend_limit() -> None:
    policy = POLICY
    four = make_challenge(sends=policy.max_sends_per_challenge - 1)
    ensure_resend_allowed(four, policy, T0 + seconds(60))
    five = make_challenge(sends=policy.max_sends_per_challenge)
    with pytest.raises(ResendLimitReached):
        ensure_resend_allowed(five, policy, T0 + seconds(60))
    # The limit is reported even while the cooldown is still running.
    with pytest.raises(ResendLimitReached):
        ensure_resend_allowed(five, policy, T0 + seconds(1))


def test_resend_available_at() -> None:
    assert make_challenge().resend_available_at(POLICY) == T0 + seconds(30)
    last = make_challenge(sends=POLICY.max_sends_per_challenge - 1)
    assert last.resend_available_at(POLICY) == T0 + seconds(30)
    assert make_challenge(sends=POLICY.max_sends_per_challenge).resend_available_at(POLICY) is None
    assert make_challenge(sends=99).resend_available_at(POLICY) is None


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (Status.APPROVED, ChallengeUsed),
        (Status.FAILED, ChallengeFailed),
        (Status.EXPIRED, ChallengeExpired),
        (Status.CANCELED, ChallengeCanceled),
    ],
)
def test_no_resend_for_terminal_challenges(status: Status, error: type[ChallengeError]) -> None:
    with pytest.raises(error):
        ensure_resend_allowed(make_challenge(status=status), POLICY, T0 + seconds(60))


def test_no_resend_after_attempts_exhausted() -> None:
    # S11: a resend never resets the failure count, so it cannot revive a failed challenge.
    challenge = make_challenge(attempts=POLICY.max_attempts)
    with pytest.raises(ChallengeFailed):
        ensure_resend_allowed(challenge, POLICY, T0 + seconds(60))


def test_no_resend_once_the_code_expired() -> None:
    challenge = make_challenge()
    with pytest.raises(ChallengeExpired):
        ensure_resend_allowed(challenge, POLICY, challenge.expires_at)


def test_no_resend_at_the_end_of_the_challenge_life() -> None:
    sent = T0 + seconds(800)
    challenge = make_challenge(sends=2, last_sent_at=sent, expires_at=code_expiry(POLICY, T0, sent))
    assert challenge.expires_at == T0 + seconds(900)
    ensure_resend_allowed(challenge, POLICY, T0 + seconds(850))
    with pytest.raises(ChallengeExpired):
        ensure_resend_allowed(challenge, POLICY, T0 + seconds(899.5))


@PROPS
@given(
    sends=st.integers(1, 7),
    last_sent=st.integers(0, 900),
    now_offset=st.floats(0, 1200, allow_nan=False),
    attempts=st.integers(0, 6),
)
def test_an_allowed_resend_respects_every_rule(
    sends: int, last_sent: int, now_offset: float, attempts: int
) -> None:
    sent_at = T0 + seconds(last_sent)
    challenge = make_challenge(
        sends=sends,
        attempts=attempts,
        last_sent_at=sent_at,
        expires_at=code_expiry(POLICY, T0, sent_at),
    )
    now = T0 + seconds(now_offset)
    if now < sent_at:
        return  # the clock never runs backwards past a send
    try:
        ensure_resend_allowed(challenge, POLICY, now)
    except ResendTooSoon as exc:
        available_at = challenge.resend_available_at(POLICY)
        assert available_at is not None
        assert now < available_at
        assert 1 <= exc.retry_after <= POLICY.resend_cooldown_seconds
    except OtpgateError:
        pass
    else:
        assert challenge.effective_status(now) is Status.PENDING
        assert attempts < POLICY.max_attempts
        assert sends < POLICY.max_sends_per_challenge
        assert now >= sent_at + POLICY.resend_cooldown
        # The new code would still have some life left.
        assert code_expiry(POLICY, T0, now) > now


def test_resend_too_soon_message_uses_singular_for_one_second() -> None:
    with pytest.raises(ResendTooSoon) as caught:
        ensure_resend_allowed(make_challenge(), POLICY, T0 + seconds(29.5))
    assert caught.value.retry_after == 1
    assert caught.value.detail == "You can ask for a new code in 1 second."
