"""Sign-in and sessions: enumeration, S19 gating, timeouts, sign-out, trusted browsers."""

from __future__ import annotations

import secrets
import statistics
import time
from typing import Any

import httpx

from otpgate.domain.tokens import token_hash
from otpgate.web.app import create_app
from tests.harness import PASSWORD, Harness, auth
from tests.texts import wrong_code


async def test_unknown_email_and_wrong_password_look_the_same(make_harness: Any) -> None:
    h: Harness = await make_harness(
        limit_password_account="1000/minute", limit_password_ip="1000/minute"
    )
    await h.registered_account("ada@example.com")
    sent_before = len(await h.messages())

    async def attempt(email: str, password: str) -> tuple[int, dict[str, Any], float]:
        started = time.perf_counter()
        response = await h.client.post(
            "/api/v1/sessions", json={"email": email, "password": password}
        )
        body = response.json()
        body.pop("request_id")  # one per request, by design (issue 15 point 14)
        return response.status_code, body, time.perf_counter() - started

    wrong_password = [await attempt("ada@example.com", "wrong password here") for _ in range(7)]
    unknown_email = [await attempt(f"nobody{i}@example.com", PASSWORD) for i in range(7)]
    invalid_email = [await attempt("not an email", PASSWORD) for _ in range(3)]
    answers = {(status, tuple(sorted(body.items()))) for status, body, _ in wrong_password}
    answers |= {(status, tuple(sorted(body.items()))) for status, body, _ in unknown_email}
    answers |= {(status, tuple(sorted(body.items()))) for status, body, _ in invalid_email}
    assert len(answers) == 1
    status, body = answers.pop()
    assert status == 401
    assert dict(body)["code"] == "invalid_credentials"
    assert dict(body)["detail"] == "Your email or password is incorrect"
    # Both paths pay for one Argon2id verify; the medians stay within a factor of two.
    known = statistics.median(t for *_, t in wrong_password)
    unknown = statistics.median(t for *_, t in unknown_email)
    assert 0.5 < known / unknown < 2.0, (known, unknown)
    assert len(await h.messages()) == sent_before  # no SMS for a wrong password (S40)


async def test_password_alone_never_yields_a_token(h: Harness) -> None:
    await h.registered_account()
    response = await h.start_sign_in()
    assert response.status_code == 202
    assert "token" not in response.text
    assert "session" not in response.json()
    assert (await h.client.get("/api/v1/me")).status_code == 401
    challenge_id = response.json()["challenge"]["id"]
    assert (await h.client.get("/api/v1/me", headers=auth(challenge_id))).status_code == 401


async def test_session_tokens_are_long_random_and_stored_hashed(h: Harness) -> None:
    _account, token = await h.signed_in()
    secret = token.split("_", 1)[1]
    assert len(secret) >= 43  # 256 bits in URL-safe base64
    stored = await h.rows("SELECT token_hash FROM sessions")
    assert all(token not in repr(row) for row in stored)
    assert token_hash(token) in {row["token_hash"] for row in stored}


async def test_idle_timeout_ends_a_session(h: Harness) -> None:
    _account, token = await h.signed_in()
    h.clock.advance(59 * 60)
    assert (await h.client.get("/api/v1/me", headers=auth(token))).status_code == 200
    h.clock.advance(59 * 60)  # last seen 59 minutes ago: still within the hour
    assert (await h.client.get("/api/v1/me", headers=auth(token))).status_code == 200
    h.clock.advance(3601)
    gone = await h.client.get("/api/v1/me", headers=auth(token))
    assert gone.status_code == 401
    assert gone.json()["code"] == "not_authenticated"
    assert gone.headers["WWW-Authenticate"] == "Bearer"


async def test_absolute_lifetime_ends_an_active_session(h: Harness) -> None:
    _account, token = await h.signed_in()
    for _ in range(24 * 2 - 1):
        h.clock.advance(30 * 60)
        assert (await h.client.get("/api/v1/me", headers=auth(token))).status_code == 200
    h.clock.advance(30 * 60)
    assert (await h.client.get("/api/v1/me", headers=auth(token))).status_code == 401


async def test_sign_out_revokes_the_token_server_side(h: Harness) -> None:
    _account, token = await h.signed_in()
    assert (
        await h.client.delete("/api/v1/sessions/current", headers=auth(token))
    ).status_code == 204
    assert (await h.client.get("/api/v1/me", headers=auth(token))).status_code == 401
    again = await h.client.delete("/api/v1/sessions/current", headers=auth(token))
    assert again.status_code == 401


