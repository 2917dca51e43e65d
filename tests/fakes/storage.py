"""``MemoryStore``: the ``Store`` port in memory, with the SQL adapters' exact semantics.

``tests/storage/test_contract.py`` runs one set of tests on this store, on SQLite and on
PostgreSQL, so it cannot drift from ``adapters/storage``. What SQL does that no Protocol
docstring says is copied too, each with a comment naming the SQL it stands for.

Transactions are serialised by one lock (as SQLite's ``BEGIN IMMEDIATE`` serialises them) and
work on a deep copy of the tables, which replaces the committed tables only when the block
ends without an exception. Unlike SQL, a ``Conflict`` leaves the unit of work usable (on
PostgreSQL it aborts the transaction): callers that go on after one must use a savepoint.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

from otpgate.domain.accounts import Account, Device, SecurityEvent, Session
from otpgate.domain.actions import ActionType
from otpgate.domain.addresses import Address, AddressFields
from otpgate.domain.cards import PaymentMethod
from otpgate.domain.challenges import Challenge, Purpose, Status, StepUp, Takeover
from otpgate.domain.errors import Conflict
from otpgate.domain.policy import StreakRule
from otpgate.services.ports import RequestContext
from otpgate.services.storage import AccountChanges, CardChanges, Claim, MessageRecord
from tests.fakes.api_storage import (
    MemoryApiKeys,
    MemoryIdempotencyKeys,
    MemoryNumberPauses,
    MemorySigningKeys,
)
from tests.fakes.email import MemoryEmailLinks, MemoryRecoveries
from tests.fakes.factors import MemoryFactors, MemoryPasskeys
from tests.fakes.tables import (
    IntegrityViolation,
    Row,
    StoredMessage,
    Tables,
    add_event,
    clear_default,
    listed,
    live_of,
    owned,
    require,
    revoke,
    versioned_delete,
    versioned_row,
    versioned_update,
)

__all__ = ["IntegrityViolation", "MemoryStore", "MemoryUnitOfWork", "Tables"]

LISTED = 100  # adapters/storage/sessions.py: a list page never holds more than this


class _Repository:
    """A repository works on its unit of work's copy of the tables."""

    def __init__(self, tables: Tables) -> None:
        self.t = tables


def scrubbed(challenge: Challenge) -> Challenge:
    """An ended challenge, as ``rows.scrubbed_payload`` leaves it: a password change keeps no
    new hash, a takeover nothing of its payload (all of Takeover is in that column)."""
    if isinstance(challenge.subject, Takeover):
        challenge = replace(challenge, subject=Takeover("", "", "", ""))
    intent = challenge.intent
    if isinstance(intent, StepUp) and intent.action.type is ActionType.CHANGE_PASSWORD:
        # rows._intent reads a NULL payload as "{}"
        challenge = replace(
            challenge, intent=replace(intent, action=replace(intent.action, payload="{}"))
        )
    return challenge


class MemoryAccounts(_Repository):
    async def get(self, account_id: str) -> Account | None:
        return self.t.accounts.get(account_id)

    async def get_by_email(self, email: str) -> Account | None:
        return next((a for a in self.t.accounts.values() if a.email == email), None)

    async def insert(self, account: Account) -> None:
        if account.id in self.t.accounts or await self.get_by_email(account.email):
            raise Conflict("That email address can't be used.")
        # The INSERT sets the streak columns to 0 and leaves the lockout NULL.
        self.t.accounts[account.id] = replace(
            account, code_fail_streak=0, code_lockouts=0, code_locked_until=None
        )

    async def update(self, account_id: str, changes: AccountChanges) -> None:
        account = self.t.accounts.get(account_id)
        if account is None:
            return
        other = await self.get_by_email(changes.get("email", account.email))
        if other is not None and other.id != account_id:
            raise Conflict("That email address can't be used.")
        # phone_verified_at is a column no port reads back.
        values: dict[str, Any] = {
            k: v for k, v in changes.items() if k not in ("phone_verified_at", "email_verified_at")
        }
        self.t.accounts[account_id] = replace(account, **values)

    async def find_by_phone(self, phone: str) -> list[Account]:
        found = [a for a in self.t.accounts.values() if a.phone == phone]
        return sorted(found, key=lambda a: a.created_at)

    async def reset_streak(self, account_id: str) -> None:
        if (account := self.t.accounts.get(account_id)) is not None:
            self.t.accounts[account_id] = replace(
                account, code_fail_streak=0, code_lockouts=0, code_locked_until=None
            )


