"""Bad input gets a clear 4xx problem and loses nothing; operations endpoints answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from otpgate.config import Settings
from otpgate.web.app import create_app
from tests.harness import PASSWORD, Harness, auth


async def test_malformed_json_is_a_400_problem(h: Harness) -> None:
    response = await h.client.post(
        "/api/v1/accounts", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "malformed_json"


async def test_wrong_types_missing_and_unknown_fields(h: Harness) -> None:
    for body in (
        {"name": 1, "email": "a@example.com", "password": PASSWORD, "phone": "+14155552671"},
        {"email": "a@example.com"},
        {"name": "A", "email": "a@example.com", "password": PASSWORD, "phone": "+1", "admin": True},
        [],
    ):
        response = await h.client.post("/api/v1/accounts", json=body)
        assert response.status_code == 422, body
        problem = response.json()
        assert problem["code"] == "validation_error"
        assert problem["errors"]
        assert PASSWORD not in response.text  # input is never echoed back
    assert await h.scalar("SELECT count(*) FROM accounts") == 0


async def test_oversized_fields_and_bodies(h: Harness) -> None:
    too_long = await h.client.post(
        "/api/v1/accounts",
        json={"name": "A" * 201, "email": "a@example.com", "password": PASSWORD, "phone": "+1"},
    )
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["field"] == "name"
    huge = await h.client.post(
        "/api/v1/accounts",
        content=b'{"name": "' + b"A" * 100_000 + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert huge.status_code == 413
    assert huge.json()["code"] == "payload_too_large"

    async def chunks() -> Any:
        for _ in range(100):
            yield b" " * 1024

    streamed = await h.client.post(
        "/api/v1/sessions", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413


async def test_unknown_routes_and_methods_are_problems(h: Harness) -> None:
    missing = await h.client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
    wrong_method = await h.client.put("/api/v1/accounts", json={})
    assert wrong_method.status_code == 405
    assert wrong_method.json()["code"] == "method_not_allowed"


async def test_a_concrete_path_is_not_taken_for_a_template_beside_it(h: Harness) -> None:
    """/me/factors/passkey is POST only (the schema's resource), never /me/factors/{id}:
    DELETE there is 405 naming POST, not a 422 about the id's pattern (found by schemathesis)."""
    for method in ("DELETE", "OPTIONS"):
        answer = await h.client.request(method, "/api/v1/me/factors/passkey")
        assert answer.status_code == 405, answer.text
        assert answer.headers["allow"] == "POST"
    # A real factor id still reaches the template's route.
    missing = await h.client.delete("/api/v1/me/factors/fac_nothing")
    assert missing.status_code == 401  # routed: it asks for the session first


async def test_an_unexpected_failure_is_a_500_without_internals(
    tmp_path: Path, make_settings: Any, backend: str
) -> None:
    if backend != "sqlite":
        return
    # A database file without the schema: every query fails inside SQLAlchemy.
    settings: Settings = make_settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}")
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post(
            "/api/v1/sessions", json={"email": "a@example.com", "password": PASSWORD}
        )
    await app.state.runtime.aclose()
    assert response.status_code == 500
    assert response.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    problem = response.json()
    assert problem["code"] == "internal_error"
    assert "Traceback" not in response.text
    assert "sqlite" not in response.text.lower()
    assert "accounts" not in response.text


async def test_security_headers_on_api_answers(h: Harness) -> None:
    _account, token = await h.signed_in()
    response = await h.client.get("/api/v1/me", headers=auth(token))
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")


async def test_health_readiness_metrics_and_openapi(h: Harness) -> None:
    assert (await h.client.get("/healthz")).json() == {"status": "ok"}
    ready = await h.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": True, "rate_limits": True}
    await h.registered_account()
    metrics = (await h.client.get("/metrics")).text
    assert 'otpgate_verifications_total{outcome="approved",purpose="verify_phone"} 1.0' in metrics
    assert 'otpgate_sms_messages_total{provider="outbox",status="sent"} 1.0' in metrics
    spec = (await h.client.get("/openapi.json")).json()
    for path in (
        "/api/v1/accounts",
        "/api/v1/sessions",
        "/api/v1/challenges/{challenge_id}",
        "/api/v1/challenges/{challenge_id}/verify",
        "/api/v1/challenges/{challenge_id}/resend",
        "/api/v1/sessions/current",
        "/api/v1/me",
        "/api/v1/me/events",
    ):
        assert path in spec["paths"], path
    register_schema = spec["components"]["schemas"]["RegisterIn"]
    assert register_schema["examples"][0]["phone"] == "+14155552671"
    assert "429" in spec["paths"]["/api/v1/sessions"]["post"]["responses"]


async def test_readiness_fails_when_the_database_is_gone(make_settings: Any) -> None:
    # Nothing listens on port 1: the connection is refused at once.
    settings: Settings = make_settings(database_url="postgresql://postgres@127.0.0.1:1/none")
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.get("/readyz")
    await app.state.runtime.aclose()
    assert response.status_code == 503
    assert response.json()["checks"]["database"] is False


async def test_metrics_can_require_a_token(make_harness: Any) -> None:
    h: Harness = await make_harness(metrics_token="scraper-token-0123456789")
    assert (await h.client.get("/metrics")).status_code == 401
    wrong = await h.client.get("/metrics", headers=auth("not-it"))
    assert wrong.status_code == 401
    ok = await h.client.get("/metrics", headers=auth("scraper-token-0123456789"))
    assert ok.status_code == 200
    assert "otpgate_http_request_seconds" in ok.text