async def test_the_api_ignores_cookies_and_malformed_authorization(h: Harness) -> None:
    _account, token = await h.signed_in()
    for headers in (
        {"Cookie": f"otpgate_session={token}"},
        {"Authorization": token},
        {"Authorization": f"Basic {token}"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer " + "x" * 500},
    ):
        response = await h.client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401, headers


async def test_a_trusted_browser_skips_the_sign_in_code(h: Harness) -> None:
    account = await h.registered_account()
    challenge = (await h.start_sign_in()).json()["challenge"]
    code = await h.last_code(account["phone"])
    verified = await h.verify(challenge["id"], code, remember_device=True)
    device_token = verified.json()["device_token"]
    assert device_token.startswith("dev_")
    sent = len(await h.messages())
    trusted = await h.start_sign_in(device_token=device_token)
    assert trusted.status_code == 201
    token = trusted.json()["session"]["token"]
    assert (await h.client.get("/api/v1/me", headers=auth(token))).status_code == 200
    assert len(await h.messages()) == sent
    # Still needs the password: a device token with a wrong password opens nothing.
    refused = await h.client.post(
        "/api/v1/sessions",
        json={
            "email": "ada@example.com",
            "password": "wrong password",
            "device_token": device_token,
        },
    )
    assert refused.status_code == 401
    # A forged or foreign token falls back to a code.
    forged = await h.start_sign_in(device_token="dev_forged")
    assert forged.status_code == 202
    h.clock.advance(31 * 86400)
    expired = await h.start_sign_in(device_token=device_token)
    assert expired.status_code == 202


async def test_another_accounts_device_token_does_not_skip_the_code(h: Harness) -> None:
    ada = await h.registered_account("ada@example.com")
    challenge = (await h.start_sign_in("ada@example.com")).json()["challenge"]
    code = await h.last_code(ada["phone"])
    device_token = (await h.verify(challenge["id"], code, remember_device=True)).json()[
        "device_token"
    ]
    await h.registered_account("bob@example.com")
    response = await h.start_sign_in("bob@example.com", device_token=device_token)
    assert response.status_code == 202


async def test_operators_can_switch_remembering_off(make_harness: Any) -> None:
    h: Harness = await make_harness(remember_devices=False)
    account = await h.registered_account()
    challenge = (await h.start_sign_in()).json()["challenge"]
    code = await h.last_code(account["phone"])
    verified = await h.verify(challenge["id"], code, remember_device=True)
    assert "device_token" not in verified.json()


async def test_security_events_record_the_journey(h: Harness) -> None:
    account = await h.registered_account()
    await h.client.post(
        "/api/v1/sessions", json={"email": "ada@example.com", "password": "not my password"}
    )
    challenge = (await h.start_sign_in()).json()["challenge"]
    code = await h.last_code(account["phone"])
    await h.verify(challenge["id"], wrong_code(code))
    token = (await h.verify(challenge["id"], code)).json()["session"]["token"]
    await h.client.delete("/api/v1/sessions/current", headers=auth(account["token"]))
    response = await h.client.get("/api/v1/me/events", headers=auth(token))
    events = response.json()["events"]
    types = [e["type"] for e in events]
    for expected in (
        "account.registered",
        "phone.verified",
        "code.sent",
        "signin.password_failed",
        "signin.password_ok",
        "code.failed",
        "code.approved",
        "signin.succeeded",
        "session.signed_out",
    ):
        assert expected in types, expected
    assert events == sorted(events, key=lambda e: e["id"], reverse=True)
    assert all(e["ip"] == "203.0.113.7" for e in events)
    page = await h.client.get("/api/v1/me/events?limit=2", headers=auth(token))
    assert len(page.json()["events"]) == 2
    older = await h.client.get(
        f"/api/v1/me/events?limit=2&before={page.json()['next_before']}", headers=auth(token)
    )
    assert older.json()["events"][0]["id"] < page.json()["events"][-1]["id"]


async def test_numbers_outside_a_narrowed_allow_list_get_no_code(h: Harness) -> None:
    await h.registered_account()
    sent = len(await h.messages())
    # The operator narrows the list: a new process on the same database.
    narrowed = create_app(
        h.settings.model_copy(update={"sms_allowed_countries": ("DE",)}),
        limiter_prefix="narrowed" + secrets.token_hex(4),
    )
    transport = httpx.ASGITransport(app=narrowed)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.post(
                "/api/v1/sessions", json={"email": "ada@example.com", "password": PASSWORD}
            )
    finally:
        await narrowed.state.runtime.aclose()
    assert response.status_code == 422
    assert "country" in response.json()["detail"]
    assert len(await h.messages()) == sent
