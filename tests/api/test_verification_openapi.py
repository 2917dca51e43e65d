"""The OpenAPI document describes the verification API: its key scheme, bodies with examples,
and every problem code its routes answer."""

from __future__ import annotations

from tests.harness import Harness


async def test_the_verification_api_is_documented(h: Harness) -> None:
    document = (await h.client.get("/openapi.json")).json()
    scheme = document["components"]["securitySchemes"]["apiKey"]
    assert scheme == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "otk_...",
        "description": scheme["description"],
    }
    paths = document["paths"]
    expected = {
        ("/api/v1/verifications", "post"),
        ("/api/v1/verifications/{verification_id}", "get"),
        ("/api/v1/verifications/{verification_id}/check", "post"),
        ("/api/v1/verifications/{verification_id}/resend", "post"),
        ("/api/v1/verifications/{verification_id}/cancel", "post"),
    }
    for path, method in expected:
        operation = paths[path][method]
        assert operation["security"] == [{"apiKey": []}], path
        for status in ("401", "403", "404"):
            assert status in operation["responses"], (path, status)
    create = paths["/api/v1/verifications"]["post"]
    assert "Idempotency-Key" in {p["name"] for p in create["parameters"]}
    conflicts = create["responses"]["409"]["content"]["application/problem+json"]["examples"]
    assert {"idempotency_key_reused", "idempotency_key_in_use", "phone_unconfirmed"} <= set(
        conflicts
    )
    check = paths["/api/v1/verifications/{verification_id}/check"]["post"]
    assert (
        "details_mismatch"
        in check["responses"]["409"]["content"]["application/problem+json"]["examples"]
    )
    assert "invalid_code" in check["responses"]["400"]["description"]
    schemas = document["components"]["schemas"]
    assert schemas["VerificationIn"]["examples"][0]["details"]["payee"] == "ACME GmbH"
    assert schemas["VerificationOut"]["examples"][0]["id"].startswith("ver_")
    assert "/.well-known/jwks.json" in paths
