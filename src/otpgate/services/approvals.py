"""What approving a challenge yields, and the seam each purpose plugs its approval into.

``Verifier`` checks the answer; when it is right, the handler registered for the challenge's
purpose runs inside the approving transaction and returns an ``Approval``.
Every purpose must have a handler: ``check_purposes`` refuses to start otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from otpgate.domain.accounts import Account
from otpgate.domain.actions import ActionType
from otpgate.domain.addresses import Address
from otpgate.domain.cards import PaymentMethod
from otpgate.domain.challenges import Challenge, Purpose
from otpgate.domain.factors import EnrolledFactor, FactorType
from otpgate.services.ports import OutgoingMessage, RequestContext
from otpgate.services.sessions import SignedInSession
from otpgate.services.storage import UnitOfWork


@dataclass(frozen=True, slots=True)
class VerifyRequest:
    """One answer to a challenge. ``code`` is what was typed (a code) or, for a passkey,
    the assertion as JSON; ``factor`` says which of the account's factors answers."""

    challenge_id: str
    code: str
    remember_device: bool
    ctx: RequestContext
    session_id: str | None = None
    # The API key checking a verification (None: a customer's own challenge).
    api_key_id: str | None = None
    factor: FactorType = FactorType.SMS_CODE


# -- typed results of applied actions ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountChanged:
    account: Account


@dataclass(frozen=True, slots=True)
class PasswordChanged:
    signed_out_sessions: int
    forgotten_devices: int


@dataclass(frozen=True, slots=True)
class AddressSaved:
    address: Address


@dataclass(frozen=True, slots=True)
class AddressRemoved:
    address_id: str


@dataclass(frozen=True, slots=True)
class CardSaved:
    card: PaymentMethod


@dataclass(frozen=True, slots=True)
class CardRemoved:
    card_id: str


@dataclass(frozen=True, slots=True)
class FactorAdded:
    """A factor added by a step-up. An authenticator app comes with its ``secret`` and
    ``otpauth_uri`` (pending until its first code), backup codes with the ``codes``: both
    shown this once, never stored in the clear."""

    factor: EnrolledFactor
    secret: str | None = None
    otpauth_uri: str | None = None
    codes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FactorRemoved:
    factor_id: str


ActionResult = (
    AccountChanged
    | PasswordChanged
    | AddressSaved
    | AddressRemoved
    | CardSaved
    | CardRemoved
    | FactorAdded
    | FactorRemoved
)


@dataclass(frozen=True, slots=True)
class FollowUp:
    """An applied action that needs one more code (a new number proving itself): the step-up
    opens this next action, to ``destination``, in the same transaction."""

    action_type: ActionType
    payload: Mapping[str, Any]
    destination: str


@dataclass(frozen=True, slots=True)
class Approval:
    """What an approved challenge yields."""

    signed_in: SignedInSession | None = None
    result: ActionResult | None = None
    follow_up: FollowUp | None = None
    next_challenge: Challenge | None = None
    # Messages the approval queued (a code to a new number, a notice to the old one): they
    # are handed to delivery only after the approving transaction commits.
    messages: tuple[OutgoingMessage, ...] = ()
    # A verification's approval token (compact JWS, services/verifications.py).
    token: str | None = None


@dataclass(frozen=True, slots=True)
class Verified:
    challenge: Challenge
    approval: Approval


class ApprovalHandler(Protocol):
    async def approve(
        self, uow: UnitOfWork, challenge: Challenge, now: datetime, request: VerifyRequest
    ) -> Approval:
        """Apply what ``challenge`` was for; raise ``Conflict``/``NotFound`` when its target is
        gone (the approving transaction rolls back whole; the spent code stays spent)."""
        ...


def check_purposes(handlers: Mapping[Purpose, ApprovalHandler]) -> None:
    """Refuse to start with a purpose nobody approves (it would approve into nothing)."""
    missing = [purpose.value for purpose in Purpose if purpose not in handlers]
    if missing:
        raise ValueError(f"no approval handler for {', '.join(missing)}")
