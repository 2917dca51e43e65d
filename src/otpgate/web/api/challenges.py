from __future__ import annotations

from fastapi import APIRouter, Path, status
from fastapi.responses import JSONResponse

from otpgate.services.approvals import VerifyRequest
from otpgate.web.api.common import problems
from otpgate.web.deps import ContextDep, OptionalAuthDep, RuntimeDep
from otpgate.web.schemas import ChallengeEnvelope, ChallengeOut, SessionOut, VerifiedOut, VerifyIn
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
    return ChallengeOut.of(challenge, runtime.settings.policy, runtime.clock.now())


@router.post(
    "/challenges/{challenge_id}/verify",
    response_model=VerifiedOut,
    responses=problems(400, 404, 409, 410, 422, 429),
    summary="Check a code; on success get a session (or the applied change)",
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
            code=body.code,
            remember_device=body.remember_device,
            ctx=ctx,
            session_id=auth.session.id if auth else None,
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
            ChallengeOut.of(approval.next_challenge, policy, now)
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
    summary="Send a new code (the old one stops working)",
)
async def resend(
    runtime: RuntimeDep, ctx: ContextDep, auth: OptionalAuthDep, challenge_id: str = ChallengeId
) -> ChallengeEnvelope:
    challenge = await runtime.services.challenges.resend(
        challenge_id, ctx, auth.session.id if auth else None
    )
    return ChallengeEnvelope(
        challenge=ChallengeOut.of(challenge, runtime.settings.policy, runtime.clock.now())
    )
