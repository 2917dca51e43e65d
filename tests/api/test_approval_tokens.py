"""S47: approval tokens are ES256 compact JWS with a ``kid``, verified here by joserfc against
the published JWKS; forged, expired, wrong-audience and wrong-details tokens fail; rotating
the signing key breaks no token in flight."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
)
from joserfc.jwk import ECKey

from tests.harness import Harness
from tests.verify_api import PAYMENT, api_key, check, jwks, key_id, started, verified_claims


async def approved(h: Harness, key: str, **body: Any) -> tuple[dict[str, Any], str]:
    verification, to = await started(h, key, **body)
    response = await check(
        h, key, verification["id"], await h.last_code(to), details=body.get("details")
    )
    assert response.status_code == 200, response.text
    return response.json()["verification"], response.json()["approval_token"]


def canonical_sha256(details: dict[str, Any]) -> str:
    """What a shop computes itself: SHA-256 of sorted-keys, no-spaces, UTF-8 JSON."""
    text = json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


async def test_the_token_carries_exactly_the_designed_claims(h: Harness) -> None:
    key = await api_key(h)
    audience = await key_id(h, key)
    to = "+14155552671"
    verification, token = await approved(
        h, key, to=to, summary="Pay €1,250.00 to ACME GmbH", details=PAYMENT
    )
    claims = await verified_claims(h, token, audience)
    now = int(h.clock.now().timestamp())
    assert claims == {
        "iss": "https://shop.example",
        "aud": audience,
        "sub": hashlib.sha256(to.encode()).hexdigest(),
        "jti": claims["jti"],
        "iat": now,
        "exp": now + 300,
        "verification_id": verification["id"],
        "summary": "Pay €1,250.00 to ACME GmbH",
        "details_sha256": canonical_sha256(PAYMENT),
        "amr": ["sms"],
    }
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["alg"] == "ES256"
    assert header["kid"] in {
        k["kid"] for k in (await h.client.get("/.well-known/jwks.json")).json()["keys"]
    }


async def test_an_account_target_is_the_subject(h: Harness) -> None:
    key = await api_key(h)
    account = await h.registered_account()
    _verification, token = await approved(
        h, key, account_id=account["account_id"], phone=account["phone"]
    )
    claims = await verified_claims(h, token, await key_id(h, key))
    assert claims["sub"] == account["account_id"]
    assert claims["details_sha256"] == canonical_sha256({})


async def test_every_token_has_its_own_id(h: Harness) -> None:
    key = await api_key(h)
    tokens = [(await approved(h, key))[1] for _ in range(3)]
    ids = {jwt.decode(token, await jwks(h), algorithms=["ES256"]).claims["jti"] for token in tokens}
    assert len(ids) == 3


async def test_a_forged_token_fails_verification(h: Harness) -> None:
    key = await api_key(h)
    audience = await key_id(h, key)
    _verification, token = await approved(h, key, details=PAYMENT)
    keys = await jwks(h)
    # Claims changed after signing: the signature no longer matches.
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["details_sha256"] = canonical_sha256({**PAYMENT, "amount": "99999.00"})
    tampered = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(BadSignatureError):
        jwt.decode(f"{header}.{tampered}.{signature}", keys, algorithms=["ES256"])
    # Signed by an attacker's own key under our kid: refused.
    kid = json.loads(base64.urlsafe_b64decode(header + "=="))["kid"]
    attacker = ECKey.generate_key("P-256", parameters={"kid": kid}, private=True)
    forged = jwt.encode({"alg": "ES256", "kid": kid}, claims, attacker, algorithms=["ES256"])
    with pytest.raises(BadSignatureError):
        jwt.decode(forged, keys, algorithms=["ES256"])
    # An unsigned token ("alg": "none") is not even considered.
    none_header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    unsigned = f"{none_header}.{payload}."
    with pytest.raises(Exception):  # noqa: B017 - any refusal will do; it must not verify
        jwt.decode(unsigned, keys, algorithms=["ES256"])
    assert (await verified_claims(h, token, audience))["verification_id"]


async def test_an_expired_token_fails_verification(h: Harness) -> None:
    key = await api_key(h)
    _verification, token = await approved(h, key)
    decoded = jwt.decode(token, await jwks(h), algorithms=["ES256"])
    registry = jwt.JWTClaimsRegistry(now=int(h.clock.now().timestamp()) + 301)
    with pytest.raises(ExpiredTokenError):
        registry.validate(decoded.claims)


async def test_a_token_for_another_key_fails_verification(h: Harness) -> None:
    key, other = await api_key(h, "checkout"), await api_key(h, "payouts")
    _verification, token = await approved(h, key)
    with pytest.raises(InvalidClaimError):
        await verified_claims(h, token, await key_id(h, other))


async def test_a_token_for_other_details_fails_the_shops_check(h: Harness) -> None:
    """S46 from the shop's side: it compares ``details_sha256`` with its own transaction."""
    key = await api_key(h)
    _verification, token = await approved(h, key, details={"amount": "12.00", "payee": "A"})
    claims = await verified_claims(h, token, await key_id(h, key))
    assert claims["details_sha256"] == canonical_sha256({"payee": "A", "amount": "12.00"})
    assert claims["details_sha256"] != canonical_sha256({"amount": "1250.00", "payee": "B"})


async def test_rotation_keeps_tokens_in_flight_valid_and_signs_with_the_new_key(
    h: Harness,
) -> None:
    key = await api_key(h)
    audience = await key_id(h, key)
    _verification, before = await approved(h, key)
    old_kid = jwt.decode(before, await jwks(h), algorithms=["ES256"]).header["kid"]
    rotated = await h.runtime.services.signer.rotate()
    published = {k["kid"] for k in (await h.client.get("/.well-known/jwks.json")).json()["keys"]}
    assert published == {old_kid, rotated.kid}
    assert await verified_claims(h, before, audience)
    _verification, after = await approved(h, key)
    assert jwt.decode(after, await jwks(h), algorithms=["ES256"]).header["kid"] == rotated.kid
    # A day later (the retention), the retired key has left the JWKS.
    h.clock.advance(86400 + 1)
    later = (await h.client.get("/.well-known/jwks.json")).json()["keys"]
    assert [k["kid"] for k in later] == [rotated.kid]


async def test_the_jwks_is_public_keys_only_and_keys_are_sealed_at_rest(h: Harness) -> None:
    response = await h.client.get("/.well-known/jwks.json")
    assert response.headers["cache-control"] == "public, max-age=60"
    [published] = response.json()["keys"]
    assert published["kty"] == "EC" and published["crv"] == "P-256" and "d" not in published
    [row] = await h.rows("SELECT private_sealed, public_jwk FROM signing_keys")
    assert b'"d"' not in bytes(row["private_sealed"])
    assert json.loads(row["public_jwk"]) == published


async def test_two_app_nodes_sign_alike(make_harness: Any, h: Harness) -> None:
    """Every node signs with the key in the database: a token from one node verifies with the
    JWKS of another."""
    other: Harness = await make_harness(database_url=h.settings.database_url)
    key = await api_key(h)
    _verification, token = await approved(h, key)
    assert jwt.decode(token, await jwks(other), algorithms=["ES256"]).claims["aud"]
