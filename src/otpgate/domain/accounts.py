"""Accounts, sessions, trusted devices and security events as plain values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    name: str
    email: str
    phone: str
    password_hash: str
    phone_verified: bool
    created_at: datetime
    code_fail_streak: int = 0
    code_lockouts: int = 0
    code_locked_until: datetime | None = None
    # An address gets mail only once proven by a link sent to it (S57); a changed address
    # waits here until its link is opened.
    email_verified: bool = False
    pending_email: str | None = None
    # Set by an operator (``otpgate accounts disable``): no sign-in, no code, no session.
    disabled_at: datetime | None = None
    # The language its SMS and email are written in (``domain.language``); None is English.
    language: str | None = None


@dataclass(frozen=True, slots=True)
class Session:
    id: str
    account_id: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ip: str | None = None
    user_agent: str | None = None
    revoked_at: datetime | None = None

    def is_active(self, now: datetime, idle_seconds: int) -> bool:
        """Active while not revoked, within its absolute lifetime and its idle timeout (S21)."""
        if self.revoked_at is not None or now >= self.expires_at:
            return False
        return now < self.last_seen_at + timedelta(seconds=idle_seconds)


@dataclass(frozen=True, slots=True)
class Device:
    """A browser the customer chose to trust: it may skip the sign-in code, never a step-up."""

    id: str
    account_id: str
    created_at: datetime
    expires_at: datetime
    user_agent: str | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class EventType(StrEnum):
    ACCOUNT_REGISTERED = "account.registered"
    PHONE_VERIFIED = "phone.verified"
    SIGNIN_PASSWORD_FAILED = "signin.password_failed"
    SIGNIN_PASSWORD_OK = "signin.password_ok"
    SIGNIN_SUCCEEDED = "signin.succeeded"
    SIGNIN_TRUSTED_DEVICE = "signin.trusted_device"
    CODE_SENT = "code.sent"
    CODE_FAILED = "code.failed"
    CODE_APPROVED = "code.approved"
    CHALLENGE_FAILED = "challenge.failed"
    CHALLENGE_EXPIRED = "challenge.expired"
    LOCKOUT_CODES = "lockout.codes"
    RATE_LIMITED = "rate_limited"
    SESSION_SIGNED_OUT = "session.signed_out"
    SMS_FAILED = "sms.failed"
    STEP_UP_REQUESTED = "step_up.requested"
    PASSWORD_CHANGE_FAILED = "password_change.failed"
    STEP_UP_APPLIED = "step_up.applied"
    STEP_UP_REFUSED = "step_up.refused"
    CHANGE_APPLIED = "change.applied"
    SESSION_REVOKED = "session.revoked"
    DEVICE_FORGOTTEN = "device.forgotten"
    # The verification API and its keys (one of the shop's applications asking).
    VERIFICATION_CREATED = "verification.created"
    VERIFICATION_APPROVED = "verification.approved"
    VERIFICATION_FAILED = "verification.failed"
    VERIFICATION_CANCELED = "verification.canceled"
    API_KEY_CREATED = "api_key.created"
    API_KEY_REVOKED = "api_key.revoked"
    FACTOR_ADDED = "factor.added"
    FACTOR_CONFIRMED = "factor.confirmed"
    FACTOR_REMOVED = "factor.removed"
    PASSKEY_REFUSED = "passkey.refused"
    # The OpenID Connect provider (DESIGN §5.3).
    OIDC_AUTHORIZED = "oidc.authorized"
    OIDC_TOKEN_ISSUED = "oidc.token_issued"
    OIDC_CODE_REPLAYED = "oidc.code_replayed"
    OIDC_REFRESH_REUSED = "oidc.refresh_reused"
    OIDC_TOKEN_REVOKED = "oidc.token_revoked"
    OIDC_LOGOUT = "oidc.logout"
    OIDC_CLIENT_CREATED = "oidc.client_created"
    OIDC_CLIENT_DELETED = "oidc.client_deleted"
    # Email ownership and recovery (services/mail.py, services/recovery.py).
    EMAIL_CONFIRMED = "email.confirmed"
    EMAIL_CHANGE_PENDING = "email.change_pending"
    RECOVERY_REQUESTED = "recovery.requested"
    RECOVERY_STARTED = "recovery.started"
    RECOVERY_CANCELED = "recovery.canceled"
    RECOVERY_COMPLETED = "recovery.completed"
    # What an operator did from the CLI (``otpgate accounts ...``); details name the action.
    ACCOUNT_UNLOCKED = "account.unlocked"
    ACCOUNT_SIGNED_OUT = "account.signed_out"
    ACCOUNT_DISABLED = "account.disabled"
    ACCOUNT_ENABLED = "account.enabled"


@dataclass(frozen=True, slots=True)
class SecurityEvent:
    """One line of the audit trail. ``details`` never holds a code, password, token or card."""

    type: EventType
    outcome: str
    account_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    id: int | None = None
