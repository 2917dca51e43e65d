"""Tables. Alembic migrations in ``migrations/`` create exactly these.

No code, password, token or card number is ever a column: codes and tokens are stored as
HMAC/SHA-256 digests, passwords as Argon2id hashes, SMS bodies with their code blanked out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
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
    false,
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
    # Email ownership (migration 0009): an address is used for mail only once proven by a
    # link sent to it; a changed address waits in ``pending_email`` until its link is opened.
    Column("email_verified", Boolean, nullable=False, default=False, server_default=false()),
    Column("email_verified_at", UTCDateTime),
    Column("pending_email", String(254)),
    # Migration 0010: an operator's ``otpgate accounts disable``.
    Column("disabled_at", UTCDateTime),
    # Migration 0011: the language of its SMS and email (NULL: English).
    Column("language", String(8)),
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
    # A verification (purpose ``verify``, migration 0005): the API key that asked, the summary
    # its SMS names, and the canonical details a check must present again, with their hash.
    Column("api_key_id", String(40)),
    Column("verification_summary", String(200)),
    Column("details", Text),
    Column("details_sha256", String(64)),
    # Migration 0011: the language of its texts (NULL: English).
    Column("language", String(8)),
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
    # An E.164 number, or an email address (migration 0009 widened it).
    Column("to", String(254), nullable=False),
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

# -- the shop's applications: API keys, verifications, signing keys, event webhooks (0005) --

# A key's secret is never stored: only its SHA-256 (see adapters/storage/api_keys.py).
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("scopes", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
)

# Idempotency-Key per API key, hashed, with the hash of the body it came with (24 h).
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("api_key_id", String(40), primary_key=True),
    Column("key_hash", String(64), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    # Null while the first request with the key is still creating its verification.
    Column("verification_id", String(40)),
    Column("created_at", UTCDateTime, nullable=False),
    # Migration 0010: the customer API's keys (scope ``customer:<endpoint>``) keep the challenge
    # in verification_id and here the other id their answer names (a registration's account).
    Column("result", String(40)),
)

# Token signing keys: the private key sealed (AES-GCM) under the secret key, so every node
# signs alike; a retired key stays published until the tokens it signed have expired.
signing_keys = Table(
    "signing_keys",
    metadata,
    Column("kid", String(40), primary_key=True),
    Column("alg", String(10), nullable=False),
    Column("private_sealed", LargeBinary, nullable=False),
    Column("public_jwk", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("retired_at", UTCDateTime),
)

# Wrong codes in a row per number, for verifications to numbers no account owns (``to``).
number_pauses = Table(
    "number_pauses",
    metadata,
    Column("number_hash", String(64), primary_key=True),
    Column("code_fail_streak", Integer, nullable=False, default=0),
    Column("code_lockouts", Integer, nullable=False, default=0),
    Column("code_locked_until", UTCDateTime),
)

# The event webhooks' outbox: one row per security event, written with the event; ``lane``
# (the account, or "" for events of none) keeps deliveries in order per account.
webhook_events = Table(
    "webhook_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(40), nullable=False, unique=True),
    Column("lane", String(40), nullable=False),
    Column("type", String(40), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("lease_until", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime),
    Column("last_error", String(300)),
    Index(None, "status", "lane", "seq"),
)

# -- factors besides SMS (migration 0006) ------------------------------------------------

# One row per enrolled factor: an authenticator app (its secret sealed with AES-GCM, bound to
# the row's id, and the last time step it accepted), a passkey (credential id, COSE public
# key, signature counter, the account's WebAuthn user handle), or a set of backup codes.
factors = Table(
    "factors",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("label", String(100), nullable=False),
    Column("status", String(10), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("confirmed_at", UTCDateTime),
    Column("last_used_at", UTCDateTime),
    Column("secret_sealed", LargeBinary),
    Column("totp_last_step", BigInteger),
    Column("credential_id", String(1400), unique=True),
    Column("public_key", LargeBinary),
    Column("sign_count", BigInteger),
    Column("user_handle", String(100)),
    Column("transports", String(100)),
    Index(None, "account_id", "kind"),
)

# Backup codes as keyed HMAC digests (never the codes); ``used_at`` spends one, once.
backup_codes = Table(
    "backup_codes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("factor_id", String(40), ForeignKey("factors.id", ondelete="CASCADE"), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("used_at", UTCDateTime),
    Index(None, "factor_id", "digest"),
)

# WebAuthn challenges in flight, as SHA-256 digests: single use, a few minutes each.
passkey_ceremonies = Table(
    "passkey_ceremonies",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("purpose", String(10), nullable=False),
    Column("target_id", String(40), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index(None, "expires_at"),
)

# -- OpenID Connect provider (DESIGN §5.3) ----------------------------------------------------
# Clients of the shop's apps: a confidential client's secret as a SHA-256 digest (random, 256
# bits: no slow hash needed), its redirect URIs as a JSON list matched exactly.
oauth_clients = Table(
    "oauth_clients",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("secret_hash", String(64), unique=True),
    Column("public", Boolean, nullable=False, default=False),
    Column("consent", Boolean, nullable=False, default=False),
    Column("redirect_uris", Text, nullable=False),
    Column("post_logout_redirect_uris", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# Authorization codes as SHA-256 digests: single use (``used_at``), 60 s, bound to the client,
# the redirect URI and the PKCE challenge, with how the customer signed in (acr, amr).
oauth_codes = Table(
    "oauth_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column(
        "client_id", String(40), ForeignKey("oauth_clients.id", ondelete="CASCADE"), nullable=False
    ),
    Column("account_id", String(40), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("session_id", String(40)),
    Column("redirect_uri", Text, nullable=False),
    Column("scope", String(200), nullable=False),
    Column("nonce", String(255)),
    Column("code_challenge", String(128)),
    Column("code_challenge_method", String(10)),
    Column("auth_time", UTCDateTime, nullable=False),
    Column("acr", String(60), nullable=False),
    Column("amr", String(60), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
    Index(None, "expires_at"),
)

# Access and refresh tokens as SHA-256 digests. A refresh token is used once (``used_at``); its
# successors share its ``family_id``, so a reused one revokes them all. ``code_hash``: the
# code they came from (a replayed code revokes what it issued).
oauth_tokens = Table(
    "oauth_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("kind", String(10), nullable=False),
    Column(
        "client_id", String(40), ForeignKey("oauth_clients.id", ondelete="CASCADE"), nullable=False
    ),
    Column("account_id", String(40), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("session_id", String(40)),
    Column("scope", String(200), nullable=False),
    Column("family_id", String(40), nullable=False),
    Column("code_hash", String(64)),
    Column("auth_time", UTCDateTime, nullable=False),
    Column("acr", String(60), nullable=False),
    Column("amr", String(60), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
    Column("revoked_at", UTCDateTime),
    Index(None, "family_id"),
    Index(None, "code_hash"),
    Index(None, "account_id"),
    Index(None, "expires_at"),
)

# How each session was signed in: when the latest code was typed and with which factor (the
# ID token's auth_time, acr and amr).
session_auths = Table(
    "session_auths",
    metadata,
    Column(
        "session_id", String(40), ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("auth_time", UTCDateTime, nullable=False),
    Column("acr", String(60), nullable=False),
    Column("amr", String(60), nullable=False),
)

# Where a browser goes back after signing in (a local path, or an authorization request), kept
# here and named by a random handle in a cookie: never an open ``next=`` parameter.
sign_in_returns = Table(
    "sign_in_returns",
    metadata,
    Column("handle_hash", String(64), primary_key=True),
    Column("kind", String(10), nullable=False),
    Column("target", Text, nullable=False),
    Column("require_code", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
    Index(None, "expires_at"),
)

# Single-use links mailed (or texted) to a customer, stored as the SHA-256 of their token
# (migration 0009): confirm an address, start, cancel or finish a recovery.
email_links = Table(
    "email_links",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("purpose", String(20), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("email", String(254)),
    Column("target_id", String(40)),
    Column("channel", String(10)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
    Index(None, "account_id", "purpose"),
    Index(None, "target_id"),
)

# Recovery requests when the phone is lost (migration 0009): at most one open per account.
recoveries = Table(
    "recoveries",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(12), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("ready_at", UTCDateTime),
    Column("ended_at", UTCDateTime),
    Column("ended_by", String(20)),
    Column("challenge_id", String(40)),
    Index(None, "account_id", "status"),
    Index(None, "challenge_id"),
)
