from __future__ import annotations

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse

from otpgate.services.idempotency import Replayed
from otpgate.services.registration import Registered
from otpgate.web.api.common import REPLAYED, IdempotencyKey, idempotency, problems
from otpgate.web.deps import ContextDep, RuntimeDep
from otpgate.web.schemas import ChallengeOut, RegisteredOut, RegisterIn

router = APIRouter(tags=["accounts"])


@router.post(
    "/accounts",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RegisteredOut,
    responses=problems(409, 422, 429),
    summary="Register; a code is sent to the mobile number",
)
async def register(
    body: RegisterIn,
    runtime: RuntimeDep,
    ctx: ContextDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def work() -> Registered:
        return await runtime.services.registration.register(
            name=body.name, email=body.email, password=body.password, phone=body.phone, ctx=ctx
        )

    outcome = await idempotency(runtime).run(
        "register",
        idempotency_key,
        body.model_dump(mode="json"),
        work,
        lambda done: (done.challenge.id, done.account_id),
    )
    if isinstance(outcome, Replayed):
        account_id, challenge, headers = outcome.result or "", outcome.challenge, REPLAYED
    else:
        account_id, challenge, headers = outcome.account_id, outcome.challenge, {}
    out = RegisteredOut(
        account_id=account_id,
        challenge=ChallengeOut.of(challenge, runtime.settings.policy, runtime.clock.now()),
    )
    return JSONResponse(
        out.model_dump(mode="json"), status_code=status.HTTP_202_ACCEPTED, headers=headers
    )
