"""FastAPI dependencies: the runtime, the caller's context, the signed-in session."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from otpgate import i18n
from otpgate.bootstrap import Runtime
from otpgate.domain.api_keys import Scope, looks_like_api_key
from otpgate.domain.errors import ApiKeyRequired, SessionRequired
from otpgate.services.container import Services
from otpgate.services.ports import RequestContext
from otpgate.services.principal import ApiClient, Customer
from otpgate.web.context import note_account
from otpgate.web.security import bearer_token, client_ip

# The dependencies are ``async def`` on purpose: FastAPI runs a plain ``def`` dependency in
# its thread pool, a thread hop per dependency per request.

# How the verification API authenticates, as OpenAPI shows it (the check is ``get_api_client``).
API_KEY_SCHEME = HTTPBearer(
    scheme_name="apiKey",
    bearerFormat="otk_...",
    description="An API key of one of the shop's applications: `Authorization: Bearer otk_...` "
    "(`otpgate api-keys create`). Customer session tokens are refused here.",
    auto_error=False,
)


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_services(request: Request) -> Services:
    return runtime_of(request).services


def context_of(request: Request) -> RequestContext:
    peer = request.client.host if request.client else None
    proxies = request.app.state.trusted_proxies
    ip = client_ip(peer, request.headers.get("x-forwarded-for"), proxies)
    return RequestContext(
        ip=ip,
        user_agent=request.headers.get("user-agent", "")[:300],
        language=i18n.current_language(),
    )


async def get_runtime(request: Request) -> Runtime:
    return runtime_of(request)


async def get_context(request: Request) -> RequestContext:
    return context_of(request)


async def get_auth(request: Request) -> Customer:
    """The API's caller: ``Authorization: Bearer <session token>`` (cookies are not accepted)."""
    token = bearer_token(request.headers.get("authorization"))
    _refuse_api_key(token)
    customer = await get_services(request).sessions.authenticate(token)
    note_account(customer.account.id)
    return customer


async def get_optional_auth(request: Request) -> Customer | None:
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        return None
    _refuse_api_key(token)
    customer = await get_services(request).sessions.authenticate(token)
    note_account(customer.account.id)
    return customer


def _refuse_api_key(token: str | None) -> None:
    # The customer API is for customers: an application's key opens none of it (S45).
    if token is not None and looks_like_api_key(token):
        raise SessionRequired()


async def get_api_client(
    request: Request, _scheme: Annotated[object, Depends(API_KEY_SCHEME)]
) -> ApiClient:
    """The verification API's caller: an active API key with the ``verify`` scope."""
    token = bearer_token(request.headers.get("authorization"))
    if token is not None and token.startswith("ses_"):
        raise ApiKeyRequired()  # a customer's session never works here (S45)
    return await get_services(request).api_keys.authenticate(token, Scope.VERIFY)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
ContextDep = Annotated[RequestContext, Depends(get_context)]
AuthDep = Annotated[Customer, Depends(get_auth)]
OptionalAuthDep = Annotated[Customer | None, Depends(get_optional_auth)]
ApiClientDep = Annotated[ApiClient, Depends(get_api_client)]
