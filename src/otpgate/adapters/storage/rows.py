"""Rows to domain values and back: every table's mapper, written once."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import case, null, or_

from otpgate.adapters.storage.models import challenges
from otpgate.domain.accounts import Account, Device, EventType, SecurityEvent, Session
from otpgate.domain.actions import ActionType, BoundAction, canonical_json
from otpgate.domain.addresses import Address, AddressFields
from otpgate.domain.cards import PaymentMethod
from otpgate.domain.challenges import (
    Challenge,
    ConfirmPhone,
    Decoy,
    ForAccount,
    ForNumber,
    Intent,
    Purpose,
    Recover,
    SignIn,
    Status,
    StepUp,
    Subject,
    Takeover,
    Verification,
)
from otpgate.domain.language import DEFAULT_LANGUAGE

ADDRESS_FIELDS = tuple(AddressFields.__dataclass_fields__)


def account(row: Mapping[Any, Any]) -> Account:
    return Account(
        id=row["id"],
        name=row["name"],
        email=row["email"],
        phone=row["phone"],
        password_hash=row["password_hash"],
        phone_verified=bool(row["phone_verified"]),
        created_at=row["created_at"],
        code_fail_streak=row["code_fail_streak"],
        code_lockouts=row["code_lockouts"],
        code_locked_until=row["code_locked_until"],
        email_verified=bool(row["email_verified"]),
        pending_email=row["pending_email"],
        disabled_at=row["disabled_at"],
        language=row["language"],
    )


# -- challenges: subject and intent in plain columns -----------------------------------------


def challenge_columns(challenge: Challenge) -> dict[str, Any]:
    """The columns that spell a challenge's subject and intent."""
    subject, intent = challenge.subject, challenge.intent
    values: dict[str, Any] = {
        "purpose": challenge.purpose.value,
        "account_id": challenge.account_id,
        "subject": "account",
        "remember_device": isinstance(intent, SignIn) and intent.remember_device,
        "session_id": None,
        "action_type": None,
        "action_summary": None,
        "action_hash": None,
        "action_payload": None,
        "api_key_id": None,
        "verification_summary": None,
        "details": None,
        "details_sha256": None,
        # English is NULL: the rows of before migration 0011 read the same.
        "language": None if challenge.language == DEFAULT_LANGUAGE else challenge.language,
    }
    if isinstance(subject, Decoy):
        values["subject"] = "decoy"
    elif isinstance(subject, ForNumber):
        values["subject"] = "number"
    elif isinstance(subject, Takeover):
        values["subject"] = "takeover"
        values["action_payload"] = canonical_json(
            {
                "account_id": subject.account_id,
                "name": subject.name,
                "phone": subject.phone,
                "password_hash": subject.password_hash,
            }
        )
    if isinstance(intent, StepUp):
        values |= {
            "session_id": intent.session_id,
            "action_type": intent.action.type.value,
            "action_summary": intent.action.summary,
            "action_hash": intent.action.hash,
            "action_payload": intent.action.payload,
        }
    elif isinstance(intent, Verification):
        values |= {
            "api_key_id": intent.api_key_id,
            "verification_summary": intent.summary,
            "details": intent.details,
            "details_sha256": intent.details_sha256,
        }
    return values


def _subject(row: Mapping[Any, Any]) -> Subject:
    kind = row["subject"]
    if kind == "decoy":
        return Decoy()
    if kind == "number":
        return ForNumber()
    if kind == "takeover":
        # An ended takeover no longer holds the password hash (see ``scrubbed_payload``).
        data = json.loads(row["action_payload"]) if row["action_payload"] else {}
        return Takeover(
            account_id=data.get("account_id", ""),
            name=data.get("name", ""),
            phone=data.get("phone", ""),
            password_hash=data.get("password_hash", ""),
        )
    return ForAccount(row["account_id"])


