"""Tables. Alembic migrations in ``migrations/`` create exactly these.

No code, password, token or card number is ever a column: codes and tokens are stored as
HMAC/SHA-256 digests, passwords as Argon2id hashes, SMS bodies with their code blanked out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in Python on every engine (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("email", String(254), nullable=False, unique=True),
    Column("phone", String(20), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("phone_verified", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("phone_verified_at", UTCDateTime),
    Column("code_fail_streak", Integer, nullable=False, default=0),
    Column("code_lockouts", Integer, nullable=False, default=0),
    Column("code_locked_until", UTCDateTime),
)

challenges = Table(
    "challenges",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id", ondelete="CASCADE")),
    Column("purpose", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("destination", String(20), nullable=False),
    Column("code_digest", String(64), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("max_attempts", Integer, nullable=False),
    Column("sends", Integer, nullable=False, default=1),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("last_sent_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime),
    # Who the challenge is for (``domain.challenges.Subject``): account, decoy or takeover. A
    # takeover keeps what it would give the account in ``action_payload`` until it ends.
    Column("subject", String(10), nullable=False, default="account", server_default="account"),
    Column("remember_device", Boolean, nullable=False, default=False),
    Column("session_id", String(40)),
    Column("action_type", String(40)),
    # Never cut (S42): as long as the words a code approves are.
    Column("action_summary", Text),
    Column("action_hash", String(64)),
    Column("action_payload", Text),
    Column("ip", String(64)),
    Column("user_agent", String(300)),
    Index(None, "account_id", "purpose", "status"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("account_id", String(40), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("device_id", String(40)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Column("ip", String(64)),
    Column("user_agent", String(300)),
    Index(None, "account_id"),
)

devices = Table(
    "devices",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("account_id", String(40), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime),
    Column("revoked_at", UTCDateTime),
    Column("user_agent", String(300)),
    Index(None, "account_id"),
)

# The transactional outbox of every channel (migration 0004 renamed it from sms_messages).
messages = Table(
    "messages",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("channel", String(10), nullable=False, default="sms", server_default="sms"),
    Column("challenge_id", String(40), ForeignKey("challenges.id", ondelete="SET NULL")),
    Column("to", String(20), nullable=False),
    Column("body_redacted", Text, nullable=False),
    Column("purpose", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("provider", String(20)),
    Column("provider_message_id", String(100)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("error", String(300)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # Delivery (migration 0002): the body sealed with AES-GCM for the durable queue, erased
    # once the message is final; when the code expires (never sent later than that).
    Column("account_id", String(40)),
    Column("expires_at", UTCDateTime),
    Column("body_sealed", LargeBinary),
    Column("sent_at", UTCDateTime),
    Column("finished_at", UTCDateTime),
    Column("rounds", Integer, nullable=False, default=0, server_default="0"),
    Column("next_attempt_at", UTCDateTime),
    Index(None, "challenge_id"),
    Index(None, "status"),
    Index(None, "provider_message_id"),
)

# One row per hand-over to a provider (migration 0002). ``error`` is our own wording, never
# the message body.
message_attempts = Table(
    "message_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "message_id",
        String(40),
        ForeignKey("messages.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("number", Integer, nullable=False),
    Column("provider", String(20), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("error", String(300)),
    Column("provider_message_id", String(100)),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Index(None, "message_id", "number"),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(40), ForeignKey("accounts.id", ondelete="CASCADE")),
    Column("type", String(40), nullable=False),
    Column("outcome", String(40), nullable=False),
    Column("ip", String(64)),
    Column("user_agent", String(300)),
    Column("details", JSON, nullable=False, default=dict),
    Column("created_at", UTCDateTime, nullable=False),
    Index(None, "account_id", "id"),
)

# -- step-up: the resources high-risk changes touch --------------------------------------

addresses = Table(
    "addresses",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("label", String(40), nullable=False, default=""),
    Column("full_name", String(100), nullable=False),
    Column("line1", String(120), nullable=False),
    Column("line2", String(120), nullable=False, default=""),
    Column("city", String(80), nullable=False),
    Column("region", String(80), nullable=False, default=""),
    Column("postal_code", String(20), nullable=False, default=""),
    Column("country", String(2), nullable=False),
    Column("phone", String(32), nullable=False, default=""),
    Column("instructions", String(500), nullable=False, default=""),
    Column("is_default", Boolean, nullable=False, default=False),
    Column("version", Integer, nullable=False, default=1),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index(None, "account_id"),
)

payment_methods = Table(
    "payment_methods",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("brand", String(20), nullable=False),
    Column("last4", String(4), nullable=False),
    Column("exp_month", Integer, nullable=False),
    Column("exp_year", Integer, nullable=False),
    Column("name_on_card", String(80), nullable=False),
    Column("billing_address_id", String(40), ForeignKey("addresses.id", ondelete="SET NULL")),
    # Keyed HMAC of the number, to refuse the same card twice; never the number itself.
    Column("fingerprint", String(64), nullable=False),
    Column("is_default", Boolean, nullable=False, default=False),
    Column("version", Integer, nullable=False, default=1),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("account_id", "fingerprint"),
    Index(None, "account_id"),
)