class MemoryChallenges(_Repository):
    async def insert(self, challenge: Challenge, ctx: RequestContext) -> None:
        require(challenge.id not in self.t.challenges, "challenges.id")
        account_id = challenge.account_id
        require(account_id is None or account_id in self.t.accounts, "challenges.account_id")
        self.t.challenges[challenge.id] = replace(challenge, delivery_status=None)

    async def get(self, challenge_id: str) -> Challenge | None:
        challenge = self.t.challenges.get(challenge_id)
        if challenge is None:
            return None
        # challenges.latest_delivery_status: ORDER BY created_at DESC, id DESC LIMIT 1
        mine = [m for m in self.t.messages.values() if m.record.challenge_id == challenge_id]
        newest = max(mine, key=lambda m: (m.record.created_at, m.record.id), default=None)
        return replace(challenge, delivery_status=newest.status if newest else None)

    def _where(self, challenge_id: str, **columns: Any) -> Challenge | None:
        """The challenge if every column has the value given (an UPDATE's WHERE)."""
        challenge = self.t.challenges.get(challenge_id)
        if challenge is None or any(getattr(challenge, k) != v for k, v in columns.items()):
            return None
        return challenge

    async def claim_attempt(
        self,
        challenge_id: str,
        now: datetime,
        *,
        session_id: str | None,
        streak: StreakRule,
        api_key_id: str | None = None,
    ) -> Claim:
        # adapters/storage/claims.py: nothing is claimed or counted unless every condition holds.
        challenge = self._where(challenge_id, status=Status.PENDING)
        if challenge is None or challenge.attempts >= challenge.max_attempts:
            return Claim(None)
        if challenge.expires_at <= now:  # WHERE expires_at > now
            return Claim(None)
        if challenge.purpose is Purpose.VERIFY or api_key_id is not None:
            if challenge.purpose is not Purpose.VERIFY or challenge.api_key_id != api_key_id:
                return Claim(None)
        elif challenge.purpose is Purpose.STEP_UP and challenge.session_id != session_id:
            return Claim(None)
        account = self.t.accounts.get(challenge.account_id or "")
        paused_until = account.code_locked_until if account is not None else None
        if paused_until is not None and paused_until > now:
            return Claim(None, paused_until=paused_until)
        # RETURNING the row without the delivery subquery: delivery_status stays None.
        claimed = replace(challenge, attempts=challenge.attempts + 1)
        self.t.challenges[challenge_id] = claimed
        if account is None:
            return Claim(claimed)
        outcome = streak.after(account.code_fail_streak, account.code_lockouts, now)
        self.t.accounts[account.id] = replace(
            account,
            code_fail_streak=outcome.streak,
            code_lockouts=outcome.lockouts,
            code_locked_until=outcome.locked_until or account.code_locked_until,
        )
        return Claim(claimed, pause_started=outcome.locked_until)

    async def approve(self, challenge_id: str, now: datetime) -> bool:
        return await self.end(challenge_id, Status.APPROVED, now)

    async def end(
        self,
        challenge_id: str,
        status: Status,
        now: datetime,
        from_status: Status = Status.PENDING,
    ) -> bool:
        challenge = self._where(challenge_id, status=from_status)
        if challenge is None:
            return False
        self.t.challenges[challenge_id] = scrubbed(replace(challenge, status=status))
        return True

    async def replace_code(
        self, challenge_id: str, digest: str, sends_before: int, now: datetime, expires_at: datetime
    ) -> Challenge | None:
        challenge = self._where(challenge_id, status=Status.PENDING, sends=sends_before)
        if challenge is None:
            return None
        renewed = replace(
            challenge,
            code_digest=digest,
            sends=sends_before + 1,
            last_sent_at=now,
            expires_at=expires_at,
        )
        self.t.challenges[challenge_id] = renewed
        return renewed

    def _pending_of(self, account_id: str) -> Iterator[Challenge]:
        for challenge in list(self.t.challenges.values()):
            if challenge.account_id == account_id and challenge.status is Status.PENDING:
                yield challenge

    async def cancel_pending(self, account_id: str, purpose: Purpose, now: datetime) -> None:
        for challenge in self._pending_of(account_id):
            if challenge.purpose is purpose:
                await self.end(challenge.id, Status.CANCELED, now)

    async def expire_overdue(self, account_id: str, now: datetime) -> Sequence[Challenge]:
        expired = []
        for challenge in self._pending_of(account_id):
            if challenge.expires_at <= now:
                await self.end(challenge.id, Status.EXPIRED, now)
                expired.append(self.t.challenges[challenge.id])
        return expired


