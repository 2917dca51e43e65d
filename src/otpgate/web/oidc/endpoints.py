"""Discovery, token, userinfo and revocation: the JSON half of the provider."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from otpgate.domain.oidc import ACR_VALUES, CLAIMS, SCOPES
from otpgate.services.oidc.provider import Answer, HttpCall
from otpgate.web.deps import context_of
from otpgate.web.oidc import parts_of

router = APIRouter(tags=["openid-connect"])
# The protocol endpoints answer in RFC 6749's grammar (``{"error": "invalid_grant"}``), not
# RFC 9457 problems; the discovery document and docs/oidc.md describe them, as every OIDC
# client expects, so they stay out of /openapi.json.
PROTOCOL = APIRouter(include_in_schema=False)

AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def discovery_document(issuer: str) -> dict[str, Any]:
    """OpenID Provider Metadata (OIDC Discovery 1.0 §3; RFC 8414)."""
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth/authorize",
        "token_endpoint": f"{issuer}/oauth/token",
        "userinfo_endpoint": f"{issuer}/oauth/userinfo",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "end_session_endpoint": f"{issuer}/oauth/logout",
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": list(CLAIMS),
        "acr_values_supported": list(ACR_VALUES),
        "prompt_values_supported": ["none", "login"],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "authorization_response_iss_parameter_supported": True,
    }


@router.get("/.well-known/openid-configuration", summary="OpenID Provider metadata")
async def configuration(request: Request) -> JSONResponse:
    parts = parts_of(request)
    return JSONResponse(
        discovery_document(parts.settings.base_url),
        headers={"Cache-Control": "public, max-age=300"},
    )


async def _call(request: Request) -> HttpCall:
    form = await request.form(max_files=0, max_fields=20)
    items = [(name, value) for name, value in form.multi_items() if isinstance(value, str)]
    base = parts_of(request).settings.base_url
    return HttpCall(
        method=request.method,
        url=base + request.url.path,
        headers=request.headers,
        query=list(request.query_params.multi_items()),
        form=items,
    )


def _json(answer: Answer) -> Response:
    headers = {name: value for name, value in answer.headers if name.lower() != "content-type"}
    headers.update(NO_STORE)
    body = answer.body if isinstance(answer.body, dict) else json.loads(answer.body or "{}")
    return JSONResponse(body, status_code=answer.status, headers=headers)


@PROTOCOL.post(
    "/oauth/token",
    summary="Exchange an authorization code or a refresh token for tokens",
    description="RFC 6749 §4.1.3 and §6, PKCE (RFC 7636, S256). Client authentication "
    "`client_secret_basic` or `client_secret_post`; public clients send `client_id` and the "
    "PKCE `code_verifier`. Errors are OAuth 2 error responses (`invalid_grant`, ...).",
)
async def token(request: Request) -> Response:
    answer = await parts_of(request).provider.token(await _call(request), context_of(request))
    return _json(answer)


@PROTOCOL.post("/oauth/revoke", summary="Revoke an access or refresh token (RFC 7009)")
async def revoke(request: Request) -> Response:
    answer = await parts_of(request).provider.revoke(await _call(request), context_of(request))
    return _json(answer)


async def _userinfo(request: Request) -> Response:
    auth = request.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    token = value.strip() if scheme.lower() == "bearer" else None
    claims = await parts_of(request).provider.userinfo(token)
    if claims is None:
        return JSONResponse(
            {"error": "invalid_token"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"', **NO_STORE},
        )
    return JSONResponse(claims, headers=NO_STORE)


USERINFO = "The signed-in customer's claims, by the access token's scopes"


@PROTOCOL.get("/oauth/userinfo", summary=USERINFO)
async def userinfo(request: Request) -> Response:
    return await _userinfo(request)


@PROTOCOL.post("/oauth/userinfo", summary=USERINFO)
async def userinfo_post(request: Request) -> Response:
    return await _userinfo(request)
