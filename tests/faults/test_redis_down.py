"""Redis down: what fails closed, what keeps working, and that it all comes back by itself.

Redis holds the rate limits in scaled mode. Without them otpgate can't keep brute force or SMS
pumping out, so everything that is limited fails closed with 503 problem+json: sign-up, the
password step, sending or resending a code, checking a code, asking for a change. Everything
else keeps working: a signed-in customer reads their account and signs out, health answers
(readiness says Redis is down), and the worker delivers what was already queued (it does not
use Redis). When Redis is back, so is the service, with no restart.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.delivery.conftest import ScriptedTwilio
from tests.faults import report
from tests.faults.conftest import twilio_settings
from tests.faults.stack import PASSWORD, problem_or_success, stack, wait_until
from tests.texts import code_of


def test_redis_down_fails_closed_keeps_reads_and_comes_back(
    tmp_path: Path, twilio: ScriptedTwilio
) -> None:
    # No cooldown, so the resend below reaches the limiter (the cooldown would answer first).
    settings = {**twilio_settings(twilio), "OTPGATE_RESEND_COOLDOWN_SECONDS": "0"}
    with (
        stack(tmp_path, **settings) as running,
        httpx.Client(base_url=running.url, timeout=30) as client,
    ):
        running.worker()
        phone = "+14155554201"
        body = {"name": "Ada", "email": "redis@example.com", "password": PASSWORD, "phone": phone}
        registered = client.post("/api/v1/accounts", json=body).json()
        wait_until(lambda: len(twilio.created) == 1, 15, "the sign-up code")
        verified = client.post(
            f"/api/v1/challenges/{registered['challenge']['id']}/verify",
            json={"code": code_of(twilio.created[0]["body"])},
        )
        token = verified.json()["session"]["token"]
        me = {"Authorization": f"Bearer {token}"}
        # A code queued just before Redis goes: the worker still sends it.
        asked = client.patch("/api/v1/me", json={"name": "Ada King"}, headers=me)
        assert asked.status_code == 202

        running.redis.stop()
        down = time.monotonic()
        closed = {
            "sign-up": client.post("/api/v1/accounts", json={**body, "email": "other@example.com"}),
            "password step": client.post(
                "/api/v1/sessions", json={"email": body["email"], "password": PASSWORD}
            ),
            "step-up": client.patch("/api/v1/me", json={"name": "Mallory"}, headers=me),
            "code check": client.post(
                f"/api/v1/challenges/{asked.json()['challenge']['id']}/verify",
                json={"code": "000000"},
                headers=me,
            ),
            "resend": client.post(
                f"/api/v1/challenges/{asked.json()['challenge']['id']}/resend", headers=me
            ),
        }
        for what, response in closed.items():
            assert problem_or_success(response) == "503", what
        answered_in = time.monotonic() - down
        kept = {
            "profile": client.get("/api/v1/me", headers=me),
            "sessions": client.get("/api/v1/me/sessions", headers=me),
            "challenge": client.get(
                f"/api/v1/challenges/{asked.json()['challenge']['id']}", headers=me
            ),
            "liveness": client.get("/healthz"),
        }
        for what, response in kept.items():
            assert response.status_code == 200, (what, response.text)
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"] == {"database": True, "rate_limits": False}
        wait_until(lambda: len(twilio.created) == 2, 15, "the queued code, sent without Redis")
        assert answered_in < 15  # fails fast, not after a hang per request

        running.redis.start()
        back = time.monotonic()

        def serving() -> bool:
            started = client.post(
                "/api/v1/sessions", json={"email": body["email"], "password": PASSWORD}
            )
            return problem_or_success(started, 202) == "ok"

        wait_until(serving, 10, "sign-in working again once Redis is back")
        back_in = time.monotonic() - back
        assert client.get("/readyz").status_code == 200
        signed_out = client.delete("/api/v1/sessions/current", headers=me)
        assert signed_out.status_code == 204
        log = running.server_log()
        assert '"unhandled error"' not in log and "Traceback" not in log
        report.note(
            f"Redis down: {len(closed)} limited actions answered 503 (fail closed), "
            f"{len(kept)} reads answered 200, the queued code was sent; service back "
            f"{back_in:.1f} s after Redis; 0 answered 500, nothing lost"
        )
