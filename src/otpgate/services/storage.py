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
from otpgate.domain.factors import EnrolledFactor, FactorKind
from otpgate.domain.policy import StreakRule
from otpgate.services.api_storage import ApiKeys, IdempotencyKeys, NumberPauses, SigningKeys
from otpgate.services.email_storage import EmailLinks, Recoveries
from otpgate.services.oidc.storage import OAuthStore
from otpgate.services.ports import RequestContext


class AccountChanges(TypedDict, total=False):
    """Profile columns a change may set (the keys a step-up payload may carry)."""

    name: str
    email: str
    phone: str
    password_hash: str
    phone_verified: bool
    phone_verified_at: datetime
    email_verified: bool
    email_verified_at: datetime | None
    pending_email: str | None
    disabled_at: datetime | None
    language: str


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


@dataclass(frozen=True, slots=True)
class Claim:
    """What ``claim_attempt`` did: ``challenge`` when an attempt was spent (else None);
    ``paused_until`` when nothing was claimed because the account's codes are paused;
    ``pause_started`` when this very attempt reached the streak limit and paused them."""

    challenge: Challenge | None
    paused_until: datetime | None = None
    pause_started: datetime | None = None


class Accounts(Protocol):
    async def get(self, account_id: str) -> Account | None: ...
    async def get_by_email(self, email: str) -> Account | None: ...
    async def insert(self, account: Account) -> None:
        """Store a new account; an email another account has raises ``Conflict``."""
        ...

    async def update(self, account_id: str, changes: AccountChanges) -> None:
        """Set profile columns; an email another account has raises ``Conflict``."""
        ...

    async def find_by_phone(self, phone: str) -> Sequence[Account]:
        """Every account with this E.164 number (confirmed or not), oldest first."""
        ...

    async def reset_streak(self, account_id: str) -> None:
        """A right answer: the account's wrong-answer streak, its pause count and any pause
        are cleared (the streak itself is counted by ``Challenges.claim_attempt``)."""
        ...


class Challenges(Protocol):
    async def insert(self, challenge: Challenge, ctx: RequestContext) -> None: ...

    async def get(self, challenge_id: str) -> Challenge | None:
        """The challenge with the status of its newest message (``delivery_status``)."""
        ...

    async def claim_attempt(
        self,
        challenge_id: str,
        now: datetime,
        *,
        session_id: str | None,
        streak: StreakRule,
        api_key_id: str | None = None,
    ) -> Claim:
        """Spend one attempt before any comparison, atomically with the account's pause: the
        challenge must be pending, unexpired, with attempts left, asked for by its owner (a
        step-up by ``session_id``; a verification by ``api_key_id``, and nothing else by a
        key); its account's codes must not be paused. The claimed answer counts
        toward the account's streak at once (a right answer resets it), so under any
        concurrency at most ``streak.limit`` answers are compared per pause (S12, S43).
        Nothing is claimed, and nothing counted, when any condition fails."""
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
    ) -> Challenge | None:
        """A resend: the new code's digest, if nobody resent since ``sends_before``; the
        renewed challenge (without ``delivery_status``), or None."""
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

    async def customer_by_token_hash(self, token_hash: str) -> tuple[Session, Account] | None:
        """The session behind a token with its account, in one read (every signed-in
        request starts with it)."""
        ...

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
        """Apply ``fields`` if the address is still at ``version``; False when it moved on
        (and then nothing changes: the default stays where it was)."""
        ...

    async def delete_address(self, account_id: str, address_id: str, version: int) -> bool: ...
    async def list_cards(self, account_id: str) -> Sequence[PaymentMethod]: ...
    async def get_card(self, account_id: str, card_id: str) -> PaymentMethod | None: ...

    async def insert_card(self, card: PaymentMethod, now: datetime) -> None:
        """Store a card; the same card (fingerprint) twice raises ``Conflict``."""
        ...

    async def update_card(
        self, account_id: str, card_id: str, version: int, changes: CardChanges, now: datetime
    ) -> bool:
        """Apply ``changes`` if the card is still at ``version``; False (and no change) when
        it moved on."""
        ...

    async def delete_card(self, account_id: str, card_id: str, version: int) -> bool: ...


@dataclass(frozen=True, slots=True)
class TotpSecret:
    """An authenticator app's secret, sealed, and the last time step it accepted."""

    factor_id: str
    sealed: bytes
    last_step: int | None