class MemorySessions(_Repository):
    async def insert_session(
        self, session: Session, token_hash: str, device_id: str | None
    ) -> None:
        # The INSERT stores "" for a missing ip or user agent, and no revoked_at.
        ip, user_agent = (session.ip or "")[:64], (session.user_agent or "")[:300]
        stored = replace(session, ip=ip, user_agent=user_agent, revoked_at=None)
        self._keep(self.t.sessions, stored, token_hash)

    async def session_by_token_hash(self, token_hash: str) -> Session | None:
        return next((r.value for r in self.t.sessions.values() if r.key == token_hash), None)

    def _keep(self, table: dict[str, Row[Any]], value: Session | Device, token_hash: str) -> None:
        require(value.account_id in self.t.accounts, "account_id")
        require(value.id not in table, "id")
        require(all(r.key != token_hash for r in table.values()), "token_hash")
        table[value.id] = Row(value, key=token_hash)

    async def customer_by_token_hash(self, token_hash: str) -> tuple[Session, Account] | None:
        session = await self.session_by_token_hash(token_hash)
        if session is None:
            return None
        account = self.t.accounts.get(session.account_id)  # an inner JOIN
        return (session, account) if account is not None else None

    async def lock_session(self, session_id: str) -> Session | None:
        # Transactions here run one at a time already (the store's lock), like SQLite's.
        row = self.t.sessions.get(session_id)
        return row.value if row is not None else None

    async def touch_session(self, session_id: str, now: datetime) -> None:
        if (row := self.t.sessions.get(session_id)) is not None:
            row.value = replace(row.value, last_seen_at=now)

    async def revoke_session(self, session_id: str, now: datetime) -> bool:
        row = self.t.sessions.get(session_id)
        return row is not None and revoke(row, now)

    async def revoke_account_session(self, account_id: str, session_id: str, now: datetime) -> bool:
        row = owned(self.t.sessions, session_id, account_id)
        return row is not None and revoke(row, now)

    async def revoke_sessions(self, account_id: str, now: datetime, keep: str | None = None) -> int:
        # Every unrevoked session counts, expired or not (the UPDATE does not look at expiry).
        rows = [r for r in self.t.sessions.values() if r.value.account_id == account_id]
        return sum(revoke(r, now) for r in rows if r.value.id != keep)

    async def list_sessions(self, account_id: str, now: datetime) -> Sequence[Session]:
        found = live_of(self.t.sessions.values(), account_id, now)
        return sorted(found, key=lambda s: s.last_seen_at, reverse=True)[:LISTED]

    async def insert_device(self, device: Device, token_hash: str) -> None:
        stored = replace(device, last_used_at=None, revoked_at=None)
        self._keep(self.t.devices, stored, token_hash)

    async def device_by_token_hash(self, token_hash: str) -> Device | None:
        return next((r.value for r in self.t.devices.values() if r.key == token_hash), None)

    async def touch_device(self, device_id: str, now: datetime) -> None:
        if (row := self.t.devices.get(device_id)) is not None:
            row.value = replace(row.value, last_used_at=now)

    async def revoke_device(self, account_id: str, device_id: str, now: datetime) -> bool:
        row = owned(self.t.devices, device_id, account_id)
        return row is not None and revoke(row, now)

    async def revoke_devices(self, account_id: str, now: datetime) -> int:
        rows = [r for r in self.t.devices.values() if r.value.account_id == account_id]
        return sum(revoke(r, now) for r in rows)

    async def list_devices(self, account_id: str, now: datetime) -> Sequence[Device]:
        found = live_of(self.t.devices.values(), account_id, now)
        return sorted(found, key=lambda d: d.created_at, reverse=True)[:LISTED]


