"""Helpers for tests of the verification API: keys, verifications, their codes and tokens."""

from __future__ import annotations

from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

from otpgate.domain.api_keys import Scope
from tests.harness import Harness, auth

PAYMENT = {"amount": "1250.00", "currency": "EUR", "payee": "ACME GmbH"}


async def api_key(h: Harness, name: str = "checkout", scopes: tuple[str, ...] = ()) -> str:
    """A fresh API key's secret (``otk_...``)."""
    created = await h.runtime.services.api_keys.create(name, scopes)
    return created.secret


async def key_id(h: Harness, secret: str) -> str:
    client = await h.runtime.services.api_keys.authenticate(secret, Scope.VERIFY)
    return client.key_id


async def create(
    h: Harness, key: str, *, headers: dict[str, str] | None = None, **body: Any
) -> httpx.Response:
    """POST /api/v1/verifications as ``key`` (a new number when neither target is given)."""
    if "to" not in body and "account_id" not in body:
        body["to"] = h.new_phone()
    return await h.client.post(
        "/api/v1/verifications", json=body, headers={**auth(key), **(headers or {})}
    )


async def started(h: Harness, key: str, **body: Any) -> tuple[dict[str, Any], str]:
    """A pending verification and the number its code went to (``phone``: an account's)."""
    phone = body.pop("phone", None)
    if "account_id" not in body:
        body.setdefault("to", h.new_phone())
    response = await create(h, key, **body)
    assert response.status_code == 201, response.text
    return response.json()["verification"], phone or body["to"]


async def check(
    h: Harness, key: str, verification_id: str, code: str, **body: Any
) -> httpx.Response:
    return await h.client.post(
        f"/api/v1/verifications/{verification_id}/check",
        json={"code": code, **body},
        headers=auth(key),
    )


async def jwks(h: Harness) -> KeySet:
    response = await h.client.get("/.well-known/jwks.json")
    assert response.status_code == 200, response.text
    return KeySet.import_key_set(response.json())


async def verified_claims(h: Harness, token: str, audience: str) -> dict[str, Any]:
    """The token's claims once joserfc has verified its signature against the published JWKS
    and its ``iss``, ``aud`` and ``exp`` (now, by the harness' clock)."""
    decoded = jwt.decode(token, await jwks(h), algorithms=["ES256"])
    registry = jwt.JWTClaimsRegistry(
        now=int(h.clock.now().timestamp()),
        iss={"essential": True, "value": h.settings.base_url},
        aud={"essential": True, "value": audience},
        exp={"essential": True},
        jti={"essential": True},
    )
    registry.validate(decoded.claims)
    assert decoded.header["alg"] == "ES256" and decoded.header["kid"]
    return dict(decoded.claims)
