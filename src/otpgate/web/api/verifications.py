"""The verification API for the shop's own applications (DESIGN §5.2): API keys only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, status
from fastapi.responses import JSONResponse

from otpgate.bootstrap import Runtime
from otpgate.domain.challenges import Challenge
from otpgate.services.verifications import NewVerification
from otpgate.web.api.verification_schemas import (
    CheckedOut,
    CheckIn,
    VerificationEnvelope,
    VerificationIn,
    VerificationOut,
    api_problems,
)
from otpgate.web.deps import ApiClientDep, ContextDep, RuntimeDep

router = APIRouter(tags=["verifications"])

VerificationId = Path(max_length=64, pattern=r"^ver_[A-Za-z0-9_-]+$")
AUTH = (401, 403)


def _envelope(runtime: Runtime, verification: Challenge, code: int, **headers: str) -> JSONResponse:
    out = VerificationEnvelope(
        verification=VerificationOut.of(verification, runtime.settings.policy, runtime.clock.now())
    )
    return JSONResponse(out.model_dump(mode="json"), status_code=code, headers=headers or None)


@router.post(
    "/verifications",
    status_code=status.HTTP_201_CREATED,
    response_model=VerificationEnvelope,
    responses=api_problems(
        400,
        *AUTH,
        404,
        409,
        422,
        429,
        extra={
            404: ["account_not_found"],
            409: ["phone_unconfirmed", "idempotency_key_reused", "idempotency_key_in_use"],
        },
    ),
    summary="Text a code bound to a summary and details",
    description="Exactly one of `to` and `account_id`. With `Idempotency-Key`, the same key and "
    "body within 24 hours answer the same verification (header `Idempotent-Replayed: true`) "
    "and send nothing; the same key with another body is 409 `idempotency_key_reused`.",
)
async def create_verification(
    body: VerificationIn,
    runtime: RuntimeDep,
    ctx: ContextDep,
    client: ApiClientDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=255)] = None,
) -> JSONResponse:
    created = await runtime.services.verifications.create(
        client,
        NewVerification(
            to=body.to,
            account_id=body.account_id,
            channel=body.channel,
            summary=body.summary,
            details=body.details,
            locale=body.locale,
        ),
        ctx,
        idempotency_key,
    )
    headers = {"Idempotent-Replayed": "true"} if created.replayed else {}
    return _envelope(runtime, created.verification, status.HTTP_201_CREATED, **headers)


@router.get(
    "/verifications/{verification_id}",
    response_model=VerificationOut,
    responses=api_problems(*AUTH, 404, 422, extra={404: ["verification_not_found"]}),
    summary="Read a verification",
)
async def get_verification(
    runtime: RuntimeDep, client: ApiClientDep, verification_id: str = VerificationId
) -> VerificationOut:
    verification = await runtime.services.verifications.get(client, verification_id)
    return VerificationOut.of(verification, runtime.settings.policy, runtime.clock.now())


@router.post(
    "/verifications/{verification_id}/check",
    response_model=CheckedOut,
    responses=api_problems(
        400,
        *AUTH,
        404,
        409,
        410,
        422,
        429,
        extra={404: ["verification_not_found"], 409: ["details_mismatch", "challenge_used"]},
    ),
    summary="Check a code; the right one yields the approval token",
    description="A verification created with `details` must be checked with the same details "
    "(compared as canonical JSON): other details answer 409 `details_mismatch` and cancel it.",
)
async def check_verification(
    body: CheckIn,
    runtime: RuntimeDep,
    ctx: ContextDep,
    client: ApiClientDep,
    verification_id: str = VerificationId,
) -> CheckedOut:
    checked = await runtime.services.verifications.check(
        client, verification_id, body.code, body.details, ctx
    )
    return CheckedOut(
        verification=VerificationOut.of(
            checked.verification, runtime.settings.policy, runtime.clock.now()
        ),
        approval_token=checked.approval_token,
    )


@router.post(
    "/verifications/{verification_id}/resend",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=VerificationEnvelope,
    responses=api_problems(
        *AUTH,
        404,
        409,
        410,
        422,
        429,
        extra={404: ["verification_not_found"], 409: ["challenge_used", "resend_limit_reached"]},
    ),
    summary="Send a new code (the old one stops working)",
)
async def resend_verification(
    runtime: RuntimeDep,
    ctx: ContextDep,
    client: ApiClientDep,
    verification_id: str = VerificationId,
) -> JSONResponse:
    verification = await runtime.services.verifications.resend(client, verification_id, ctx)
    return _envelope(runtime, verification, status.HTTP_202_ACCEPTED)


@router.post(
    "/verifications/{verification_id}/cancel",
    response_model=VerificationEnvelope,
    responses=api_problems(
        *AUTH,
        404,
        409,
        410,
        422,
        extra={404: ["verification_not_found"], 409: ["challenge_used"]},
    ),
    summary="Cancel a pending verification (its code stops working)",
)
async def cancel_verification(
    runtime: RuntimeDep,
    ctx: ContextDep,
    client: ApiClientDep,
    verification_id: str = VerificationId,
) -> JSONResponse:
    verification = await runtime.services.verifications.cancel(client, verification_id, ctx)
    return _envelope(runtime, verification, status.HTTP_200_OK)
