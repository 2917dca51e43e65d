"""Sign-in methods (DESIGN §5.6): list them; add, confirm and remove them (each change a
step-up); register a passkey after the step-up that added it."""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.convertors import Convertor, register_url_convertor

from otpgate.web.api.common import problems
from otpgate.web.api.stepup import accepted
from otpgate.web.deps import AuthDep, ContextDep, RuntimeDep
from otpgate.web.schemas import ChallengeEnvelope
from otpgate.web.views import FactorOut, factor_out

router = APIRouter(tags=["factors"])
FactorId = Path(max_length=64, pattern=r"^fac_[A-Za-z0-9_-]+$")


class FactorIdConvertor(Convertor[str]):
    """``{factor_id:factor_id}`` matches factor ids only, so /me/factors/passkey is never
    taken for a factor's path: DELETE there is 405 (what the schema says), not a 422."""

    regex = "fac_[A-Za-z0-9_-]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("factor_id", FactorIdConvertor())


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FactorIn(Strict):
    type: Literal["totp", "backup_codes", "passkey"]
    label: str | None = Field(None, max_length=200)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"type": "totp", "label": "My phone"}, {"type": "backup_codes"}]
        },
    )


class ConfirmIn(Strict):
    code: str = Field(max_length=32)


class PasskeyOptionsIn(Strict):
    factor_id: str = Field(max_length=64, pattern=r"^fac_[A-Za-z0-9_-]+$")


class PasskeyIn(PasskeyOptionsIn):
    credential: dict[str, Any]


class FactorList(BaseModel):
    factors: list[FactorOut]


class FactorEnvelope(BaseModel):
    factor: FactorOut


@router.get("/me/factors", response_model=FactorList, responses=problems(401))
async def list_factors(auth: AuthDep, runtime: RuntimeDep) -> FactorList:
    found = await runtime.services.factors.list(auth)
    return FactorList(factors=[factor_out(f) for f in found])


@router.post(
    "/me/factors",
    status_code=202,
    response_model=ChallengeEnvelope,
    responses=problems(401, 409, 422, 429),
    summary="Add an authenticator app, a passkey or backup codes (needs a code)",
)
async def add_factor(
    body: FactorIn, auth: AuthDep, runtime: RuntimeDep, ctx: ContextDep
) -> JSONResponse:
    challenge = await runtime.services.factors.request_add(auth, ctx, body.type, body.label)
    return await accepted(runtime, challenge)


@router.post(
    "/me/factors/passkey/options",
    responses=problems(401, 404, 409, 422, 429),
    summary="WebAuthn creation options for a passkey added by a step-up",
    response_model=dict[str, Any],
)
async def passkey_options(
    body: PasskeyOptionsIn, auth: AuthDep, runtime: RuntimeDep, ctx: ContextDep
) -> JSONResponse:
    options = await runtime.services.passkeys.options(auth, ctx, body.factor_id)
    return JSONResponse(options, headers={"Cache-Control": "no-store"})


@router.post(
    "/me/factors/passkey",
    response_model=FactorEnvelope,
    responses=problems(401, 404, 409, 422, 429),
    summary="Register the passkey's credential (from navigator.credentials.create)",
)
async def add_passkey(
    body: PasskeyIn, auth: AuthDep, runtime: RuntimeDep, ctx: ContextDep
) -> FactorEnvelope:
    credential = json.dumps(body.credential, separators=(",", ":"))
    factor = await runtime.services.passkeys.finish(auth, ctx, body.factor_id, credential)
    return FactorEnvelope(factor=factor_out(factor))


@router.post(
    "/me/factors/{factor_id:factor_id}/confirm",
    response_model=FactorEnvelope,
    responses=problems(401, 404, 409, 422, 429),
    summary="Confirm an authenticator app with its first code",
)
async def confirm_factor(
    body: ConfirmIn, auth: AuthDep, runtime: RuntimeDep, ctx: ContextDep, factor_id: str = FactorId
) -> FactorEnvelope:
    factor = await runtime.services.factors.confirm(auth, ctx, factor_id, body.code)
    return FactorEnvelope(factor=factor_out(factor))


@router.delete(
    "/me/factors/{factor_id:factor_id}",
    status_code=202,
    response_model=ChallengeEnvelope,
    responses=problems(401, 404, 409, 422, 429),
    summary="Remove a sign-in method (needs a code; text messages can't be removed)",
)
async def remove_factor(
    auth: AuthDep, runtime: RuntimeDep, ctx: ContextDep, factor_id: str = FactorId
) -> JSONResponse:
    return await accepted(
        runtime, await runtime.services.factors.request_remove(auth, ctx, factor_id)
    )