class MemoryMessages(_Repository):
    async def add(self, record: MessageRecord) -> None:
        require(record.id not in self.t.messages, "messages.id")
        challenge_id = record.challenge_id
        require(challenge_id is None or challenge_id in self.t.challenges, "messages.challenge_id")
        self.t.messages[record.id] = StoredMessage(
            record=record,
            status=record.status,
            updated_at=record.created_at,
            body_sealed=record.body_sealed,
        )


class MemoryAudit(_Repository):
    async def add(self, event: SecurityEvent) -> None:
        add_event(self.t, event)

    async def list(
        self, account_id: str, limit: int, before_id: int | None = None
    ) -> Sequence[SecurityEvent]:
        found = [
            replace(e, details=copy.deepcopy(e.details))
            for e in reversed(self.t.events)
            if e.account_id == account_id and (before_id is None or (e.id or 0) < before_id)
        ]
        return found[:limit]


class MemoryWallet(_Repository):
    async def list_addresses(self, account_id: str) -> Sequence[Address]:
        return listed(self.t.addresses, account_id)

    async def get_address(self, account_id: str, address_id: str) -> Address | None:
        row = owned(self.t.addresses, address_id, account_id)
        return row.value if row is not None else None

    async def insert_address(
        self,
        account_id: str,
        address_id: str,
        fields: AddressFields,
        is_default: bool,
        now: datetime,
    ) -> None:
        require(account_id in self.t.accounts, "addresses.account_id")
        require(address_id not in self.t.addresses, "addresses.id")
        if is_default:
            clear_default(self.t.addresses, account_id)
        address = Address(address_id, account_id, fields, is_default, version=1)
        self.t.addresses[address_id] = Row(address, created_at=now)

    async def update_address(
        self,
        account_id: str,
        address_id: str,
        version: int,
        fields: AddressFields,
        is_default: bool,
        now: datetime,
    ) -> bool:
        return versioned_update(
            self.t.addresses, account_id, address_id, version, fields=fields, is_default=is_default
        )

    async def delete_address(self, account_id: str, address_id: str, version: int) -> bool:
        if not versioned_delete(self.t.addresses, account_id, address_id, version):
            return False
        # payment_methods.billing_address_id is ON DELETE SET NULL.
        for row in self.t.cards.values():
            if row.value.billing_address_id == address_id:
                row.value = replace(row.value, billing_address_id=None)
        return True

    async def list_cards(self, account_id: str) -> Sequence[PaymentMethod]:
        return listed(self.t.cards, account_id)

    async def get_card(self, account_id: str, card_id: str) -> PaymentMethod | None:
        row = owned(self.t.cards, card_id, account_id)
        return row.value if row is not None else None

    async def insert_card(self, card: PaymentMethod, now: datetime) -> None:
        # Every IntegrityError of this INSERT (a duplicate, a missing account or billing
        # address) becomes Conflict.
        if (
            card.id in self.t.cards
            or card.account_id not in self.t.accounts
            or not self._billing_exists(card.billing_address_id)
            or any(
                r.value.account_id == card.account_id and r.value.fingerprint == card.fingerprint
                for r in self.t.cards.values()
            )
        ):
            raise Conflict("This card is already in your account.")
        self.t.cards[card.id] = Row(replace(card, version=1), created_at=now)
        if card.is_default:
            clear_default(self.t.cards, card.account_id, keep=card.id)

    async def update_card(
        self, account_id: str, card_id: str, version: int, changes: CardChanges, now: datetime
    ) -> bool:
        # Unlike insert_card, an IntegrityError of this UPDATE is not mapped to Conflict.
        matched = versioned_row(self.t.cards, account_id, card_id, version) is not None
        billing = changes.get("billing_address_id")
        require(not matched or self._billing_exists(billing), "billing_address_id")
        return versioned_update(self.t.cards, account_id, card_id, version, **changes)

    async def delete_card(self, account_id: str, card_id: str, version: int) -> bool:
        return versioned_delete(self.t.cards, account_id, card_id, version)

    def _billing_exists(self, address_id: str | None) -> bool:
        return address_id is None or address_id in self.t.addresses


