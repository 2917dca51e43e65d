"""Security events as the shop's webhook receiver sees them (DESIGN §5.4).

    {"type": "code.failed", "id": "evt_...", "created_at": "2026-11-25T19:35:30Z",
     "account_id": "acc_...", "data": {"outcome": "wrong_code", "challenge_id": "ch_...", ...}}

``data`` is built from an allow-list per event type, never from whatever an event happens to
carry: a detail a later change adds to an event stays out of the webhook until it is added
here on purpose. Nothing on these lists is a code, password, token or card number (S50);
``tests/api/test_events_webhook.py`` scans every delivered webhook for them.
"""

from __future__ import annotations

from typing import Any

from otpgate.domain.accounts import EventType, SecurityEvent

# Every event says what happened and from where.
COMMON = ("ip", "user_agent")
_CHALLENGE = ("challenge_id", "purpose", "api_key_id")
_VERIFICATION = ("verification_id", "api_key_id", "summary", "details_sha256")

ALLOWED: dict[EventType, tuple[str, ...]] = {
    EventType.ACCOUNT_REGISTERED: (),
    EventType.PHONE_VERIFIED: ("challenge_id",),
    EventType.SIGNIN_PASSWORD_FAILED: (),
    EventType.SIGNIN_PASSWORD_OK: (),
    EventType.SIGNIN_SUCCEEDED: ("session_id", "purpose", "trusted_device"),
    EventType.SIGNIN_TRUSTED_DEVICE: ("session_id", "device_id"),
    EventType.CODE_SENT: (*_CHALLENGE, "send"),
    EventType.CODE_FAILED: (*_CHALLENGE, "remaining"),
    EventType.CODE_APPROVED: _CHALLENGE,
    EventType.CHALLENGE_FAILED: (*_CHALLENGE, "summary"),
    EventType.CHALLENGE_EXPIRED: (*_CHALLENGE, "summary"),
    EventType.LOCKOUT_CODES: (*_CHALLENGE, "until"),
    EventType.RATE_LIMITED: ("rule", "key"),
    EventType.SESSION_SIGNED_OUT: ("session_id",),
    EventType.SMS_FAILED: ("message_id", "challenge_id", "provider", "reason"),
    EventType.STEP_UP_REQUESTED: ("challenge_id", "action", "summary"),
    EventType.STEP_UP_APPLIED: ("challenge_id", "action", "summary"),
    EventType.STEP_UP_REFUSED: (*_CHALLENGE, "action", "summary"),
    EventType.PASSWORD_CHANGE_FAILED: ("session_id",),
    EventType.CHANGE_APPLIED: ("signed_out", "devices", "phone"),
    EventType.SESSION_REVOKED: ("session_id", "others"),
    EventType.DEVICE_FORGOTTEN: ("device_id",),
    EventType.VERIFICATION_CREATED: (*_VERIFICATION, "channel", "destination"),
    EventType.VERIFICATION_APPROVED: (*_VERIFICATION, "jti"),
    EventType.VERIFICATION_FAILED: (*_VERIFICATION, "reason", "attempts_remaining"),
    EventType.VERIFICATION_CANCELED: _VERIFICATION,
    EventType.API_KEY_CREATED: ("api_key_id", "name", "scopes"),
    EventType.API_KEY_REVOKED: ("api_key_id", "name"),
    # Sign-in methods: which one, never its secret, codes or credential.
    EventType.FACTOR_ADDED: ("factor_id", "factor_kind", "label", "status", "replaced"),
    EventType.FACTOR_CONFIRMED: ("factor_id", "factor_kind", "label"),
    EventType.FACTOR_REMOVED: ("factor_id", "factor_kind", "label"),
    EventType.PASSKEY_REFUSED: ("challenge_id", "factor_id", "reason"),
    EventType.OIDC_AUTHORIZED: ("client_id", "session_id", "scope", "acr"),
    EventType.OIDC_TOKEN_ISSUED: ("client_id", "grant_type", "scope"),
    EventType.OIDC_CODE_REPLAYED: ("client_id", "revoked"),
    EventType.OIDC_REFRESH_REUSED: ("client_id", "revoked"),
    EventType.OIDC_TOKEN_REVOKED: ("client_id", "token_kind"),
    EventType.OIDC_LOGOUT: ("client_id", "session_id"),
    EventType.OIDC_CLIENT_CREATED: ("client_id", "name"),
    EventType.OIDC_CLIENT_DELETED: ("client_id",),
    # The address itself is never sent: only that it was proven, or is waiting to be.
    EventType.EMAIL_CONFIRMED: ("changed",),
    EventType.EMAIL_CHANGE_PENDING: (),
    EventType.RECOVERY_REQUESTED: ("recovery_id",),
    EventType.RECOVERY_STARTED: ("recovery_id", "ready_at"),
    EventType.RECOVERY_CANCELED: ("recovery_id", "by"),
    EventType.RECOVERY_COMPLETED: ("recovery_id", "signed_out", "devices", "app_tokens", "factors"),
    # An operator's ``otpgate accounts ...``: which action, and what it ended.
    EventType.ACCOUNT_UNLOCKED: ("by", "action", "code_pause_lifted"),
    EventType.ACCOUNT_SIGNED_OUT: ("by", "action", "sessions", "devices", "app_tokens"),
    EventType.ACCOUNT_DISABLED: ("by", "action", "sessions", "devices", "app_tokens"),
    EventType.ACCOUNT_ENABLED: ("by", "action"),
}


def webhook_data(event: SecurityEvent) -> dict[str, Any]:
    """The event's ``data``: its outcome, where it came from, and the allowed details only."""
    data: dict[str, Any] = {"outcome": event.outcome}
    for name in COMMON:
        value = getattr(event, name)
        if value is not None:
            data[name] = value
    for name in ALLOWED.get(event.type, ()):
        if name in event.details and event.details[name] is not None:
            data[name] = event.details[name]
    return data


def webhook_body(event_id: str, event: SecurityEvent) -> dict[str, Any]:
    """The JSON a receiver gets for ``event`` (``event_id`` is also the ``webhook-id``)."""
    created = event.created_at
    return {
        "type": event.type.value,
        "id": event_id,
        "created_at": created.isoformat().replace("+00:00", "Z") if created else None,
        "account_id": event.account_id,
        "data": webhook_data(event),
    }
