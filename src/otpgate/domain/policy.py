"""Numbers of the OTP engine as a value object, and small pure policy functions.

Each policy function answers with a reason and, where it applies, the time at which the
answer changes (django-otp's CooldownMixin / ThrottlingMixin, without the model).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class OtpPolicy:
    """The DESIGN §4 defaults; every number is a setting."""

    code_length: int = 6
    code_ttl_seconds: int = 300
    max_attempts: int = 5
    resend_cooldown_seconds: int = 30
    max_sends_per_challenge: int = 5
    challenge_max_life_seconds: int = 900
    # Consecutive wrong codes across challenges before sign-in codes pause (S12).
    code_failure_streak_limit: int = 10
    code_lockout_base_seconds: int = 900
    code_lockout_max_seconds: int = 3600

    @property
    def code_ttl(self) -> timedelta:
        return timedelta(seconds=self.code_ttl_seconds)

    @property
    def resend_cooldown(self) -> timedelta:
        return timedelta(seconds=self.resend_cooldown_seconds)

    @property
    def challenge_max_life(self) -> timedelta:
        return timedelta(seconds=self.challenge_max_life_seconds)


@dataclass(frozen=True, slots=True)
class StreakOutcome:
    """What a wrong code does to an account's consecutive-failure count."""

    streak: int
    lockouts: int
    locked_until: datetime | None


MAX_DOUBLINGS = 16


def pause_seconds(policy: OtpPolicy, lockouts: int) -> int:
    """How long the pause after ``lockouts`` earlier pauses lasts: 15 min, 30 min, 60 min...
    up to the cap, never permanent (S14): an attacker who can trigger it can only delay the
    owner, not lock them out for good."""
    doubled: int = policy.code_lockout_base_seconds * 2 ** min(lockouts, MAX_DOUBLINGS)
    return min(doubled, policy.code_lockout_max_seconds)


def after_code_failure(
    policy: OtpPolicy, streak: int, lockouts: int, now: datetime
) -> StreakOutcome:
    """Count one more wrong code; at the limit, pause codes for a doubling, capped time."""
    return StreakRule.of(policy).after(streak, lockouts, now)


@dataclass(frozen=True, slots=True)
class StreakRule:
    """The account pause as data, for storage that applies it in the same statement that
    claims an attempt (so it holds exactly under concurrency, S43): every compared answer
    counts toward ``limit`` until a right one resets the streak; at the limit the account's
    codes pause for ``pauses[min(lockouts, MAX_DOUBLINGS)]`` seconds."""

    limit: int
    pauses: tuple[int, ...]

    @classmethod
    def of(cls, policy: OtpPolicy) -> StreakRule:
        return cls(
            limit=policy.code_failure_streak_limit,
            pauses=tuple(pause_seconds(policy, n) for n in range(MAX_DOUBLINGS + 1)),
        )

    def after(self, streak: int, lockouts: int, now: datetime) -> StreakOutcome:
        """One more compared answer on top of ``streak``."""
        streak += 1
        if streak < self.limit:
            return StreakOutcome(streak=streak, lockouts=lockouts, locked_until=None)
        pause = self.pauses[min(lockouts, MAX_DOUBLINGS)]
        return StreakOutcome(
            streak=0, lockouts=lockouts + 1, locked_until=now + timedelta(seconds=pause)
        )


def seconds_until(moment: datetime, now: datetime) -> int:
    """Whole seconds from ``now`` to ``moment``, at least 1 (for Retry-After)."""
    return max(1, math.ceil((moment - now) / timedelta(seconds=1)))
