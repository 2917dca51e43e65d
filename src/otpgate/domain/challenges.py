"""The challenge: one attempt to prove a factor (today: a code texted to a phone), and its
state machine.

    pending ──right answer────────────▶ approved
       │ ├──max wrong answers─────────▶ failed
       │ ├──code lifetime passed──────▶ expired
       │ └──superseded / withdrawn────▶ canceled
       └──resend (new code, same attempt count) ─▶ pending

Terminal states are final: nothing leaves approved, failed, expired or canceled.

A challenge says *who* it is for (its ``subject``) and *what approving it does* (its
``intent``), each as a small closed set of types rather than loose nullable strings:

    subject: ForAccount(account_id)        an account's own challenge
             Decoy()                       a sign-up whose email is taken: bound to nothing
             Takeover(account_id, ...)     a sign-up that takes over a never-confirmed account
             ForNumber()                   a number one of the shop's applications named
                                           (verification API, ``to``): bound to no account
    intent:  ConfirmPhone()                verify_phone: the number is the account's
             SignIn(remember_device)       sign_in: a session (and maybe a trusted browser)
             StepUp(session_id, action)    step_up: apply exactly ``action``, for that session
             Verification(api_key_id, ...) verify: answer the API key that asked, with an
                                           approval token for exactly its summary and details
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from otpgate.domain.actions import BoundAction
from otpgate.domain.errors import (
    ChallengeCanceled,
    ChallengeExpired,
    ChallengeFailed,
    ChallengeUsed,
    ResendLimitReached,
    ResendTooSoon,
)
from otpgate.domain.language import DEFAULT_LANGUAGE
from otpgate.domain.policy import OtpPolicy, seconds_until


class Purpose(StrEnum):
    VERIFY_PHONE = "verify_phone"
    SIGN_IN = "sign_in"
    STEP_UP = "step_up"
    VERIFY = "verify"
    # A recovery's last step: the new number proves itself (services/recovery.py).
    RECOVER = "recover"


class Status(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELED = "canceled"

    @property
    def is_terminal(self) -> bool:
        return self is not Status.PENDING


# -- who a challenge is for ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ForAccount:
    """The challenge of an existing account."""

    account_id: str


@dataclass(frozen=True, slots=True)
class Decoy:
    """A registration with an email that already has an account. It looks and behaves like a
    real one (a code is texted), but it is bound to no account: a right code only says that the
    address can't be used, to someone who holds the phone (S17, S37)."""


@dataclass(frozen=True, slots=True)
class Takeover:
    """A registration for the email of a never-confirmed account: once this number is proven,
    the account takes the name, number and password just given (a mistyped number is fixed by
    registering again). ``password_hash`` is dropped from storage once the challenge ends."""

    account_id: str
    name: str
    phone: str
    password_hash: str


@dataclass(frozen=True, slots=True)
class ForNumber:
    """A number named by one of the shop's applications (the verification API's ``to``): its
    own customer, unknown to otpgate. Wrong codes pause the number, not an account."""


Subject = ForAccount | Decoy | Takeover | ForNumber


# -- what approving a challenge does ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConfirmPhone:
    """Prove the number given at registration (it then signs the customer in)."""


@dataclass(frozen=True, slots=True)
class SignIn:
    """The code step of a sign-in; ``remember_device`` was asked for with the password."""

    remember_device: bool = False


@dataclass(frozen=True, slots=True)
class StepUp:
    """A high-risk change waiting for its code; only the session that asked may answer it."""

    session_id: str
    action: BoundAction


@dataclass(frozen=True, slots=True)
class Verification:
    """A code one of the shop's applications asked for (the verification API). Only the API
    key that asked may read, check, resend or cancel it; ``summary`` is what the SMS names,
    ``details`` the canonical JSON the check must present again (``details_sha256`` its hash).
    """

    api_key_id: str
    summary: str
    details: str
    details_sha256: str


@dataclass(frozen=True, slots=True)
class Recover:
    """The end of a recovery when the phone is lost: after the wait, the new number proves
    itself; approving gives the account that number and revokes everything else. The recovery
    names this challenge (``recoveries.challenge_id``)."""


Intent = ConfirmPhone | SignIn | StepUp | Verification | Recover

PURPOSE_OF: dict[
    type[ConfirmPhone] | type[SignIn] | type[StepUp] | type[Verification] | type[Recover],
    Purpose,
] = {
    ConfirmPhone: Purpose.VERIFY_PHONE,
    SignIn: Purpose.SIGN_IN,
    StepUp: Purpose.STEP_UP,
    Verification: Purpose.VERIFY,
    Recover: Purpose.RECOVER,
}


def new_challenge_id(intent: Intent | None = None) -> str:
    """An unguessable public id (192 bits): knowing it is half of what a verify needs.

    A verification's id is its public ``ver_...`` id: the prefix keeps it out of the
    customer's challenge routes, and the customer's ``ch_...`` ids out of the API's.
    """
    prefix = "ver_" if isinstance(intent, Verification) else "ch_"
    return prefix + secrets.token_urlsafe(24)


@dataclass(frozen=True, slots=True)
class Challenge:
    """A challenge as stored. ``code_digest`` is the HMAC of the current code, never the code."""

    id: str
    subject: Subject
    intent: Intent
    status: Status
    destination: str
    code_digest: str
    attempts: int
    max_attempts: int
    sends: int
    created_at: datetime
    expires_at: datetime
    last_sent_at: datetime
    # Where the latest message of this challenge stands (``domain.delivery.DeliveryStatus``),
    # when the reader asked for it; the challenge's own rules never depend on it.
    delivery_status: str | None = None
    # The language its texts are written in (``domain.language``), kept for every resend.
    language: str = DEFAULT_LANGUAGE

    @property
    def purpose(self) -> Purpose:
        return PURPOSE_OF[type(self.intent)]

    @property
    def account_id(self) -> str | None:
        """The account the challenge belongs to (None for a sign-up decoy or take-over)."""
        return self.subject.account_id if isinstance(self.subject, ForAccount) else None

    @property
    def session_id(self) -> str | None:
        """The session that asked for a step-up (None for every other purpose)."""
        return self.intent.session_id if isinstance(self.intent, StepUp) else None

    @property
    def action(self) -> BoundAction | None:
        """The change a step-up code applies (None for every other purpose)."""
        return self.intent.action if isinstance(self.intent, StepUp) else None

    @property
    def api_key_id(self) -> str | None:
        """The API key that asked for a verification (None for every other purpose)."""
        return self.intent.api_key_id if isinstance(self.intent, Verification) else None

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
