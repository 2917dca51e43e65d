"""Codes by phone call: the ``voice`` channel, offered once a text did not arrive."""

from __future__ import annotations

from typing import Any

from tests.factors import code_of_call, sign_in_challenge
from tests.harness import Harness, auth


async def call_me(h: Harness, challenge_id: str, token: str | None = None) -> Any:
    return await h.client.post(
        f"/api/v1/challenges/{challenge_id}/resend",
        json={"channel": "voice"},
        headers=auth(token) if token else None,
    )


async def test_a_call_reads_the_code_twice_digit_by_digit(h: Harness) -> None:
    account = await h.registered_account()
    challenge = await sign_in_challenge(h)
    texted = await h.last_code(account["phone"])
    assert challenge["factors_available"][:2] == ["sms_code", "voice_code"]
    early = await call_me(h, challenge["id"])
    assert early.status_code == 429 and early.json()["code"] == "resend_too_soon"
    h.clock.advance(30)
    called = await call_me(h, challenge["id"])
    assert called.status_code == 202, called.text
    assert called.json()["challenge"]["channel"] == "voice"
    (call,) = await h.calls(account["phone"])
    body = call["body"]
    code = code_of_call(body)
    assert body.startswith("This is Shop. Your code to sign in is: ")
    assert f"{' '.join(d + '.' for d in code)} Again, your code is:" in body
    if code != texted:
        stale = await h.verify(challenge["id"], texted)
        assert stale.status_code == 400
    done = await h.verify(challenge["id"], code, factor="voice_code")
    assert done.status_code == 200, done.text
    # The call is stored with its code blanked out, like a text.
    stored = await h.rows("SELECT channel, body_redacted FROM messages WHERE channel = 'voice'")
    assert len(stored) == 1 and code not in stored[0]["body_redacted"].replace(" ", "")


async def test_calls_have_their_own_limits(make_harness: Any) -> None:
    h: Harness = await make_harness(limit_voice_number="1/hour", resend_cooldown_seconds=0)
    account = await h.registered_account()
    challenge = await sign_in_challenge(h)
    assert (await call_me(h, challenge["id"])).status_code == 202
    second = await call_me(h, challenge["id"])
    assert second.status_code == 429 and second.json()["code"] == "rate_limited"
    # Texts are not held back by the call budget.
    texted = await h.client.post(f"/api/v1/challenges/{challenge['id']}/resend")
    assert texted.status_code == 202
    assert len(await h.calls(account["phone"])) == 1


async def test_numbers_nobody_proved_are_never_called(h: Harness) -> None:
    data = await h.register()
    h.clock.advance(30)
    refused = await call_me(h, data["challenge"]["id"])
    assert refused.status_code == 422
    assert await h.calls(data["phone"]) == []


async def test_a_step_up_code_by_call_names_the_change(h: Harness) -> None:
    account, token = await h.signed_in()
    requested = await h.client.patch("/api/v1/me", json={"name": "Ada King"}, headers=auth(token))
    h.clock.advance(30)
    challenge_id = requested.json()["challenge"]["id"]
    assert (await call_me(h, challenge_id, token)).status_code == 202
    (call,) = await h.calls(account["phone"])
    assert 'Your code to change your name to "Ada King" is:' in call["body"]
    done = await h.verify(
        challenge_id, code_of_call(call["body"]), token=token, factor="voice_code"
    )
    assert done.status_code == 200


async def test_calls_can_be_turned_off(make_harness: Any) -> None:
    h: Harness = await make_harness(voice=False)
    await h.registered_account()
    challenge = await sign_in_challenge(h)
    assert "voice_code" not in challenge["factors_available"]
    h.clock.advance(30)
    assert (await call_me(h, challenge["id"])).status_code == 422
    refused = await h.verify(challenge["id"], "123456", factor="voice_code")
    assert refused.status_code == 422
