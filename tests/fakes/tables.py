"""What the in-memory store keeps, and the WHERE clauses its repositories share.

The rows are shared by the storage fake (``storage.py``) and the delivery-ledger fake.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any, Generic, TypeVar

from otpgate.domain.accounts import Account, Device, SecurityEvent, Session
from otpgate.domain.addresses import Address
from otpgate.domain.api_keys import ApiKey
from otpgate.domain.cards import PaymentMethod
from otpgate.domain.challenges import Challenge
from otpgate.services.api_storage import CodePause, IdempotencyRecord, StoredSigningKey
from otpgate.services.storage import Ceremony, MessageRecord

V = TypeVar("V")


class IntegrityViolation(Exception):
    """A write SQL would refuse with ``IntegrityError`` (a missing row a foreign key names, a
    duplicate key): a bug in the caller, not a domain error."""


@dataclass
class Row(Generic[V]):
    """A stored value with the columns its domain value does not carry."""

    value: V
    key: str = ""  # the token hash of a session or device
    created_at: datetime | None = None  # what the wallet lists by


@dataclass
class StoredMessage:
    """A ``messages`` row: the outbox record and the columns delivery moves."""

    record: MessageRecord
    status: str
    updated_at: datetime
    body_sealed: bytes | None
    attempts: int = 0
    rounds: int = 0
    provider: str | None = None
    provider_message_id: str | None = None
    error: str | None = None
    sent_at: datetime | None = None
    finished_at: datetime | None = None
    next_attempt_at: datetime | None = None


@dataclass
class StoredAttempt:
    """A ``message_attempts`` row."""

    id: int
    message_id: str
    number: int
    provider: str
    outcome: str
    started_at: datetime
    finished_at: datetime | None = None
    error: str | None = None
    provider_message_id: str | None = None


@dataclass
class StoredFactor:
    """A ``factors`` row (``adapters/storage/models.py``)."""

    id: str
    account_id: str
    kind: str
    label: str
    status: str
    created_at: datetime
    confirmed_at: datetime | None = None
    last_used_at: datetime | None = None
    secret_sealed: bytes | None = None
    totp_last_step: int | None = None
    credential_id: str | None = None
    public_key: bytes | None = None
    sign_count: int | None = None
    user_handle: str | None = None
    transports: str | None = None


@dataclass
class StoredCode:
    """A ``backup_codes`` row."""

    factor_id: str
    digest: str
    used_at: datetime | None = None


@dataclass
class Tables:
    accounts: dict[str, Account] = field(default_factory=dict)
    challenges: dict[str, Challenge] = field(default_factory=dict)
    sessions: dict[str, Row[Session]] = field(default_factory=dict)
    devices: dict[str, Row[Device]] = field(default_factory=dict)
    messages: dict[str, StoredMessage] = field(default_factory=dict)
    attempts: list[StoredAttempt] = field(default_factory=list)
    # Ids are max + 1, as SQLite gives them (PostgreSQL's sequences leave gaps on rollback).
    events: list[SecurityEvent] = field(default_factory=list)
    addresses: dict[str, Row[Address]] = field(default_factory=dict)
    cards: dict[str, Row[PaymentMethod]] = field(default_factory=dict)
    factors: dict[str, StoredFactor] = field(default_factory=dict)
    backup_codes: list[StoredCode] = field(default_factory=list)
    ceremonies: dict[str, Ceremony] = field(default_factory=dict)
    api_keys: dict[str, tuple[ApiKey, str]] = field(default_factory=dict)  # id: (key, hash)
    idempotency: dict[tuple[str, str], IdempotencyRecord] = field(default_factory=dict)
    number_pauses: dict[str, CodePause] = field(default_factory=dict)
    signing_keys: dict[str, StoredSigningKey] = field(default_factory=dict)

    def restore(self, snapshot: Tables) -> None:
        for column in fields(self):
            setattr(self, column.name, getattr(snapshot, column.name))


def require(present: object, what: str) -> None:
    if not present:
        raise IntegrityViolation(what)


def add_event(tables: Tables, event: SecurityEvent) -> None:
    """``INSERT INTO events``, shared with the delivery ledger fake (rows.event_columns)."""
    require(event.account_id is None or event.account_id in tables.accounts, "events.account_id")
    stored = replace(
        event,
        id=len(tables.events) + 1,
        ip=(event.ip or "")[:64] or None,
        user_agent=(event.user_agent or "")[:300] or None,
        details=json.loads(json.dumps(event.details)),  # a JSON column
    )
    tables.events.append(stored)


# -- the WHERE clauses the SQL repositories share --------------------------------------------


def owned(table: dict[str, Row[Any]], row_id: str, account_id: str) -> Row[Any] | None:
    """``WHERE id = :id AND account_id = :account_id``."""
    row = table.get(row_id)
    return row if row is not None and row.value.account_id == account_id else None


def revoke(row: Row[Any], now: datetime) -> bool:
    """``UPDATE ... SET revoked_at = now WHERE revoked_at IS NULL``: whether it matched."""
    if row.value.revoked_at is not None:
        return False
    row.value = replace(row.value, revoked_at=now)
    return True


def live_of(rows: Any, account_id: str, now: datetime) -> list[Any]:
    """The account's ``WHERE revoked_at IS NULL AND expires_at > now`` (sessions, devices)."""
    return [
        r.value
        for r in rows
        if r.value.account_id == account_id
        and r.value.revoked_at is None
        and r.value.expires_at > now
    ]


def listed(table: dict[str, Row[Any]], account_id: str) -> list[Any]:
    """``ORDER BY is_default DESC, created_at``."""
    mine = [r for r in table.values() if r.value.account_id == account_id]
    mine.sort(key=lambda r: (not r.value.is_default, r.created_at))
    return [r.value for r in mine]


def versioned_row(
    table: dict[str, Row[Any]], account_id: str, row_id: str, version: int
) -> Row[Any] | None:
    row = owned(table, row_id, account_id)
    return row if row is not None and row.value.version == version else None


def versioned_update(
    table: dict[str, Row[Any]], account_id: str, row_id: str, version: int, **values: Any
) -> bool:
    row = versioned_row(table, account_id, row_id, version)
    if row is None:
        return False
    row.value = replace(row.value, version=version + 1, **values)
    if values.get("is_default"):
        clear_default(table, account_id, keep=row_id)
    return True


def versioned_delete(
    table: dict[str, Row[Any]], account_id: str, row_id: str, version: int
) -> bool:
    if versioned_row(table, account_id, row_id, version) is None:
        return False
    del table[row_id]
    return True


def clear_default(table: dict[str, Row[Any]], account_id: str, keep: str | None = None) -> None:
    # Not a version bump: losing the default flag does not make a pending edit stale.
    for row in table.values():
        if row.value.account_id == account_id and row.value.is_default and row.value.id != keep:
            row.value = replace(row.value, is_default=False)
