"""Policy numbers and the account-wide wrong-code streak (S12, S14), and Retry-After rounding."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from otpgate.domain.policy import OtpPolicy, after_code_failure, seconds_until
from tests.unit.props import PROPS

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
POLICY = OtpPolicy()


def test_defaults_match_design() -> None:
    assert POLICY.code_length == 6
    assert POLICY.code_ttl == timedelta(minutes=5)
    assert POLICY.max_attempts == 5
    assert POLICY.resend_cooldown == timedelta(seconds=30)
    assert POLICY.max_sends_per_challenge == 5
    assert POLICY.challenge_max_life == timedelta(minutes=15)
    # S12: the account-wide limit is "well under 100".
    assert POLICY.code_failure_streak_limit < 100


def test_policy_is_immutable() -> None:
    with pytest.raises(AttributeError):
        POLICY.max_attempts = 100  # type: ignore[misc]


# --- after_code_failure --------------------------------------------------------------------


def test_streak_counts_up_below_the_limit() -> None:
    streak = 0
    for expected in range(1, POLICY.code_failure_streak_limit):
        outcome = after_code_failure(POLICY, streak, 0, T0)
        assert outcome.streak == expected
        assert outcome.lockouts == 0
        assert outcome.locked_until is None
        streak = outcome.streak


def test_reaching_the_limit_pauses_and_resets_the_streak() -> None:
    outcome = after_code_failure(POLICY, POLICY.code_failure_streak_limit - 1, 0, T0)
    assert outcome.locked_until == T0 + timedelta(minutes=15)
    assert outcome.streak == 0
    assert outcome.lockouts == 1


def test_pauses_double_then_stop_at_the_cap() -> None:
    pauses = []
    lockouts = 0
    streak = 0
    now = T0
    for _ in range(6 * POLICY.code_failure_streak_limit):
        outcome = after_code_failure(POLICY, streak, lockouts, now)
        streak, lockouts = outcome.streak, outcome.lockouts
        if outcome.locked_until is not None:
            pauses.append(outcome.locked_until - now)
            assert streak == 0
            now = outcome.locked_until
    assert pauses == [
        timedelta(minutes=15),
        timedelta(minutes=30),
        timedelta(minutes=60),
        timedelta(minutes=60),
        timedelta(minutes=60),
        timedelta(minutes=60),
    ]
    assert lockouts == 6


def test_custom_policy_numbers_are_used() -> None:
    policy = OtpPolicy(
        code_failure_streak_limit=3, code_lockout_base_seconds=30, code_lockout_max_seconds=100
    )
    assert after_code_failure(policy, 1, 0, T0).locked_until is None
    assert after_code_failure(policy, 2, 0, T0).locked_until == T0 + timedelta(seconds=30)
    assert after_code_failure(policy, 2, 1, T0).locked_until == T0 + timedelta(seconds=60)
    assert after_code_failure(policy, 2, 2, T0).locked_until == T0 + timedelta(seconds=100)


@PROPS
@given(streak=st.integers(0, 50), lockouts=st.integers(0, 10**6))
def test_a_pause_is_never_permanent(streak: int, lockouts: int) -> None:
    # S14: however often an attacker triggers it, the pause stays within base..max.
    outcome = after_code_failure(POLICY, streak, lockouts, T0)
    if outcome.locked_until is None:
        assert outcome.streak == streak + 1
        assert outcome.lockouts == lockouts
        return
    pause = (outcome.locked_until - T0).total_seconds()
    assert POLICY.code_lockout_base_seconds <= pause <= POLICY.code_lockout_max_seconds
    assert outcome.streak == 0
    assert outcome.lockouts == lockouts + 1


# --- seconds_until -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(seconds=30), 30),
        (timedelta(seconds=29.5), 30),
        (timedelta(seconds=0.2), 1),
        (timedelta(seconds=1), 1),
        (timedelta(seconds=1.5), 2),
        (timedelta(minutes=15), 900),
        (timedelta(0), 1),
        (timedelta(seconds=-5), 1),
        (timedelta(days=-1), 1),
    ],
)
def test_seconds_until_examples(delta: timedelta, expected: int) -> None:
    assert seconds_until(T0 + delta, T0) == expected


@PROPS
@given(delta=st.timedeltas(min_value=timedelta(days=-2), max_value=timedelta(days=2)))
def test_seconds_until_is_at_least_one(delta: timedelta) -> None:
    result = seconds_until(T0 + delta, T0)
    assert isinstance(result, int)
    assert result >= 1


@PROPS
@example(delta=timedelta(seconds=5, microseconds=1))
@example(delta=timedelta(seconds=29, microseconds=500))
@given(delta=st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=1)))
def test_seconds_until_rounds_up_so_waiting_that_long_is_enough(delta: timedelta) -> None:
    result = seconds_until(T0 + delta, T0)
    assert result == math.ceil(delta.total_seconds())
    assert T0 + timedelta(seconds=result) >= T0 + delta