@dataclass(frozen=True, slots=True)
class PasskeyCredential:
    """A registered passkey: its credential id and user handle (base64url), COSE public key
    and signature counter."""

    factor_id: str
    account_id: str
    credential_id: str
    public_key: bytes
    sign_count: int
    user_handle: str
    transports: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Ceremony:
    """A WebAuthn challenge we issued: kept as its SHA-256 (``digest``), for one ceremony
    (``register`` a pending passkey ``target_id``, or ``assert`` for challenge ``target_id``)
    of one account, until ``expires_at``; taken once."""

    digest: str
    account_id: str
    purpose: str
    target_id: str
    created_at: datetime
    expires_at: datetime


class Factors(Protocol):
    """The factors an account enrolled (authenticator apps, passkeys, backup codes)."""

    async def list(self, account_id: str) -> Sequence[EnrolledFactor]:
        """Every factor of the account, oldest first, backup codes with their ``remaining``."""
        ...

    async def get(self, account_id: str, factor_id: str) -> EnrolledFactor | None: ...

    async def insert(
        self, factor: EnrolledFactor, *, secret_sealed: bytes | None = None
    ) -> None: ...

    async def activate(self, account_id: str, factor_id: str, now: datetime) -> bool:
        """pending → active; False when it was not pending."""
        ...

    async def delete(self, account_id: str, factor_id: str) -> bool: ...

    async def delete_kind(self, account_id: str, kind: FactorKind, keep: str | None = None) -> int:
        """Remove the account's factors of ``kind`` but ``keep``; how many went."""
        ...

    async def totp_secret(self, account_id: str, factor_id: str | None = None) -> TotpSecret | None:
        """The given authenticator app (pending or active), or the active one."""
        ...

    async def use_totp_step(self, factor_id: str, step: int, now: datetime) -> bool:
        """Record ``step`` as used if it is newer than the last one (a conditional update):
        of two requests with right codes, one wins."""
        ...

    async def add_backup_codes(self, factor_id: str, digests: Sequence[str]) -> None: ...

    async def use_backup_code(self, account_id: str, digests: Sequence[str], now: datetime) -> bool:
        """Spend the unused code of the account's active set whose digest is one of
        ``digests``; False when there is none (wrong, or used already)."""
        ...


class Passkeys(Protocol):
    """Registered passkeys and the WebAuthn ceremonies in flight."""

    async def by_credential(self, credential_id: str) -> PasskeyCredential | None:
        """The active passkey with this credential id (base64url)."""
        ...

    async def of_account(self, account_id: str) -> Sequence[PasskeyCredential]: ...

    async def user_handle(self, account_id: str) -> str | None:
        """The WebAuthn user handle the account's passkeys share, if it has any."""
        ...

    async def register(self, credential: PasskeyCredential, now: datetime) -> bool:
        """Store the credential on its pending factor and make it active; False when the
        factor is no longer pending."""
        ...

    async def count_used(self, factor_id: str, old: int, new: int, now: datetime) -> bool:
        """Move the signature counter from ``old`` to ``new`` (conditional on ``old``)."""
        ...

    async def add_ceremony(self, ceremony: Ceremony) -> None: ...

    async def take_ceremony(
        self, digest: str, purpose: str, target_id: str, now: datetime
    ) -> Ceremony | None:
        """Remove and return the live ceremony ``digest`` for ``purpose``/``target_id``."""
        ...

    async def purge_ceremonies(self, now: datetime) -> None:
        """Forget ceremonies past their expiry."""
        ...


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
    # The shop's applications (services/api_storage.py).
    @property
    def api_keys(self) -> ApiKeys: ...
    @property
    def idempotency(self) -> IdempotencyKeys: ...
    @property
    def number_pauses(self) -> NumberPauses: ...
    @property
    def signing_keys(self) -> SigningKeys: ...
    @property
    def factors(self) -> Factors: ...
    @property
    def passkeys(self) -> Passkeys: ...
    # The OpenID Connect provider (services/oidc/storage.py).
    @property
    def oauth(self) -> OAuthStore: ...
    # Email ownership and recovery (services/email_storage.py).
    @property
    def email_links(self) -> EmailLinks: ...
    @property
    def recoveries(self) -> Recoveries: ...

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        """A nested transaction: what runs inside is undone alone if it raises."""
        ...


class Store(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """Open a unit of work: committed when the block ends, rolled back if it raises."""
        ...

    def autocommit(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """A unit of work whose statements each commit on their own (no BEGIN, no COMMIT:
        two round trips fewer on PostgreSQL). Only for work where every statement stands
        alone: a read, one conditional update, a batch of audit events."""
        ...

    async def ping(self) -> bool:
        """Whether the database answers."""
        ...
