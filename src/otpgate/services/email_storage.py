"""Storage ports of email ownership and recovery: single-use emailed links and recovery
requests. Reached through the unit of work (``uow.email_links``, ``uow.recoveries``); the SQL
adapter is ``adapters/storage/email.py``.

A link is stored only as the SHA-256 of its token (the token is 256 random bits, so a plain
hash is enough: nothing to guess, nothing to stretch); ``take`` spends it with a conditional
update, so two clicks of one link do one thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol, TypedDict


class LinkPurpose(StrEnum):
    CONFIRM_EMAIL = "confirm_email"
    START_RECOVERY = "start_recovery"  # the requester's mailbox says yes: the wait begins
    CANCEL_RECOVERY = "cancel_recovery"  # one click from the email or the old number
    FINISH_RECOVERY = "finish_recovery"  # after the wait: prove a new number


@dataclass(frozen=True, slots=True)
class EmailLink:
    id: str
    account_id: str
    purpose: LinkPurpose
    token_hash: str
    created_at: datetime
    expires_at: datetime
    email: str | None = None  # the address a confirmation proves
    target_id: str | None = None  # the recovery a recovery link acts on
    channel: str | None = None  # where the link was sent ("email" or "sms")
    used_at: datetime | None = None


class RecoveryStatus(StrEnum):
    """``requested`` → (link opened) ``waiting`` → (new number proven) ``completed``;
    ``canceled`` from either open state (a click, or the owner's next sign-in). An open one
    past its ``expires_at`` is over without a write; ``expired`` is kept for operators."""

    REQUESTED = "requested"
    WAITING = "waiting"
    COMPLETED = "completed"
    CANCELED = "canceled"
    EXPIRED = "expired"


OPEN_RECOVERY = (RecoveryStatus.REQUESTED, RecoveryStatus.WAITING)


@dataclass(frozen=True, slots=True)
class Recovery:
    id: str
    account_id: str
    status: RecoveryStatus
    created_at: datetime
    expires_at: datetime  # when this state ends on its own (link unused, or time to finish)
    ready_at: datetime | None = None  # when the wait ends
    ended_at: datetime | None = None
    ended_by: str | None = None
    challenge_id: str | None = None


class RecoveryChanges(TypedDict, total=False):
    status: str
    expires_at: datetime
    ready_at: datetime
    ended_at: datetime
    ended_by: str
    challenge_id: str | None


class EmailLinks(Protocol):
    async def add(self, link: EmailLink) -> None: ...

    async def find(self, token_hash: str, purpose: LinkPurpose, now: datetime) -> EmailLink | None:
        """The unused, unexpired link with this hash (nothing spent)."""
        ...

    async def take(self, token_hash: str, purpose: LinkPurpose, now: datetime) -> EmailLink | None:
        """Spend the link once (``UPDATE ... WHERE used_at IS NULL``); None when it is not
        there, used, or expired."""
        ...

    async def void(self, account_id: str, purpose: LinkPurpose, now: datetime) -> None:
        """Spend every unused link of ``purpose`` of the account (a newer one replaces them)."""
        ...

    async def void_target(self, target_id: str, now: datetime) -> None:
        """Spend every unused link that acts on ``target_id``."""
        ...


class Recoveries(Protocol):
    async def add(self, recovery: Recovery) -> None: ...

    async def get(self, recovery_id: str) -> Recovery | None: ...

    async def open_for(self, account_id: str, now: datetime) -> Recovery | None:
        """The account's open recovery (at most one), if it has not run out."""
        ...

    async def move(
        self, recovery_id: str, expected: RecoveryStatus, changes: RecoveryChanges
    ) -> bool:
        """Apply ``changes`` if the recovery is still ``expected``; whether it was."""
        ...

    async def for_challenge(self, challenge_id: str) -> Recovery | None: ...