def _intent(row: Mapping[Any, Any]) -> Intent:
    purpose = Purpose(row["purpose"])
    if purpose is Purpose.SIGN_IN:
        return SignIn(remember_device=bool(row["remember_device"]))
    if purpose is Purpose.STEP_UP:
        return StepUp(
            session_id=row["session_id"],
            action=BoundAction(
                type=ActionType(row["action_type"]),
                summary=row["action_summary"] or "",
                payload=row["action_payload"] or "{}",
                hash=row["action_hash"] or "",
            ),
        )
    if purpose is Purpose.VERIFY:
        return Verification(
            api_key_id=row["api_key_id"] or "",
            summary=row["verification_summary"] or "",
            details=row["details"] or "{}",
            details_sha256=row["details_sha256"] or "",
        )
    if purpose is Purpose.RECOVER:
        return Recover()
    return ConfirmPhone()


def challenge(row: Mapping[Any, Any]) -> Challenge:
    return Challenge(
        id=row["id"],
        subject=_subject(row),
        intent=_intent(row),
        status=Status(row["status"]),
        destination=row["destination"],
        code_digest=row["code_digest"],
        attempts=row["attempts"],
        max_attempts=row["max_attempts"],
        sends=row["sends"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        last_sent_at=row["last_sent_at"],
        delivery_status=row.get("delivery_status"),
        language=row.get("language") or DEFAULT_LANGUAGE,
    )


def scrubbed_payload() -> Any:
    """The ``action_payload`` a challenge keeps after it ends: a password change's new hash and
    a takeover's password hash are applied by then (and live in ``accounts``) or never will be.
    """
    return case(
        (
            or_(
                challenges.c.action_type == ActionType.CHANGE_PASSWORD.value,
                challenges.c.subject == "takeover",
            ),
            null(),
        ),
        else_=challenges.c.action_payload,
    )


# -- sessions, devices, events -----------------------------------------------------------------


def session(row: Mapping[Any, Any]) -> Session:
    return Session(
        id=row["id"],
        account_id=row["account_id"],
        created_at=row["created_at"],
        last_seen_at=row["last_seen_at"],
        expires_at=row["expires_at"],
        ip=row["ip"],
        user_agent=row["user_agent"],
        revoked_at=row["revoked_at"],
    )


def device(row: Mapping[Any, Any]) -> Device:
    return Device(
        id=row["id"],
        account_id=row["account_id"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        user_agent=row["user_agent"],
        last_used_at=row["last_used_at"],
        revoked_at=row["revoked_at"],
    )


def event(row: Mapping[Any, Any]) -> SecurityEvent:
    return SecurityEvent(
        id=row["id"],
        type=EventType(row["type"]),
        outcome=row["outcome"],
        account_id=row["account_id"],
        ip=row["ip"],
        user_agent=row["user_agent"],
        details=dict(row["details"] or {}),
        created_at=row["created_at"],
    )


def event_columns(event: SecurityEvent) -> dict[str, Any]:
    return {
        "account_id": event.account_id,
        "type": event.type.value,
        "outcome": event.outcome,
        "ip": (event.ip or "")[:64] or None,
        "user_agent": (event.user_agent or "")[:300] or None,
        "details": event.details,
        "created_at": event.created_at,
    }


# -- the wallet ----------------------------------------------------------------------------------


def address(row: Mapping[Any, Any]) -> Address:
    return Address(
        id=row["id"],
        account_id=row["account_id"],
        fields=AddressFields(**{name: row[name] for name in ADDRESS_FIELDS}),
        is_default=bool(row["is_default"]),
        version=row["version"],
    )


def card(row: Mapping[Any, Any]) -> PaymentMethod:
    return PaymentMethod(
        id=row["id"],
        account_id=row["account_id"],
        brand=row["brand"],
        last4=row["last4"],
        exp_month=row["exp_month"],
        exp_year=row["exp_year"],
        name_on_card=row["name_on_card"],
        billing_address_id=row["billing_address_id"],
        fingerprint=row["fingerprint"],
        is_default=bool(row["is_default"]),
        version=row["version"],
    )
