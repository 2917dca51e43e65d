from __future__ import annotations

from fastapi import APIRouter, Response, status
from fastapi.responses import JSONResponse

from otpgate.services.idempotency import Replayed
from otpgate.services.signin import CodeRequired, SignedIn
from otpgate.web.api.common import REPLAYED, IdempotencyKey, challenge_out, idempotency, problems
from otpgate.web.deps import AuthDep, ContextDep, RuntimeDep
from otpgate.web.schemas import (
    ChallengeEnvelope,
    SessionEnvelope,
    SessionOut,
    SignInIn,
)

router = APIRouter(tags=["sessions"])


@router.post(
    "/sessions",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ChallengeEnvelope,
    responses={
        201: {"model": SessionEnvelope, "description": "Signed in on a trusted browser"},
        **problems(401, 403, 409, 422, 429),
    },
    summary="Sign in with email and password; a code is sent",
)
async def sign_in(
    body: SignInIn, runtime: RuntimeDep, ctx: ContextDep, idempotency_key: IdempotencyKey = None
) -> Response:
    async def work() -> CodeRequired | SignedIn:
        return await runtime.services.signin.start(
            email=body.email,
            password=body.password,
            ctx=ctx,
            device_token=body.device_token,
            remember_device=body.remember_device,
        )

    # A trusted browser's session is never stored to be replayed: that retry signs in again
    # (it sends nothing either way).
    outcome = await idempotency(runtime).run(
        "sign_in",
        idempotency_key,
        body.model_dump(mode="json"),
        work,
        lambda done: (done.challenge.id, None) if isinstance(done, CodeRequired) else None,
        # A replay's answer says whether the password matched: it counts as a try (S13).
        before_replay=lambda: runtime.services.signin.count_try(body.email, body.device_token, ctx),
    )
    if isinstance(outcome, Replayed):
        envelope = ChallengeEnvelope(challenge=await challenge_out(runtime, outcome.challenge))
        return JSONResponse(
            envelope.model_dump(mode="json"),
            status_code=status.HTTP_202_ACCEPTED,
            headers=REPLAYED,
        )
    if isinstance(outcome, SignedIn):
        session = SessionOut(
            token=outcome.issued.token, expires_at=outcome.issued.session.expires_at
        )
        return JSONResponse(
            SessionEnvelope(session=session).model_dump(mode="json"),
            status_code=status.HTTP_201_CREATED,
            headers={"Cache-Control": "no-store"},
        )
    envelope = ChallengeEnvelope(challenge=await challenge_out(runtime, outcome.challenge))
    return JSONResponse(envelope.model_dump(mode="json"), status_code=status.HTTP_202_ACCEPTED)


@router.delete(
    "/sessions/current",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(401),
    summary="Sign out: the token is refused from now on",
)
async def sign_out(auth: AuthDep, runtime: RuntimeDep, ctx: ContextDep) -> Response:
    await runtime.services.sessions.sign_out(auth, ctx)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
