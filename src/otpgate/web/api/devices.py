"""Signed-in sessions and trusted browsers: list them, sign them out, forget them."""

from __future__ import annotations

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel

from otpgate.web.api.common import problems
from otpgate.web.deps import AuthDep, ContextDep, RuntimeDep
from otpgate.web.pagination import DEFAULT_LIMIT, Cursor, Limit, cut
from otpgate.web.views import DeviceOut, SessionInfoOut, device_out, session_out

router = APIRouter(tags=["devices"])
SessionId = Path(max_length=64, pattern=r"^se_[A-Za-z0-9_-]+$")
DeviceId = Path(max_length=64, pattern=r"^dv_[A-Za-z0-9_-]+$")


class SessionList(BaseModel):
    sessions: list[SessionInfoOut]
    has_more: bool = False
    next_cursor: str | None = None


class DeviceList(BaseModel):
    devices: list[DeviceOut]
    has_more: bool = False
    next_cursor: str | None = None


class SignedOut(BaseModel):
    signed_out: int


@router.get("/me/sessions", response_model=SessionList, responses=problems(401))
async def list_sessions(
    auth: AuthDep, runtime: RuntimeDep, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> SessionList:
    found = await runtime.services.devices.sessions(auth)
    page = cut("sessions", found, lambda s: s.id, limit, cursor)
    return SessionList(
        sessions=[session_out(s, auth.session.id) for s in page.items],
        has_more=page.has_more,
        next_cursor=page.next_cursor,
    )


@router.delete(
    "/me/sessions",
    response_model=SignedOut,
    responses=problems(401),
    summary="Sign out everywhere else",
)
async def sign_out_others(auth: AuthDep, runtime: RuntimeDep, ctx: ContextDep) -> SignedOut:
    return SignedOut(signed_out=await runtime.services.devices.sign_out_others(auth, ctx))


@router.delete("/me/sessions/{session_id}", status_code=204, responses=problems(401, 404, 422))
async def sign_out_session(
    auth: AuthDep, runtime: RuntimeDep, ctx: ContextDep, session_id: str = SessionId
) -> Response:
    await runtime.services.devices.sign_out_session(auth, ctx, session_id)
    return Response(status_code=204)


@router.get("/me/devices", response_model=DeviceList, responses=problems(401))
async def list_devices(
    auth: AuthDep, runtime: RuntimeDep, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> DeviceList:
    found = await runtime.services.devices.devices(auth)
    page = cut("devices", found, lambda d: d.id, limit, cursor)
    return DeviceList(
        devices=[device_out(d) for d in page.items],
        has_more=page.has_more,
        next_cursor=page.next_cursor,
    )


@router.delete("/me/devices/{device_id}", status_code=204, responses=problems(401, 404, 422))
async def forget_device(
    auth: AuthDep, runtime: RuntimeDep, ctx: ContextDep, device_id: str = DeviceId
) -> Response:
    await runtime.services.devices.forget_device(auth, ctx, device_id)
    return Response(status_code=204)
