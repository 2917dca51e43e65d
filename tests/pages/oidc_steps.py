"""Steps for the OpenID Connect tests: a client registered, Authlib's own OAuth 2 client
driving the flow, ID tokens checked with joserfc against the published JWKS."""

from __future__ import annotations

import html
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from tests.harness import Harness
from tests.pages.conftest import Visitor

ISSUER = "https://shop.example"
APP = "https://app.example/cb"
SCOPE = "openid profile email phone offline_access"


@dataclass
class Rp:
    """One of the shop's apps: its registration and Authlib's client for it."""

    h: Harness
    client_id: str
    secret: str | None
    oauth: AsyncOAuth2Client

    def authorization(self, **params: Any) -> tuple[str, str, str]:
        """(URL, state, code_verifier) of a fresh authorization request."""
        verifier = secrets.token_urlsafe(48)
        params.setdefault("nonce", secrets.token_urlsafe(16))
        url, state = self.oauth.create_authorization_url(
            f"{ISSUER}/oauth/authorize", code_verifier=verifier, **params
        )
        return url, state, verifier

    async def exchange(self, location: str, verifier: str) -> dict[str, Any]:
        token: dict[str, Any] = await self.oauth.fetch_token(
            f"{ISSUER}/oauth/token", authorization_response=location, code_verifier=verifier
        )
        return token

    async def claims(self, id_token: str, nonce: str | None = None) -> dict[str, Any]:
        jwks = (await self.oauth.get(f"{ISSUER}/.well-known/jwks.json")).json()
        decoded = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=["ES256"])
        registry = JWTClaimsRegistry(
            now=int(self.h.clock.now().timestamp()),  # the server's clock, which tests move
            iss={"essential": True, "value": ISSUER},
            aud={"essential": True, "value": self.client_id},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
            **({"nonce": {"essential": True, "value": nonce}} if nonce else {}),
        )
        registry.validate(decoded.claims)
        assert decoded.header["kid"] and decoded.header["alg"] == "ES256"
        return dict(decoded.claims)


async def register_rp(
    h: Harness,
    *,
    public: bool = False,
    consent: bool = False,
    scope: str = SCOPE,
    redirect_uri: str = APP,
) -> Rp:
    created = await h.app.state.oidc.clients.create(
        "Storefront",
        [redirect_uri],
        ["https://app.example/bye"],
        public=public,
        consent=consent,
    )
    oauth = AsyncOAuth2Client(
        client_id=created.client.id,
        client_secret=created.secret,
        token_endpoint_auth_method="none" if public else "client_secret_basic",
        redirect_uri=redirect_uri,
        scope=scope,
        code_challenge_method="S256",
        transport=httpx.ASGITransport(app=h.app, client=("198.51.100.4", 40000)),
    )
    return Rp(h=h, client_id=created.client.id, secret=created.secret, oauth=oauth)


def query_of(location: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


async def resumed(visitor: Visitor) -> str:
    """Back from the sign-in pages: the page that moves on to the app; where it goes."""
    page = await visitor.client.get("/oauth/authorize/resume")
    assert page.status_code == 200, page.text
    return refreshed_to(page.text)


def refreshed_to(page: str) -> str:
    """Where a page that moves on by itself (meta refresh) takes the browser: the app."""
    match = re.search(r'http-equiv="refresh" content="0;url=([^"]+)"', page)
    assert match, page
    location = html.unescape(match.group(1))
    assert location.startswith(APP), location
    return location


async def authorized(visitor: Visitor, url: str) -> str:
    """Open ``url`` in the visitor's browser; the redirect back to the app (its Location)."""
    answer = await visitor.client.get(url)
    assert answer.status_code == 302, answer.text
    location: str = answer.headers["location"]
    assert location.startswith(APP), location
    return location
