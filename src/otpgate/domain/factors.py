"""Factors: the ways a challenge can be answered, and the factors an account enrols.

Every account has ``sms_code`` (its confirmed number); the operator may add ``voice_code``
(the same code read by a phone call). An account may enrol an authenticator app (``totp``),
passkeys (``passkey``) and a set of backup codes (``backup_code``). Each answering factor is
one implementation of ``services.factors.Factor`` registered under its type.

Which factors may answer a challenge is a rule of the challenge, not of the page:

    verify_phone, a sign-up, confirm_new_phone   only a code sent to that number (it is what
                                                 the challenge proves)
    sign_in, every other step_up                 SMS, a call (when the operator offers calls),
                                                 and every factor the account has enrolled
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from otpgate.domain.actions import ActionType
from otpgate.domain.challenges import Challenge, ForAccount, Purpose
from otpgate.domain.errors import InvalidInput


class FactorType(StrEnum):
    """How a challenge is answered (``POST /challenges/{id}/verify`` ``factor``)."""

    SMS_CODE = "sms_code"
    VOICE_CODE = "voice_code"
    TOTP = "totp"
    PASSKEY = "passkey"
    BACKUP_CODE = "backup_code"


class FactorKind(StrEnum):
    """What an account enrols and lists (``GET /me/factors`` ``type``)."""

    SMS_CODE = "sms_code"
    VOICE_CODE = "voice_code"
    TOTP = "totp"
    PASSKEY = "passkey"
    BACKUP_CODES = "backup_codes"


# The enrolled kinds stored as rows (SMS and calls go to the account's number).
STORED_KINDS = (FactorKind.TOTP, FactorKind.PASSKEY, FactorKind.BACKUP_CODES)
ANSWERED_BY: dict[FactorKind, FactorType] = {
    FactorKind.SMS_CODE: FactorType.SMS_CODE,
    FactorKind.VOICE_CODE: FactorType.VOICE_CODE,
    FactorKind.TOTP: FactorType.TOTP,
    FactorKind.PASSKEY: FactorType.PASSKEY,
    FactorKind.BACKUP_CODES: FactorType.BACKUP_CODE,
}
# Codes sent to the challenge's own number; the others prove something the account holds.
SENT_FACTORS = frozenset({FactorType.SMS_CODE, FactorType.VOICE_CODE})


class FactorStatus(StrEnum):
    """``pending``: added by a step-up, waiting for its first use (a TOTP code, a passkey
    credential) within ``PENDING_SECONDS``; ``active``: answers challenges."""

    PENDING = "pending"
    ACTIVE = "active"


# A pending factor that was not completed in this time is refused (and cleaned up).
PENDING_SECONDS = 600
LABEL_MAX = 60
MAX_PASSKEYS = 10
DEFAULT_LABELS = {
    FactorKind.TOTP: "Authenticator app",
    FactorKind.PASSKEY: "Passkey",
    FactorKind.BACKUP_CODES: "Backup codes",
}
# Text that could shape a message or reorder how it reads (S41): controls, format characters
# (bidi overrides among them), line and paragraph separators.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def clean_label(raw: str | None, kind: FactorKind) -> str:
    """A factor's name as the customer typed it: one line of printable text, spaces
    collapsed, at most ``LABEL_MAX`` characters; the kind's default when left empty."""
    label = " ".join((raw or "").split())
    if not label:
        return DEFAULT_LABELS.get(kind, kind.value)
    if len(label) > LABEL_MAX:
        raise InvalidInput(
            "label", "Use at most %(count)d characters for the name.", count=LABEL_MAX
        )
    if any(unicodedata.category(ch) in REFUSED_CATEGORIES for ch in label):
        raise InvalidInput("label", "The name has characters we can't show.")
    return label


@dataclass(frozen=True, slots=True)
class EnrolledFactor:
    """A factor as an account holds it; never its secret. ``remaining`` counts unused backup
    codes (None for other kinds)."""

    id: str
    account_id: str
    kind: FactorKind
    label: str
    status: FactorStatus
    created_at: datetime
    last_used_at: datetime | None = None
    remaining: int | None = None

    @property
    def is_active(self) -> bool:
        return self.status is FactorStatus.ACTIVE

    def pending_expired(self, now: datetime) -> bool:
        """Whether a pending factor is too old to be completed."""
        return (
            self.status is FactorStatus.PENDING
            and (now - self.created_at).total_seconds() >= PENDING_SECONDS
        )

    @property
    def answers_with(self) -> FactorType | None:
        """The factor type this enrolment answers challenges with, once it can."""
        if not self.is_active or (self.remaining is not None and self.remaining <= 0):
            return None
        return ANSWERED_BY[self.kind]


def proves_its_number(challenge: Challenge) -> bool:
    """Whether the challenge exists to prove the number it texts: only a code sent there may
    answer it (a sign-up, a number being confirmed, a new number proving itself)."""
    if not isinstance(challenge.subject, ForAccount):
        return True
    if challenge.purpose in (Purpose.VERIFY_PHONE, Purpose.RECOVER):
        return True
    action = challenge.action
    return action is not None and action.type is ActionType.CONFIRM_NEW_PHONE


def answerable_with(
    challenge: Challenge, enrolled: Collection[FactorType], *, voice: bool
) -> tuple[FactorType, ...]:
    """The factors that may answer ``challenge``, SMS first ("Try another way" offers the
    rest). ``enrolled`` are the account's usable factors, ``voice`` whether calls are on.

    A call reaches only a number someone already proved: numbers typed into a form are never
    called (toll fraud buys calls to premium numbers).
    """
    if proves_its_number(challenge):
        return (FactorType.SMS_CODE,)
    offered = [FactorType.SMS_CODE]
    if voice:
        offered.append(FactorType.VOICE_CODE)
    for kind in (FactorType.TOTP, FactorType.PASSKEY, FactorType.BACKUP_CODE):
        if kind in enrolled:
            offered.append(kind)
    return tuple(offered)
