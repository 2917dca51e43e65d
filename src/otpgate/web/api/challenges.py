from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Path, status
from fastapi.responses import JSONResponse

from otpgate.domain.challenges import Challenge
from otpgate.domain.channels import Channel
from otpgate.domain.errors import InvalidInput
from otpgate.domain.factors import FactorType
from otpgate.services.approvals import VerifyRequest
from otpgate.services.idempotency import Replayed
from otpgate.web.api.common import REPLAYED, IdempotencyKey, challenge_out, idempotency, problems
from otpgate.web.deps import ContextDep, OptionalAuthDep, RuntimeDep
from otpgate.web.schemas import (
    ChallengeEnvelope,
    ChallengeOut,
    ResendIn,
    SessionOut,
    VerifiedOut,
    VerifyIn,
)
from otpgate.web.views import result_out

router = APIRouter(tags=["challenges"])

ChallengeId = Path(max_length=64, pattern=r"^ch_[A-Za-z0-9_-]+$")


@router.get(
    "/challenges/{challenge_id}",
    response_model=ChallengeOut,
    responses=problems(404, 422),
    summary="Read a challenge",
)
async def get_challenge(
    runtime: RuntimeDep, auth: OptionalAuthDep, challenge_id: str = ChallengeId
) -> ChallengeOut:
    session_id = auth.session.id if auth else None
    challenge = await runtime.services.challenges.get(challenge_id, session_id)
    return await challenge_out(runtime, challenge)


def answer_of(body: VerifyIn) -> str:
    """What the factor checks: the code, or a passkey's assertion as JSON."""
    if body.factor == FactorType.PASSKEY.value:
        if body.credential is None:
            raise InvalidInput("credential", "Send the passkey's credential.")
        return json.dumps(body.credential, separators=(",", ":"))
    if body.code is None:
        raise InvalidInput("code", "Enter the code.")
    return body.code


@router.post(
    "/challenges/{challenge_id}/verify",
    response_model=VerifiedOut,
    responses=problems(400, 404, 409, 410, 422, 429),
    summary="Answer a challenge (a code, or a passkey); on success get a session or the change",
)
async def verify(
    body: VerifyIn,
    runtime: RuntimeDep,
    ctx: ContextDep,
    auth: OptionalAuthDep,
    challenge_id: str = ChallengeId,
) -> JSONResponse:
    verified = await runtime.services.verifier.verify(
        VerifyRequest(
            challenge_id=challenge_id,
            code=answer_of(body),
            remember_device=body.remember_device,
            ctx=ctx,
            session_id=auth.session.id if auth else None,
            factor=FactorType(body.factor),
        )
    )
    policy, now = runtime.settings.policy, runtime.clock.now()
    approval = verified.approval
    out = VerifiedOut(
        challenge=ChallengeOut.of(verified.challenge, policy, now),
        session=(
            SessionOut(
                token=approval.signed_in.issued.token,
                expires_at=approval.signed_in.issued.session.expires_at,
            )
            if approval.signed_in
            else None
        ),
        device_token=approval.signed_in.device_token if approval.signed_in else None,
        result=result_out(approval.result),
        next_challenge=(
            await challenge_out(runtime, approval.next_challenge)
            if approval.next_challenge
            else None
        ),
    )
    return JSONResponse(
        out.model_dump(mode="json", exclude_none=True), headers={"Cache-Control": "no-store"}
    )


@router.post(
    "/challenges/{challenge_id}/resend",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ChallengeEnvelope,
    responses=problems(404, 409, 410, 422, 429),
    summary="Send a new code by text, or by a phone call (the old code stops working)",
)
async def resend(
    runtime: RuntimeDep,
    ctx: ContextDep,
    auth: OptionalAuthDep,
    challenge_id: str = ChallengeId,
    body: ResendIn | None = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    channel = Channel(body.channel if body else "sms")
    session_id = auth.session.id if auth else None

    async def work() -> Challenge:
        return await runtime.services.challenges.resend(
            challenge_id, ctx, session_id, channel=channel
        )

    outcome = await idempotency(runtime).run(
        "resend",
        idempotency_key,
        {"challenge_id": challenge_id, "channel": channel.value, "session_id": session_id},
        work,
        lambda done: (done.id, None),
    )
    replayed = isinstance(outcome, Replayed)
    challenge = outcome.challenge if isinstance(outcome, Replayed) else outcome
    out = await challenge_out(runtime, challenge)
    envelope = ChallengeEnvelope(challenge=out.model_copy(update={"channel": channel.value}))
    return JSONResponse(
        envelope.model_dump(mode="json"),
        status_code=status.HTTP_202_ACCEPTED,
        headers=REPLAYED if replayed else None,
    )


@router.post(
    "/challenges/{challenge_id}/passkey/options",
    responses=problems(404, 410, 422, 429),
    summary="WebAuthn request options to answer the challenge with a passkey",
    response_model=dict[str, Any],
)
async def passkey_options(
    runtime: RuntimeDep, ctx: ContextDep, auth: OptionalAuthDep, challenge_id: str = ChallengeId
) -> JSONResponse:
    options = await runtime.services.passkey.options(
        challenge_id, auth.session.id if auth else None, ctx
    )
    return JSONResponse(options, headers={"Cache-Control": "no-store"})
