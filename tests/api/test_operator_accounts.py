"""Support tools (issue 15 point 21) seen from the customer's side, over HTTP: a disabled account
can't sign in, answer a code or keep its session; unlock lifts the code and password pauses;
each action leaves a security event naming it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import text

from otpgate.services.operator import OperatorService
from tests.harness import PASSWORD, Harness, auth


def operator(h: Harness) -> OperatorService:
    return OperatorService(h.runtime.store, h.clock, h.runtime.limiter)


async def test_a_disabled_account_cannot_sign_in_verify_or_keep_its_session(h: Harness) -> None:
    account = await h.registered_account()
    pending = await h.start_sign_in()
    assert pending.status_code == 202
    code = await h.last_code(account["phone"])

    outcome = await operator(h).disable(account["account_id"])

    assert outcome.account["disabled"] is True and outcome.changed["sessions"] == 1
    # The session it had is gone, the code it was sent answers nothing ...
    assert (await h.client.get("/api/v1/me", headers=auth(account["token"]))).status_code == 401
    late = await h.verify(pending.json()["challenge"]["id"], code)
    assert late.status_code == 410 and late.json()["code"] == "challenge_canceled"
    # ... and the right password is told the account is disabled (a wrong one learns nothing).
    sent = len(await h.messages())
    refused = await h.start_sign_in()
    assert refused.status_code == 403
    assert refused.json()["code"] == "account_disabled"
    wrong = await h.client.post(
        "/api/v1/sessions", json={"email": "ada@example.com", "password": "not the password"}
    )
    assert wrong.status_code == 401 and wrong.json()["code"] == "invalid_credentials"
    assert len(await h.messages()) == sent  # no code texted to a disabled account

    await operator(h).enable(account["account_id"])
    again = await h.start_sign_in()
    assert again.status_code == 202
    verified = await h.verify(again.json()["challenge"]["id"], await h.last_code(account["phone"]))
    assert verified.status_code == 200

    events = await h.rows(
        "SELECT type, details FROM events WHERE type LIKE 'account.%' ORDER BY id"
    )
    assert [e["type"] for e in events] == [
        "account.registered",
        "account.disabled",
        "account.enabled",
    ]
    assert "accounts disable" in str(events[1]["details"])


async def test_unlock_lifts_the_code_pause_and_the_password_pause(h: Harness) -> None:
    account = await h.registered_account()
    h.clock.advance(1)
    async with h.runtime.store.engine.begin() as conn:
        await conn.execute(
            text("UPDATE accounts SET code_locked_until = :until, code_fail_streak = 10"),
            {"until": h.clock.now() + timedelta(minutes=30)},
        )
    paused = await h.start_sign_in()
    assert paused.status_code == 429 and paused.json()["code"] == "code_lockout"
    for _ in range(5):
        await h.client.post(
            "/api/v1/sessions", json={"email": "ada@example.com", "password": "wrong wrong"}
        )
    throttled = await h.start_sign_in()
    assert throttled.status_code == 429 and throttled.json()["code"] == "rate_limited"

    outcome = await operator(h).unlock(account["account_id"])

    assert outcome.changed == {"code_pause_lifted": True}
    signed_in = await h.start_sign_in()
    assert signed_in.status_code == 202, signed_in.text
    shown = await operator(h).show(account["account_id"])
    assert shown["code_pause_until"] is None and shown["wrong_codes_in_a_row"] == 0
    assert "account.unlocked" in [event["type"] for event in shown["recent_events"]]


async def test_sign_out_ends_every_session_and_trusted_browser(h: Harness) -> None:
    account = await h.registered_account()
    started = await h.start_sign_in(remember_device=True)
    verified = await h.verify(
        started.json()["challenge"]["id"],
        await h.last_code(account["phone"]),
        remember_device=True,
    )
    device_token: Any = verified.json()["device_token"]
    assert device_token

    outcome = await operator(h).sign_out(account["account_id"])

    assert outcome.changed == {"sessions": 2, "devices": 1, "app_tokens": 0}
    for token in (account["token"], verified.json()["session"]["token"]):
        assert (await h.client.get("/api/v1/me", headers=auth(token))).status_code == 401
    # The browser is no longer trusted: the password asks for a code again.
    trusted = await h.client.post(
        "/api/v1/sessions",
        json={"email": "ada@example.com", "password": PASSWORD, "device_token": device_token},
    )
    assert trusted.status_code == 202
