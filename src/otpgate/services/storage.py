"""Storage ports: one small Protocol per aggregate, reached through one unit of work.

    async with deps.store.transaction() as uow:      # one database transaction
        account = await uow.accounts.get(account_id)
        claimed = await uow.challenges.claim_attempt(challenge_id, now)
        await uow.audit.add(event)

Everything done through one ``uow`` commits or rolls back together. The SQL implementation
lives in ``adapters/storage`` (one module per aggregate); an in-memory one in
``tests/fakes/storage.py``; one contract test class holds both to the same behaviour.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypedDict

from otpgate.domain.accounts import Account, Device, SecurityEvent, Session
from otpgate.domain.addresses import Address, AddressFields
from otpgate.domain.cards import PaymentMethod
from otpgate.domain.challenges import Challenge, Purpose, Status
from otpgate.services.ports import RequestContext


class AccountChanges(TypedDict, total=False):
    """Profile columns a change may set (the keys a step-up payload may carry)."""

    name: str
    email: str
    phone: str
    password_hash: str
    phone_verified: bool
    phone_verified_at: datetime


class CardChanges(TypedDict, total=False):
    exp_month: int
    exp_year: int
    billing_address_id: str | None
    is_default: bool


@dataclass(frozen=True, slots=True)
class MessageRecord:
    """A message as the outbox stores it: the body with its code blanked out for people, and
    sealed (AES-GCM) for the worker that sends it; the seal is erased once the message is final.
    """

    id: str
    channel: str
    to: str
    body_redacted: str
    purpose: str
    status: str
    created_at: datetime
    expires_at: datetime
    challenge_id: str | None = None
    account_id: str | None = None
    body_sealed: bytes | None = None


class Accounts(Protocol):
    async def get(self, account_id: str) -> Account | None: ...
    async def get_by_email(self, email: str) -> Account | None: ...
    async def insert(self, account: Account) -> None: ...

    async def update(self, account_id: str, changes: AccountChanges) -> None:
        """Set profile columns; an email another account has raises ``Conflict``."""
        ...

    async def add_code_failure(self, account_id: str) -> tuple[int, int]:
        """One more wrong code in a row: the new streak and the lockouts so far."""
        ...

    async def set_code_lockout(
        self, account_id: str, streak: int, lockouts: int, locked_until: datetime | None
    ) -> None: ...


class Challenges(Protocol):
    async def insert(self, challenge: Challenge, ctx: RequestContext) -> None: ...

    async def get(self, challenge_id: str) -> Challenge | None:
        """The challenge with the status of its newest message (``delivery_status``)."""
        ...

    async def claim_attempt(self, challenge_id: str, now: datetime) -> Challenge | None:
        """Spend one attempt atomically, before any comparison; None when none is left (or
        the challenge is no longer pending, or expired)."""
        ...

    async def approve(self, challenge_id: str, now: datetime) -> bool:
        """pending → approved; False when another request got there first."""
        ...

    async def end(
        self,
        challenge_id: str,
        status: Status,
        now: datetime,
        from_status: Status = Status.PENDING,
    ) -> bool:
        """``from_status`` → ``status``; False when the challenge was not in ``from_status``."""
        ...

    async def replace_code(
        self, challenge_id: str, digest: str, sends_before: int, now: datetime, expires_at: datetime
    ) -> bool:
        """A resend: the new code's digest, if nobody resent since ``sends_before``."""
        ...

    async def cancel_pending(self, account_id: str, purpose: Purpose, now: datetime) -> None:
        """End the account's pending challenges of ``purpose`` as canceled."""
        ...

    async def expire_overdue(self, account_id: str, now: datetime) -> Sequence[Challenge]:
        """Mark the account's pending challenges past their expiry expired; return them."""
        ...


