"""The ports services need: small Protocols that adapters implement and tests fake."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from otpgate.domain.accounts import Account, Device, SecurityEvent, Session
from otpgate.domain.addresses import Address, AddressFields
from otpgate.domain.cards import PaymentMethod
from otpgate.domain.challenges import Challenge, Purpose


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Who is asking: the client address (after trusted proxies) and the user agent."""

    ip: str = "unknown"
    user_agent: str = ""


@dataclass(frozen=True, slots=True)
class OutgoingSms:
    """A message to hand to a provider. ``body`` holds the code: it lives in memory only."""

    message_id: str
    to: str
    body: str
    purpose: str
    challenge_id: str | None
    account_id: str | None
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class SmsRecord:
    """A message as stored: the body with its code blanked out."""

    id: str
    to: str
    body_redacted: str
    purpose: str
    status: str
    created_at: datetime
    challenge_id: str | None = None
    provider: str | None = None
    provider_message_id: str | None = None
    attempts: int = 0
    error: str | None = None
    # For delivery (see services/outbox.py): the body sealed for the durable queue, and the
    # moment the code expires (a message not sent by then is abandoned, never sent late).
    account_id: str | None = None
    expires_at: datetime | None = None
    body_sealed: bytes | None = None


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str:
        """Argon2id hash of ``password``, computed off the event loop."""
        ...

    async def verify(self, password_hash: str, password: str) -> bool:
        """Whether ``password`` matches ``password_hash``."""
        ...

    async def burn(self, password: str) -> None:
        """Spend the time of one verify, for accounts that do not exist (S17)."""
        ...

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether the hash was made with weaker parameters than today's."""
        ...


class RateLimiter(Protocol):
    async def hit(self, rule: str, key: str) -> None:
        """Count one use of ``rule`` for ``key``; raise ``RateLimited`` when over the limit."""
        ...

    async def clear(self, rule: str, key: str) -> None:
        """Forget the uses of ``rule`` for ``key``."""
        ...

    async def ping(self) -> bool:
        """Whether the limiter's storage answers."""
        ...


class SmsProvider(Protocol):
    """An SMS gateway. Vendor errors never escape: they become our ``DeliveryError`` (retry
    later, maybe elsewhere) or ``PermanentDeliveryError`` (this number will never work)."""

    name: str

    async def send(self, to: str, body: str, *, message_id: str, purpose: str) -> str:
        """Send ``body`` to the E.164 number ``to``; return the provider's message id.

        ``message_id`` is ours and stable across retries: providers that accept an
        idempotency key get it, so a retried send never produces a second SMS.
        """
        ...

    async def check(self) -> str:
        """A short line for ``otpgate doctor`` saying whether the provider is usable."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


class Sealer(Protocol):
    """Authenticated encryption for message bodies at rest (they hold codes)."""

    def seal(self, plaintext: str, context: str) -> bytes:
        """Encrypt ``plaintext`` bound to ``context`` (the message id)."""
        ...

    def open(self, sealed: bytes, context: str) -> str:
        """Decrypt what ``seal`` made for the same ``context``; raise if it does not open."""
        ...


class SmsDispatcher(Protocol):
    def submit(self, message: OutgoingSms) -> None:
        """Hand a committed message to delivery; returns at once."""
        ...


class Transaction(Protocol):
    """One database transaction; everything done through it commits or rolls back together."""

    async def get_account(self, account_id: str) -> Account | None: ...
    async def get_account_by_email(self, email: str) -> Account | None: ...
    async def insert_account(self, account: Account) -> None: ...
    async def set_phone_verified(self, account_id: str, now: datetime) -> None: ...
    async def set_password_hash(self, account_id: str, password_hash: str) -> None: ...
    async def add_code_failure(self, account_id: str) -> tuple[int, int]: ...
    async def set_code_lockout(
        self, account_id: str, streak: int, lockouts: int, locked_until: datetime | None
    ) -> None: ...

    async def insert_challenge(self, challenge: Challenge, ctx: RequestContext) -> None: ...
    async def get_challenge(self, challenge_id: str) -> Challenge | None: ...
    async def claim_attempt(self, challenge_id: str, now: datetime) -> Challenge | None: ...
    async def approve_challenge(self, challenge_id: str, now: datetime) -> bool: ...
    async def end_challenge(
        self, challenge_id: str, status: str, now: datetime, from_status: str = ...
    ) -> bool: ...
    async def replace_code(
        self, challenge_id: str, digest: str, sends_before: int, now: datetime, expires_at: datetime
    ) -> bool: ...
    async def cancel_pending(
        self, account_id: str, purpose: Purpose, now: datetime, keep: str | None = None
    ) -> None: ...

    async def insert_session(
        self, session: Session, token_hash: str, device_id: str | None
    ) -> None: ...
    async def get_session_by_token_hash(self, token_hash: str) -> Session | None: ...
    async def touch_session(self, session_id: str, now: datetime) -> None: ...
    async def revoke_session(self, session_id: str, now: datetime) -> bool: ...

    async def insert_device(self, device: Device, token_hash: str) -> None: ...
    async def get_device_by_token_hash(self, token_hash: str) -> Device | None: ...
    async def touch_device(self, device_id: str, now: datetime) -> None: ...

    async def insert_sms(self, record: SmsRecord) -> None: ...
    async def add_event(self, event: SecurityEvent) -> None: ...
    async def list_events(
        self, account_id: str, limit: int, before_id: int | None = None
    ) -> Sequence[SecurityEvent]: ...


class StepUpTransaction(Transaction, Protocol):
    """What step-up changes need on top of ``Transaction`` (same transaction object)."""

    def savepoint(self) -> AbstractAsyncContextManager[None]: ...
    async def update_account(self, account_id: str, values: dict[str, Any]) -> None: ...
    async def revoke_sessions(
        self, account_id: str, now: datetime, keep: str | None = None
    ) -> int: ...
    async def revoke_devices(self, account_id: str, now: datetime) -> int: ...
    async def revoke_device(self, account_id: str, device_id: str, now: datetime) -> bool: ...
    async def revoke_account_session(
        self, account_id: str, session_id: str, now: datetime
    ) -> bool: ...
    async def list_sessions(self, account_id: str, now: datetime) -> Sequence[Session]: ...
    async def list_devices(self, account_id: str, now: datetime) -> Sequence[Device]: ...
    async def expire_overdue(self, account_id: str, now: datetime) -> Sequence[Challenge]: ...
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
    ) -> bool: ...
    async def delete_address(self, account_id: str, address_id: str, version: int) -> bool: ...
    async def list_cards(self, account_id: str) -> Sequence[PaymentMethod]: ...
    async def get_card(self, account_id: str, card_id: str) -> PaymentMethod | None: ...
    async def insert_card(self, card: PaymentMethod, now: datetime) -> None: ...
    async def update_card(
        self, account_id: str, card_id: str, version: int, values: dict[str, Any], now: datetime
    ) -> bool: ...
    async def delete_card(self, account_id: str, card_id: str, version: int) -> bool: ...


class Store(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[StepUpTransaction]:
        """Open a transaction: committed when the block ends, rolled back if it raises."""
        ...

    async def ping(self) -> bool:
        """Whether the database answers."""
        ...


class Metrics(Protocol):
    def incr(self, name: str, **labels: str) -> None:
        """Count one occurrence of ``name`` (a counter declared by the adapter)."""
        ...


class NoMetrics:
    """Metrics that go nowhere (unit tests, tools)."""

    def incr(self, name: str, **labels: str) -> None:
        return None
