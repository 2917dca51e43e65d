"""The OpenID Connect provider's endpoints (DESIGN §5.3).

/.well-known/openid-configuration   discovery (the JWKS is web/wellknown.py's)
/oauth/authorize                    GET: the authorization code flow's front door
/oauth/authorize/resume             where the sign-in pages send the browser back
/oauth/token                        POST: codes and refresh tokens for tokens
/oauth/userinfo                     GET/POST with the access token
/oauth/revoke                       POST: RFC 7009
/oauth/logout                       RP-initiated logout 1.0
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from fastapi import FastAPI
from starlette.requests import Request

from otpgate.bootstrap import Runtime
from otpgate.config import Settings
from otpgate.services.oidc.clients import ClientService
from otpgate.services.oidc.grammar import Lifetimes
from otpgate.services.oidc.provider import OidcProvider
from otpgate.services.oidc.returns import SignInReturns

__all__ = ["OidcParts", "install", "parts_of"]


@dataclass(frozen=True)
class OidcParts:
    provider: OidcProvider
    returns: SignInReturns
    clients: ClientService
    settings: Settings

    @classmethod
    def build(cls, runtime: Runtime, settings: Settings) -> OidcParts:
        services = runtime.services
        store, clock = services.deps.store, services.deps.clock
        lifetimes = Lifetimes(
            code=timedelta(seconds=settings.oidc_code_seconds),
            access=timedelta(seconds=settings.oidc_access_token_seconds),
            id_token=timedelta(seconds=settings.oidc_id_token_seconds),
            refresh=timedelta(seconds=settings.oidc_refresh_token_seconds),
        )
        return cls(
            provider=OidcProvider(store, clock, services.signer, settings.base_url, lifetimes),
            returns=SignInReturns(store, clock, timedelta(seconds=settings.sign_in_return_seconds)),
            clients=ClientService(store, clock),
            settings=settings,
        )


def parts_of(request: Request) -> OidcParts:
    parts: OidcParts = request.app.state.oidc
    return parts


def install(app: FastAPI, settings: Settings) -> None:
    from otpgate.web.oidc import browser, endpoints

    app.state.oidc = OidcParts.build(app.state.runtime, settings)
    app.include_router(endpoints.router)
    app.include_router(endpoints.PROTOCOL)
    app.include_router(browser.router)
