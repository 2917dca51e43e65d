from __future__ import annotations

from fastapi import APIRouter, status

from otpgate.web.api.common import problems
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
async def register(body: RegisterIn, runtime: RuntimeDep, ctx: ContextDep) -> RegisteredOut:
    registered = await runtime.services.registration.register(
        name=body.name, email=body.email, password=body.password, phone=body.phone, ctx=ctx
    )
    return RegisteredOut(
        account_id=registered.account_id,
        challenge=ChallengeOut.of(
            registered.challenge, runtime.settings.policy, runtime.clock.now()
        ),
    )