class MemoryOAuth(_Repository):
    """What the sign-in use cases write of ``uow.oauth``: how each session signed in. The
    rest of the OpenID Connect storage is tested on SQL only (tests/api/test_oidc_*.py)."""

    async def record_sign_in(self, session_id: str, facts: Any) -> None:
        self.t.session_auths[session_id] = facts

    async def sign_in_of(self, session_id: str) -> Any:
        return self.t.session_auths.get(session_id)

    async def revoke_account(self, account_id: str, now: Any) -> int:
        return 0  # no app tokens are issued on the fakes


class MemoryUnitOfWork:
    """Implements ``services.storage.UnitOfWork`` on a working copy of the tables."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        self.accounts = MemoryAccounts(tables)
        self.challenges = MemoryChallenges(tables)
        self.sessions = MemorySessions(tables)
        self.messages = MemoryMessages(tables)
        self.audit = MemoryAudit(tables)
        self.wallet = MemoryWallet(tables)
        self.factors = MemoryFactors(tables)
        self.passkeys = MemoryPasskeys(tables)
        self.api_keys = MemoryApiKeys(tables)
        self.idempotency = MemoryIdempotencyKeys(tables)
        self.number_pauses = MemoryNumberPauses(tables)
        self.signing_keys = MemorySigningKeys(tables)
        self.oauth = MemoryOAuth(tables)
        self.email_links = MemoryEmailLinks(tables)
        self.recoveries = MemoryRecoveries(tables)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        snapshot = copy.deepcopy(self.tables)
        try:
            yield
        except BaseException:
            self.tables.restore(snapshot)
            raise


class MemoryStore:
    """Implements ``services.storage.Store``; ``tables`` are the committed rows (tests may
    read them, or change them to play a concurrent writer)."""

    def __init__(self) -> None:
        self.tables = Tables()
        self._lock = asyncio.Lock()
        self._holder: asyncio.Task[Any] | None = None

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[Tables]:
        """One transaction on a copy of the tables (the delivery ledger fake uses it too)."""
        if self._holder is not None and self._holder is asyncio.current_task():
            # On SQLite the inner BEGIN IMMEDIATE would wait for the outer one: a deadlock.
            raise RuntimeError("a transaction was opened inside another one")
        async with self._lock:
            self._holder = asyncio.current_task()
            try:
                work = copy.deepcopy(self.tables)
                yield work
                self.tables = work
            finally:
                self._holder = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[MemoryUnitOfWork]:
        async with self.begin() as tables:
            yield MemoryUnitOfWork(tables)

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[MemoryUnitOfWork]:
        # Each SQL statement commits alone; here the whole block does, which no caller can
        # tell apart (they only use autocommit for statements that stand alone).
        async with self.transaction() as uow:
            yield uow

    async def ping(self) -> bool:
        return True
