"""The challenge: one attempt to prove possession of a phone, and its state machine.

    pending ──right code──────────────▶ approved
       │ ├──max wrong codes───────────▶ failed
       │ ├──code lifetime passed──────▶ expired
       │ └──superseded / withdrawn────▶ canceled
       └──resend (new code, same attempt count) ─▶ pending

Terminal states are final: nothing leaves approved, failed, expired or canceled.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from otpgate.domain.errors import (
    ChallengeCanceled,
    ChallengeExpired,
    ChallengeFailed,
    ChallengeUsed,
    ResendLimitReached,
    ResendTooSoon,
)
from otpgate.domain.policy import OtpPolicy, seconds_until


class Purpose(StrEnum):
    VERIFY_PHONE = "verify_phone"
    SIGN_IN = "sign_in"
    STEP_UP = "step_up"


class Status(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELED = "canceled"

    @property
    def is_terminal(self) -> bool:
        return self is not Status.PENDING


def new_challenge_id() -> str:
    """An unguessable public id (192 bits): knowing it is half of what a verify needs."""
    return "ch_" + secrets.token_urlsafe(24)


@dataclass(frozen=True, slots=True)
class Challenge:
    """A challenge as stored. ``code_digest`` is the HMAC of the current code, never the code."""

    id: str
    account_id: str | None
    purpose: Purpose
    status: Status
    destination: str
    code_digest: str
    attempts: int
    max_attempts: int
    sends: int
    created_at: datetime
    expires_at: datetime
    last_sent_at: datetime
    remember_device: bool = False
    session_id: str | None = None
    action_type: str | None = None
    action_summary: str | None = None
    action_hash: str | None = None
    action_payload: str | None = None
    # Where the latest SMS of this challenge stands (``domain.delivery.DeliveryStatus``), when
    # the reader loaded it; the challenge's own rules never depend on it.
    delivery_status: str | None = None

    @property
    def attempts_remaining(self) -> int:
        return max(0, self.max_attempts - self.attempts)

    def effective_status(self, now: datetime) -> Status:
        """The status a reader should see: a pending challenge past its expiry is expired."""
        if self.status is Status.PENDING and now >= self.expires_at:
            return Status.EXPIRED
        return self.status

    def resend_available_at(self, policy: OtpPolicy) -> datetime | None:
        """When a new code may be asked for, or None when no more may be sent."""
        if self.sends >= policy.max_sends_per_challenge:
            return None
        return self.last_sent_at + policy.resend_cooldown


def code_expiry(policy: OtpPolicy, created_at: datetime, sent_at: datetime) -> datetime:
    """When a code sent at ``sent_at`` stops working: its lifetime, within the challenge's cap."""
    return min(sent_at + policy.code_ttl, created_at + policy.challenge_max_life)


def ensure_open(challenge: Challenge, now: datetime) -> None:
    """Raise the error that explains why ``challenge`` can no longer take a code."""
    status = challenge.effective_status(now)
    if status is Status.PENDING:
        if challenge.attempts >= challenge.max_attempts:
            raise ChallengeFailed()
        return
    raise _terminal_error(status)


def ensure_resend_allowed(challenge: Challenge, policy: OtpPolicy, now: datetime) -> None:
    """Raise unless a new code may be sent for ``challenge`` now."""
    ensure_open(challenge, now)
    if now >= challenge.created_at + policy.challenge_max_life - timedelta(seconds=1):
        raise ChallengeExpired()
    available_at = challenge.resend_available_at(policy)
    if available_at is None:
        raise ResendLimitReached()
    if now < available_at:
        wait = seconds_until(available_at, now)
        unit = "second" if wait == 1 else "seconds"
        raise ResendTooSoon(wait, f"You can ask for a new code in {wait} {unit}.")


def _terminal_error(status: Status) -> Exception:
    if status is Status.APPROVED:
        return ChallengeUsed()
    if status is Status.FAILED:
        return ChallengeFailed()
    if status is Status.CANCELED:
        return ChallengeCanceled()
    return ChallengeExpired()
