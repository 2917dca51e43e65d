"""Logs and metrics for the operator (issue 15 point 22): request lines name the client IP, the
account and the request id; every limit trip is a warning line naming its rule; /metrics has the
process and Python collectors, no ``_created`` duplicates, and static files under their mount."""

from __future__ import annotations

import structlog

from tests.harness import Harness, auth


async def test_request_lines_and_limit_trips(h: Harness) -> None:
    account = await h.registered_account()
    with structlog.testing.capture_logs() as logs:
        me = await h.client.get("/api/v1/me", headers=auth(account["token"]))
        for _ in range(6):
            await h.client.post(
                "/api/v1/sessions", json={"email": "ada@example.com", "password": "wrong one"}
            )
    [line] = [entry for entry in logs if entry.get("route") == "/me"]
    assert line["event"] == "request" and line["log_level"] == "info"
    assert line["ip"] == "203.0.113.7"
    assert line["account_id"] == account["account_id"]
    assert line["request_id"] == me.headers["x-request-id"]
    trips = [entry for entry in logs if entry["event"] == "rate limit tripped"]
    assert trips and all(t["log_level"] == "warning" for t in trips)
    assert trips[0]["rule"] == "password_account" and trips[0]["retry_after"] > 0
    assert "ada@example.com" not in repr(logs)
    signed_out = [e for e in logs if e.get("route") == "/sessions" and e["event"] == "request"]
    assert signed_out and all(e["account_id"] is None for e in signed_out)


async def test_metrics_have_process_and_python_and_no_created_series(h: Harness) -> None:
    assert (await h.client.get("/static/app.css")).status_code == 200
    assert (await h.client.get("/openapi.json")).status_code == 200
    assert (await h.client.get("/docs/assets/swagger-ui.css")).status_code == 200
    assert (await h.client.get("/nothing-here")).status_code == 404
    text = (await h.client.get("/metrics")).text
    for family in ("process_cpu_seconds_total", "process_resident_memory_bytes", "python_info"):
        assert f"\n{family}" in text, family
    assert "python_gc_collections_total" in text
    assert "_created" not in text
    assert 'route="/static/{path}"' in text
    assert 'route="/docs/assets/{path}"' in text
    assert 'route="/openapi.json"' in text
    unmatched = [line for line in text.splitlines() if 'route="unmatched"' in line]
    assert all('status="4xx"' in line for line in unmatched)
