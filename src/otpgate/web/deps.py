"""FastAPI dependencies: the runtime, the caller's context, the signed-in session."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from otpgate.bootstrap import Runtime
from otpgate.services.container import Services
from otpgate.services.ports import RequestContext
from otpgate.services.principal import Customer
from otpgate.web.security import bearer_token, client_ip

# The dependencies are ``async def`` on purpose: FastAPI runs a plain ``def`` dependency in
# its thread pool, a thread hop per dependency per request.


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_services(request: Request) -> Services:
    return runtime_of(request).services


def context_of(request: Request) -> RequestContext:
    peer = request.client.host if request.client else None
    proxies = request.app.state.trusted_proxies
    ip = client_ip(peer, request.headers.get("x-forwarded-for"), proxies)
    return RequestContext(ip=ip, user_agent=request.headers.get("user-agent", "")[:300])


async def get_runtime(request: Request) -> Runtime:
    return runtime_of(request)


async def get_context(request: Request) -> RequestContext:
    return context_of(request)


async def get_auth(request: Request) -> Customer:
    """The API's caller: ``Authorization: Bearer <session token>`` (cookies are not accepted)."""
    token = bearer_token(request.headers.get("authorization"))
    return await get_services(request).sessions.authenticate(token)


async def get_optional_auth(request: Request) -> Customer | None:
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        return None
    return await get_services(request).sessions.authenticate(token)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
ContextDep = Annotated[RequestContext, Depends(get_context)]
AuthDep = Annotated[Customer, Depends(get_auth)]
OptionalAuthDep = Annotated[Customer | None, Depends(get_optional_auth)]
