"""Bodies of the verification API (DESIGN §5.2), with the examples and error codes OpenAPI
shows."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from otpgate.domain.challenges import Challenge, Verification
from otpgate.domain.phones import mask
from otpgate.domain.policy import OtpPolicy
from otpgate.web.api.common import PROBLEM

PAYMENT: dict[str, JsonValue] = {"amount": "1250.00", "currency": "EUR", "payee": "ACME GmbH"}


class VerificationIn(BaseModel):
    to: str | None = Field(None, max_length=64, description="E.164 mobile number")
    account_id: str | None = Field(None, max_length=64, description="An otpgate account")
    channel: Literal["sms", "voice"] | None = None
    summary: str | None = Field(None, max_length=1000, description="One line, ≤ 120 characters")
    details: dict[str, Any] | None = Field(None, description="Any JSON object, ≤ 4 KB")
    locale: str | None = Field(None, max_length=64)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"to": "+33612345678", "summary": "Pay €1,250.00 to ACME GmbH", "details": PAYMENT},
                {"account_id": "acc_3kq2Vx0bJ7pWm8sL", "summary": "Place order 10042"},
            ]
        },
    )


class CheckIn(BaseModel):
    code: str = Field(max_length=32)
    details: dict[str, Any] | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"code": "123456", "details": PAYMENT}]},
    )


class VerificationOut(BaseModel):
    id: str
    status: str
    channel: str = "sms"
    destination: str
    summary: str
    expires_at: datetime
    attempts_remaining: int
    resend_available_at: datetime | None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "ver_9Hq2F0n3kqk1y3Hn5Vx0bJ7pWm8sL2aR",
                    "status": "pending",
                    "channel": "sms",
                    "destination": "+33 • •• •• •• 78",
                    "summary": "Pay €1,250.00 to ACME GmbH",
                    "expires_at": "2026-11-25T19:40:00Z",
                    "attempts_remaining": 5,
                    "resend_available_at": "2026-11-25T19:35:30Z",
                }
            ]
        }
    )

    @classmethod
    def of(cls, challenge: Challenge, policy: OtpPolicy, now: datetime) -> VerificationOut:
        status = challenge.effective_status(now)
        intent = challenge.intent
        return cls(
            id=challenge.id,
            status=status.value,
            destination=mask(challenge.destination),
            summary=intent.summary if isinstance(intent, Verification) else "",
            expires_at=challenge.expires_at,
            attempts_remaining=challenge.attempts_remaining,
            resend_available_at=(
                challenge.resend_available_at(policy) if not status.is_terminal else None
            ),
        )


class VerificationEnvelope(BaseModel):
    verification: VerificationOut


class CheckedOut(BaseModel):
    verification: VerificationOut
    approval_token: str = Field(
        description="Compact JWS (ES256), verifiable with /.well-known/jwks.json; valid 5 minutes"
    )


# Every problem a route of this API may answer, by status, with its stable codes.
CODES: dict[int, tuple[str, list[str]]] = {
    400: ("Malformed JSON, or a wrong code", ["malformed_json", "invalid_code"]),
    401: ("No API key, or one that is unknown or revoked", ["invalid_api_key"]),
    403: (
        "A customer session token instead of an API key, or a key without the `verify` scope",
        ["api_key_required", "insufficient_scope"],
    ),
    404: ("No such verification for this key, or no such account", []),
    409: ("Conflict with the verification's state, or with an earlier request", []),
    410: (
        "The verification is over",
        ["challenge_expired", "challenge_failed", "challenge_canceled"],
    ),
    422: ("Invalid input; `errors` names the field", ["validation_error"]),
    429: (
        "Over a limit (the key's, a send cap, the resend cooldown, a code pause); see Retry-After",
        ["rate_limited", "resend_too_soon", "code_lockout"],
    ),
}


def api_problems(
    *statuses: int, extra: dict[int, list[str]] | None = None
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the problems a route may answer, each naming its codes."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        description, codes = CODES[status]
        codes = [*codes, *(extra or {}).get(status, [])]
        examples = {
            code: {
                "value": {
                    "type": f"/docs/errors#{code}",
                    "title": code.replace("_", " "),
                    "status": status,
                    "detail": "…",
                    "code": code,
                }
            }
            for code in codes
        }
        listed = ", ".join(f"`{code}`" for code in codes)
        out[status] = {
            **PROBLEM,
            "description": f"{description}. Codes: {listed}." if codes else description,
            "content": {"application/problem+json": {"examples": examples}},
        }
    return out
