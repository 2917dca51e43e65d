"""Request and response bodies of the JSON API (with the examples OpenAPI shows)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from otpgate.domain.challenges import Challenge
from otpgate.domain.phones import mask
from otpgate.domain.policy import OtpPolicy

# The schema says what the app checks before anything else (and pydantic enforces exactly
# that): an empty name or a 63-digit "phone" is refused here, not promised and then refused.
# The domain adds the rules a schema can't say (a valid mobile number, a strong password).
Name = Field(min_length=1, max_length=200)
Email = Field(min_length=1, max_length=320)
Password = Field(min_length=1, max_length=1024)
NewPassword = Field(min_length=8, max_length=1024)
Phone = Field(
    min_length=1,
    max_length=32,
    pattern=r"^[0-9+ ().\-]+$",
    description="A mobile number, best in international form: +14155552671",
)
Token = Field(default=None, max_length=200)


class Body(BaseModel):
    # strict: JSON types as they are (``remember_device: 0`` is not a boolean, "8" not a month).
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, strict=True)


class RegisterIn(Body):
    name: str = Name
    email: str = Email
    password: str = NewPassword
    phone: str = Phone

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "name": "Ada Lovelace",
                    "email": "ada@example.com",
                    "password": "correct horse battery staple",
                    "phone": "+14155552671",
                }
            ]
        },
    )


class SignInIn(Body):
    email: str = Email
    password: str = Password
    device_token: str | None = Token
    remember_device: bool = False

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [{"email": "ada@example.com", "password": "correct horse battery staple"}]
        },
    )


class VerifyIn(Body):
    # ``code`` for every factor but a passkey, which sends its assertion as ``credential``
    # (what the browser's ``PublicKeyCredential.toJSON()`` gives).
    factor: Literal["sms_code", "voice_code", "totp", "backup_code", "passkey"] = "sms_code"
    code: str | None = Field(None, min_length=1, max_length=32)
    credential: dict[str, Any] | None = None
    remember_device: bool = False

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {"code": "123456"},
                {"factor": "totp", "code": "287082"},
                {"factor": "backup_code", "code": "2bx7k-9mqpa"},
            ]
        },
    )


class ResendIn(Body):
    channel: Literal["sms", "voice"] = "sms"


class ActionOut(BaseModel):
    type: str
    summary: str


class ChallengeOut(BaseModel):
    id: str
    purpose: str
    status: str
    channel: str = "sms"
    destination: str
    expires_at: datetime
    attempts_remaining: int
    resend_available_at: datetime | None
    action: ActionOut | None = None
    # Where the latest SMS stands: queued, sending, sent, delivered, undelivered, failed,
    # abandoned (not sent before the code expired) or unknown (may or may not have gone out).
    delivery_status: str | None = None
    # The factors that may answer it ("Try another way"); always sms_code first.
    factors_available: list[str] = Field(default_factory=lambda: ["sms_code"])

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "ch_9Hq2F0n3kqk1y3Hn5Vx0bJ7pWm8sL2aR",
                    "purpose": "sign_in",
                    "status": "pending",
                    "channel": "sms",
                    "destination": "+1 ••• ••• ••71",
                    "expires_at": "2026-11-25T19:40:00Z",
                    "attempts_remaining": 5,
                    "resend_available_at": "2026-11-25T19:35:30Z",
                    "delivery_status": "sent",
                    "factors_available": ["sms_code", "voice_code", "totp", "backup_code"],
                }
            ]
        }
    )

    @classmethod
    def of(
        cls,
        challenge: Challenge,
        policy: OtpPolicy,
        now: datetime,
        factors: Sequence[str] = ("sms_code",),
    ) -> ChallengeOut:
        status = challenge.effective_status(now)
        action = None
        if challenge.action is not None and challenge.action.summary:
            action = ActionOut(type=challenge.action.type.value, summary=challenge.action.summary)
        return cls(
            id=challenge.id,
            purpose=challenge.purpose.value,
            status=status.value,
            destination=mask(challenge.destination),
            expires_at=challenge.expires_at,
            attempts_remaining=challenge.attempts_remaining,
            resend_available_at=(
                challenge.resend_available_at(policy) if not status.is_terminal else None
            ),
            action=action,
            delivery_status=challenge.delivery_status,
            factors_available=list(factors),
        )


class SessionOut(BaseModel):
    token: str
    expires_at: datetime


class RegisteredOut(BaseModel):
    account_id: str
    challenge: ChallengeOut


class ChallengeEnvelope(BaseModel):
    challenge: ChallengeOut


class SessionEnvelope(BaseModel):
    session: SessionOut


class VerifiedOut(BaseModel):
    challenge: ChallengeOut
    session: SessionOut | None = None
    device_token: str | None = None
    result: dict[str, Any] | None = None
    next_challenge: ChallengeOut | None = None


class EventOut(BaseModel):
    id: str = Field(description="Opaque (`act_...`); ids sort as the events happened")
    type: str
    outcome: str
    ip: str | None
    user_agent: str | None
    created_at: datetime
    details: dict[str, Any]


class EventsOut(BaseModel):
    events: list[EventOut]
    has_more: bool = False
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page")
    next_before: int | None = Field(None, description="Deprecated: use `next_cursor`")


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details; ``code`` is stable and meant for programs."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldError] | None = Field(None, description="Invalid input: one per field")
    retry_after: int | None = Field(None, description="429: seconds until a retry may work")
    attempts_remaining: int | None = Field(None, description="Wrong code: tries left")
    limit: str | None = Field(
        None, description="rate_limited: the rule that refused (e.g. send_number), never its key"
    )
    request_id: str | None = Field(
        None, description="The same as the X-Request-Id header: quote it to support"
    )

    model_config = ConfigDict(extra="allow")
