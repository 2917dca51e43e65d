"""The OTP engine through the API: attempts, resend, expiry, single use, binding, races."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.harness import Harness, auth
from tests.texts import wrong_code


async def sign_in_challenge(h: Harness) -> tuple[dict[str, Any], dict[str, Any]]:
    account = await h.registered_account()
    response = await h.start_sign_in()
    assert response.status_code == 202
    return account, response.json()["challenge"]


async def test_wrong_codes_count_down_and_the_sixth_try_fails_even_when_right(h: Harness) -> None:
    account, challenge = await sign_in_challenge(h)
    code = await h.last_code(account["phone"])
    for remaining in (4, 3, 2, 1):
        response = await h.verify(challenge["id"], wrong_code(code))
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_code"
        assert response.json()["attempts_remaining"] == remaining
        assert f"{remaining} tr" in response.json()["detail"]
    last = await h.verify(challenge["id"], wrong_code(code))
    assert last.status_code == 410
    assert last.json()["code"] == "challenge_failed"
    right = await h.verify(challenge["id"], code)
    assert right.status_code == 410
    assert right.json()["code"] == "challenge_failed"
    state = await h.client.get(f"/api/v1/challenges/{challenge['id']}")
    assert state.json()["status"] == "failed"
    assert state.json()["attempts_remaining"] == 0


async def test_resend_never_resets_the_failure_count(h: Harness) -> None:
    account, challenge = await sign_in_challenge(h)
    old = await h.last_code(account["phone"])
    for _ in range(3):
        await h.verify(challenge["id"], wrong_code(old))
    h.clock.advance(30)
    resent = await h.client.post(f"/api/v1/challenges/{challenge['id']}/resend")
    assert resent.status_code == 202
    assert resent.json()["challenge"]["attempts_remaining"] == 2
    new = await h.last_code(account["phone"])
    await h.verify(challenge["id"], wrong_code(new))
    assert (await h.verify(challenge["id"], wrong_code(new))).json()["code"] == "challenge_failed"
    assert (await h.verify(challenge["id"], new)).status_code == 410


async def test_resend_waits_for_the_cooldown_then_voids_the_old_code(h: Harness) -> None:
    account, challenge = await sign_in_challenge(h)
    old = await h.last_code(account["phone"])
    early = await h.client.post(f"/api/v1/challenges/{challenge['id']}/resend")
    assert early.status_code == 429
    assert early.json()["code"] == "resend_too_soon"
    assert early.headers["Retry-After"] == "30"
    h.clock.advance(30)
    resent = await h.client.post(f"/api/v1/challenges/{challenge['id']}/resend")
    assert resent.status_code == 202
    new = await h.last_code(account["phone"])
    assert len(await h.messages(account["phone"])) == 3  # registration, sign-in, resend
    if new != old:
        stale = await h.verify(challenge["id"], old)
        assert stale.status_code == 400
        assert stale.json()["code"] == "invalid_code"
    ok = await h.verify(challenge["id"], new)
    assert ok.status_code == 200


async def test_at_most_five_sends_per_challenge(make_harness: Any) -> None:
    h: Harness = await make_harness(limit_send_number="100/minute", limit_send_account="100/minute")
    account, challenge = await sign_in_challenge(h)
    for _ in range(4):
        h.clock.advance(30)
        response = await h.client.post(f"/api/v1/challenges/{challenge['id']}/resend")
        assert response.status_code == 202
    h.clock.advance(30)
    refused = await h.client.post(f"/api/v1/challenges/{challenge['id']}/resend")
    assert refused.status_code == 409
    assert refused.json()["code"] == "resend_limit_reached"
    sent = [m for m in await h.messages(account["phone"]) if m["purpose"] == "sign_in"]
    assert len(sent) == 5


async def test_codes_expire_after_their_lifetime(h: Harness) -> None:
    account, challenge = await sign_in_challenge(h)
    code = await h.last_code(account["phone"])
    h.clock.advance(300)
    response = await h.verify(challenge["id"], code)
    assert response.status_code == 410
    assert response.json()["code"] == "challenge_expired"
    state = await h.client.get(f"/api/v1/challenges/{challenge['id']}")
    assert state.json()["status"] == "expired"
    assert state.json()["resend_available_at"] is None


async def test_a_resend_cannot_stretch_a_challenge_past_fifteen_minutes(make_harness: Any) -> None:
    h: Harness = await make_harness(limit_send_number="100/minute", resend_cooldown_seconds=240)
    account, challenge = await sign_in_challenge(h)
    for _ in range(3):
        h.clock.advance(240)
        assert (
            await h.client.post(f"/api/v1/challenges/{challenge['id']}/resend")
        ).status_code == 202
    code = await h.last_code(account["phone"])  # sent at 12 min; lives only to 15 min
    h.clock.advance(181)
    assert (await h.verify(challenge["id"], code)).json()["code"] == "challenge_expired"


async def test_a_code_works_once(h: Harness) -> None:
    account, challenge = await sign_in_challenge(h)
    code = await h.last_code(account["phone"])
    assert (await h.verify(challenge["id"], code)).status_code == 200
    replay = await h.verify(challenge["id"], code)
    assert replay.status_code == 409
    assert replay.json()["code"] == "challenge_used"
    assert "session" not in replay.json()


async def test_a_code_for_one_challenge_fails_on_every_other(h: Harness) -> None:
    ada = await h.registered_account("ada@example.com")
    bob = await h.registered_account("bob@example.com")
    ada_challenge = (await h.start_sign_in("ada@example.com")).json()["challenge"]
    bob_challenge = (await h.start_sign_in("bob@example.com")).json()["challenge"]
    ada_code = await h.last_code(ada["phone"])
    bob_code = await h.last_code(bob["phone"])
    if ada_code != bob_code:
        response = await h.verify(bob_challenge["id"], ada_code)
        assert response.json()["code"] == "invalid_code"
    assert (await h.verify(ada_challenge["id"], ada_code)).status_code == 200


async def test_a_new_sign_in_cancels_the_previous_pending_code(h: Harness) -> None:
    account, first = await sign_in_challenge(h)
    first_code = await h.last_code(account["phone"])
    second = (await h.start_sign_in()).json()["challenge"]
    response = await h.verify(first["id"], first_code)
    assert response.status_code == 410
    assert response.json()["code"] == "challenge_canceled"
    assert (await h.verify(second["id"], await h.last_code(account["phone"]))).status_code == 200


async def test_spaces_and_dashes_in_a_pasted_code_are_ignored(h: Harness) -> None:
    account, challenge = await sign_in_challenge(h)
    code = await h.last_code(account["phone"])
    pasted = f" {code[:3]} - {code[3:]} "
    assert (await h.verify(challenge["id"], pasted)).status_code == 200


async def test_malformed_codes_are_refused_without_spending_an_attempt(h: Harness) -> None:
    _account, challenge = await sign_in_challenge(h)
    for bad in ("abc", "12345", "1234567", "١٢٣٤٥٦", ""):
        response = await h.verify(challenge["id"], bad)
        assert response.status_code == 422, bad
        assert response.json()["code"] == "validation_error"
    state = await h.client.get(f"/api/v1/challenges/{challenge['id']}")
    assert state.json()["attempts_remaining"] == 5


async def test_unknown_and_malformed_challenge_ids(h: Harness) -> None:
    missing = await h.verify("ch_doesnotexist", "123456")
    assert missing.status_code == 404
    assert missing.json()["code"] == "challenge_not_found"
    assert (await h.client.get("/api/v1/challenges/ch_nope")).status_code == 404
    malformed = await h.client.get("/api/v1/challenges/..%2f..%2fetc")
    assert malformed.status_code in (404, 422)
    too_long = await h.client.get("/api/v1/challenges/ch_" + "a" * 100)
    assert too_long.status_code == 422


async def test_the_code_never_appears_in_responses_or_events(h: Harness) -> None:
    account, challenge = await sign_in_challenge(h)
    code = await h.last_code(account["phone"])
    bodies = [
        (await h.client.get(f"/api/v1/challenges/{challenge['id']}")).text,
        (await h.verify(challenge["id"], wrong_code(code))).text,
    ]
    verified = await h.verify(challenge["id"], code)
    bodies.append(verified.text)
    token = verified.json()["session"]["token"]
    bodies.append((await h.client.get("/api/v1/me/events", headers=auth(token))).text)
    for body in bodies:
        assert code not in body.replace(challenge["id"], "").replace(token, "")


async def test_twenty_concurrent_verifies_of_the_right_code_yield_one_session(h: Harness) -> None:
    account, challenge = await sign_in_challenge(h)
    code = await h.last_code(account["phone"])
    responses = await asyncio.gather(*(h.verify(challenge["id"], code) for _ in range(20)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) == 1, statuses
    assert all(s in (409, 410) for s in statuses if s != 200), statuses
    sessions = await h.scalar(
        "SELECT count(*) FROM sessions WHERE account_id = :a", a=account["account_id"]
    )
    assert sessions == 2  # one from registration, exactly one from this sign-in


async def test_ten_wrong_codes_in_a_row_pause_sign_in_codes_with_doubling(
    make_harness: Any,
) -> None:
    h: Harness = await make_harness(
        limit_send_number="100/minute",
        limit_send_account="100/minute",
        limit_password_account="100/minute",
    )
    account = await h.registered_account()

    async def burn_challenge() -> None:
        challenge = (await h.start_sign_in()).json()["challenge"]
        code = await h.last_code(account["phone"])
        for _ in range(5):
            await h.verify(challenge["id"], wrong_code(code))

    await burn_challenge()
    await burn_challenge()
    locked = await h.start_sign_in()
    assert locked.status_code == 429
    assert locked.json()["code"] == "code_lockout"
    assert 890 <= int(locked.headers["Retry-After"]) <= 900
    h.clock.advance(900)
    await burn_challenge()
    await burn_challenge()
    again = await h.start_sign_in()
    assert again.json()["code"] == "code_lockout"
    assert 1790 <= int(again.headers["Retry-After"]) <= 1800
    h.clock.advance(1800)
    # A success clears the streak: nine wrong, one right, then nine more don't lock.
    challenge = (await h.start_sign_in()).json()["challenge"]
    code = await h.last_code(account["phone"])
    assert (await h.verify(challenge["id"], code)).status_code == 200
    token = (await h.verify(challenge["id"], code)).status_code
    assert token == 409
    await burn_challenge()
    assert (await h.start_sign_in()).status_code == 202
    events = await h.rows("SELECT type FROM events WHERE type = 'lockout.codes'")
    assert len(events) == 2