class Sessions(Protocol):
    """Signed-in sessions and trusted browsers (devices): both are bearer tokens kept hashed."""

    async def insert_session(
        self, session: Session, token_hash: str, device_id: str | None
    ) -> None: ...
    async def session_by_token_hash(self, token_hash: str) -> Session | None: ...

    async def lock_session(self, session_id: str) -> Session | None:
        """The session, locked until the transaction ends: a concurrent revocation either
        waits for this transaction or is seen by it (PostgreSQL ``FOR UPDATE``; SQLite
        transactions are serial already)."""
        ...

    async def touch_session(self, session_id: str, now: datetime) -> None: ...
    async def revoke_session(self, session_id: str, now: datetime) -> bool: ...

    async def revoke_account_session(
        self, account_id: str, session_id: str, now: datetime
    ) -> bool: ...

    async def revoke_sessions(self, account_id: str, now: datetime, keep: str | None = None) -> int:
        """Revoke every live session of the account but ``keep``; how many were revoked."""
        ...

    async def list_sessions(self, account_id: str, now: datetime) -> Sequence[Session]: ...

    async def insert_device(self, device: Device, token_hash: str) -> None: ...
    async def device_by_token_hash(self, token_hash: str) -> Device | None: ...
    async def touch_device(self, device_id: str, now: datetime) -> None: ...
    async def revoke_device(self, account_id: str, device_id: str, now: datetime) -> bool: ...
    async def revoke_devices(self, account_id: str, now: datetime) -> int: ...
    async def list_devices(self, account_id: str, now: datetime) -> Sequence[Device]: ...


class Messages(Protocol):
    """The outbox's write side (delivery keeps its own books through ``DeliveryLedger``)."""

    async def add(self, record: MessageRecord) -> None: ...


class Audit(Protocol):
    async def add(self, event: SecurityEvent) -> None: ...

    async def list(
        self, account_id: str, limit: int, before_id: int | None = None
    ) -> Sequence[SecurityEvent]:
        """The account's events, newest first, older than ``before_id`` when given."""
        ...


class Wallet(Protocol):
    """Shipping addresses and payment methods; updates are conditional on ``version``."""

    async def list_addresses(self, account_id: str) -> Sequence[Address]: ...
    async def get_address(self, account_id: str, address_id: str) -> Address | None: ...

    async def insert_address(
        self,
        account_id: str,
        address_id: str,
        fields: AddressFields,
        is_default: bool,
        now: datetime,
    ) -> None: ...

    async def update_address(
        self,
        account_id: str,
        address_id: str,
        version: int,
        fields: AddressFields,
        is_default: bool,
        now: datetime,
    ) -> bool:
        """Apply ``fields`` if the address is still at ``version``; False when it moved on."""
        ...

    async def delete_address(self, account_id: str, address_id: str, version: int) -> bool: ...
    async def list_cards(self, account_id: str) -> Sequence[PaymentMethod]: ...
    async def get_card(self, account_id: str, card_id: str) -> PaymentMethod | None: ...

    async def insert_card(self, card: PaymentMethod, now: datetime) -> None:
        """Store a card; the same card (fingerprint) twice raises ``Conflict``."""
        ...

    async def update_card(
        self, account_id: str, card_id: str, version: int, changes: CardChanges, now: datetime
    ) -> bool: ...
    async def delete_card(self, account_id: str, card_id: str, version: int) -> bool: ...


class UnitOfWork(Protocol):
    """One transaction, with a repository per aggregate."""

    @property
    def accounts(self) -> Accounts: ...
    @property
    def challenges(self) -> Challenges: ...
    @property
    def sessions(self) -> Sessions: ...
    @property
    def messages(self) -> Messages: ...
    @property
    def audit(self) -> Audit: ...
    @property
    def wallet(self) -> Wallet: ...

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        """A nested transaction: what runs inside is undone alone if it raises."""
        ...


class Store(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """Open a unit of work: committed when the block ends, rolled back if it raises."""
        ...

    async def ping(self) -> bool:
        """Whether the database answers."""
        ...
