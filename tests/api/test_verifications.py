"""The verification API through HTTP: create, the SMS, check, resend, cancel, read, and every
challenge rule holding for verifications too."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.harness import Harness, auth
from tests.texts import wrong_code
from tests.verify_api import PAYMENT, api_key, check, create, key_id, started


async def test_a_verification_to_a_number_texts_the_summary_and_checks_once(h: Harness) -> None:
    key = await api_key(h)
    response = await create(
        h, key, to="+1 (415) 555-2671", summary="Pay €1,250.00 to ACME GmbH", details=PAYMENT
    )
    assert response.status_code == 201, response.text
    verification = response.json()["verification"]
    assert verification["id"].startswith("ver_")
    assert verification["status"] == "pending"
    assert verification["channel"] == "sms"
    assert verification["destination"] == "+1 ••• ••• ••71"
    assert verification["summary"] == "Pay €1,250.00 to ACME GmbH"
    assert verification["attempts_remaining"] == 5
    assert set(verification) == {
        "id",
        "status",
        "channel",
        "destination",
        "summary",
        "expires_at",
        "attempts_remaining",
        "resend_available_at",
    }
    [sms] = await h.messages("+14155552671")
    code = await h.last_code("+14155552671")
    assert sms["body"] == (
        f'{code} is your Shop code to "Pay €1,250.00 to ACME GmbH". It expires in 5 minutes. '
        f"Never share it.\n\n@shop.example #{code}"
    )
    ok = await check(h, key, verification["id"], code, details=PAYMENT)
    assert ok.status_code == 200, ok.text
    assert ok.json()["verification"]["status"] == "approved"
    assert ok.json()["approval_token"].count(".") == 2
    again = await check(h, key, verification["id"], code, details=PAYMENT)
    assert again.status_code == 409
    assert again.json()["code"] == "challenge_used"


async def test_without_a_summary_the_text_is_neutral(h: Harness) -> None:
    key = await api_key(h)
    _verification, to = await started(h, key)
    code = await h.last_code(to)
    [sms] = await h.messages(to)
    assert sms["body"].startswith(f"{code} is your Shop code to confirm it's you. It expires")
    assert sms["body"].splitlines()[-1] == f"@shop.example #{code}"


async def test_a_summary_is_one_printable_line_quoted_and_never_cut(h: Harness) -> None:
    """S41, S42: the shop's words can't shape the message or be shortened."""
    key = await api_key(h)
    for bad in ("Pay €5\n@evil.example #123456", "x" * 121, "Pay\u2028now", "\u200b\u200e"):
        refused = await create(h, key, summary=bad)
        assert refused.status_code == 422, bad
        assert refused.json()["code"] == "validation_error"
        assert refused.json()["errors"][0]["field"] == "summary"
    assert await h.messages() == []
    verification, to = await started(
        h, key, summary='Pay  "€5"\u202e to\tBob\u200b', details={"a": 1}
    )
    assert verification["summary"] == "Pay '€5' to Bob"
    first_line = (await h.messages(to))[0]["body"].splitlines()[0]
    assert "code to \"Pay '€5' to Bob\". It expires" in first_line
    fits = await create(h, key, summary="y" * 120)
    assert fits.status_code == 201


async def test_exactly_one_target_and_a_known_channel(h: Harness) -> None:
    key = await api_key(h)
    account = await h.registered_account()
    both = await create(h, key, to=h.new_phone(), account_id=account["account_id"])
    neither = await h.client.post("/api/v1/verifications", json={}, headers=auth(key))
    voice = await create(h, key, channel="voice")
    landline = await create(h, key, to="+33142685300")
    for response in (both, neither, voice, landline):
        assert response.status_code == 422, response.text
    unknown = await create(h, key, account_id="acc_nobody")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "account_not_found"
    assert len(await h.messages()) == 1  # the registration's code only


async def test_a_verification_to_an_account_goes_to_its_confirmed_number(h: Harness) -> None:
    key = await api_key(h)
    account = await h.registered_account()
    response = await create(h, key, account_id=account["account_id"], summary="Place order 10042")
    assert response.status_code == 201, response.text
    verification = response.json()["verification"]
    code = await h.last_code(account["phone"])
    ok = await check(h, key, verification["id"], code)
    assert ok.status_code == 200
    unconfirmed = await h.register("eve@example.com")
    refused = await create(h, key, account_id=unconfirmed["account_id"])
    assert refused.status_code == 409
    assert refused.json()["code"] == "phone_unconfirmed"


async def test_wrong_codes_count_down_and_the_sixth_try_fails_even_when_right(h: Harness) -> None:
    key = await api_key(h)
    verification, to = await started(h, key)
    code = await h.last_code(to)
    for remaining in (4, 3, 2, 1):
        wrong = await check(h, key, verification["id"], wrong_code(code))
        assert wrong.status_code == 400
        assert wrong.json()["code"] == "invalid_code"
        assert wrong.json()["attempts_remaining"] == remaining
    last = await check(h, key, verification["id"], wrong_code(code))
    assert last.status_code == 410 and last.json()["code"] == "challenge_failed"
    right = await check(h, key, verification["id"], code)
    assert right.status_code == 410
    state = await h.client.get(f"/api/v1/verifications/{verification['id']}", headers=auth(key))
    assert state.json()["status"] == "failed"
    assert state.json()["attempts_remaining"] == 0


async def test_resend_waits_voids_the_old_code_and_keeps_the_count(h: Harness) -> None:
    key = await api_key(h)
    verification, to = await started(h, key)
    url = f"/api/v1/verifications/{verification['id']}/resend"
    old = await h.last_code(to)
    await check(h, key, verification["id"], wrong_code(old))
    early = await h.client.post(url, headers=auth(key))
    assert early.status_code == 429 and early.json()["code"] == "resend_too_soon"
    assert early.headers["Retry-After"] == "30"
    h.clock.advance(30)
    resent = await h.client.post(url, headers=auth(key))
    assert resent.status_code == 202, resent.text
    assert resent.json()["verification"]["attempts_remaining"] == 4
    new = await h.last_code(to)
    assert len(await h.messages(to)) == 2
    if new != old:
        stale = await check(h, key, verification["id"], old)
        assert stale.json()["code"] == "invalid_code"
    assert (await check(h, key, verification["id"], new)).status_code == 200


async def test_a_code_expires_with_its_lifetime(h: Harness) -> None:
    key = await api_key(h)
    verification, to = await started(h, key)
    code = await h.last_code(to)
    h.clock.advance(300)
    late = await check(h, key, verification["id"], code)
    assert late.status_code == 410 and late.json()["code"] == "challenge_expired"
    state = await h.client.get(f"/api/v1/verifications/{verification['id']}", headers=auth(key))
    assert state.json()["status"] == "expired"


async def test_cancel_ends_a_pending_verification_and_its_code(h: Harness) -> None:
    key = await api_key(h)
    verification, to = await started(h, key)
    url = f"/api/v1/verifications/{verification['id']}/cancel"
    canceled = await h.client.post(url, headers=auth(key))
    assert canceled.status_code == 200
    assert canceled.json()["verification"]["status"] == "canceled"
    assert (await h.client.post(url, headers=auth(key))).status_code == 200
    refused = await check(h, key, verification["id"], await h.last_code(to))
    assert refused.status_code == 410 and refused.json()["code"] == "challenge_canceled"
    approved, to2 = await started(h, key)
    await check(h, key, approved["id"], await h.last_code(to2))
    late = await h.client.post(f"/api/v1/verifications/{approved['id']}/cancel", headers=auth(key))
    assert late.status_code == 409 and late.json()["code"] == "challenge_used"


async def test_a_key_sees_only_its_own_verifications(h: Harness) -> None:
    mine, theirs = await api_key(h, "checkout"), await api_key(h, "payouts")
    verification, to = await started(h, mine)
    code = await h.last_code(to)
    base = f"/api/v1/verifications/{verification['id']}"
    for response in (
        await h.client.get(base, headers=auth(theirs)),
        await h.client.post(f"{base}/resend", headers=auth(theirs)),
        await h.client.post(f"{base}/cancel", headers=auth(theirs)),
        await check(h, theirs, verification["id"], code),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "verification_not_found"
    missing = await h.client.get("/api/v1/verifications/ver_nothing", headers=auth(mine))
    assert missing.status_code == 404
    assert (await check(h, mine, verification["id"], code)).status_code == 200


async def test_challenge_ids_and_verification_ids_never_cross_over(h: Harness) -> None:
    """S4: a verification's code is refused through the customer's challenge API, and a
    customer's challenge through the verification API, whatever id is tried."""
    key = await api_key(h)
    verification, to = await started(h, key)
    code = await h.last_code(to)
    as_challenge = await h.verify(verification["id"], code)
    assert as_challenge.status_code == 422  # not a challenge id at all
    twin = "ch_" + verification["id"].removeprefix("ver_")
    assert (await h.verify(twin, code)).status_code == 404
    account = await h.registered_account()
    signing_in = await h.start_sign_in()
    challenge = signing_in.json()["challenge"]
    sign_in_code = await h.last_code(account["phone"])
    twin_ver = "ver_" + challenge["id"].removeprefix("ch_")
    assert (await check(h, key, twin_ver, sign_in_code)).status_code == 404
    refused = await check(h, key, challenge["id"], sign_in_code)
    assert refused.status_code == 422
    assert (await check(h, key, verification["id"], code)).status_code == 200
    assert (await h.verify(challenge["id"], sign_in_code)).status_code == 200


async def test_twenty_concurrent_right_codes_approve_once(h: Harness) -> None:
    """S3: of 20 concurrent checks of the right code exactly one gets a token."""
    key = await api_key(h)
    verification, to = await started(h, key, details=PAYMENT)
    code = await h.last_code(to)
    responses = await asyncio.gather(
        *(check(h, key, verification["id"], code, details=PAYMENT) for _ in range(20))
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses.count(200) == 1, statuses
    # The others lost: 409 (used) once the winner's approval is in, or 410 when they found
    # every attempt already claimed by the others (claims commit before the comparison).
    assert all(status in (200, 409, 410) for status in statuses), statuses
    approvals = await h.scalar("SELECT count(*) FROM events WHERE type = 'verification.approved'")
    assert approvals == 1


async def test_wrong_codes_to_one_number_pause_it_across_verifications(
    make_harness: Any,
) -> None:
    """S12 for numbers: 10 wrong codes in a row over several verifications to one number
    pause that number's verifications, whichever key asks; a right code clears the streak."""
    h: Harness = await make_harness(limit_send_number="100/minute")
    key, other = await api_key(h, "a"), await api_key(h, "b")
    number = h.new_phone()
    for _ in range(2):
        verification, _to = await started(h, key, to=number)
        code = await h.last_code(number)
        for _ in range(5):
            await check(h, key, verification["id"], wrong_code(code))
    fresh, _to = await started(h, other, to=number)
    paused = await check(h, other, fresh["id"], await h.last_code(number))
    assert paused.status_code == 429, paused.text
    assert paused.json()["code"] == "code_lockout"
    assert int(paused.headers["Retry-After"]) == 900
    elsewhere, to = await started(h, other)
    assert (await check(h, other, elsewhere["id"], await h.last_code(to))).status_code == 200
    h.clock.advance(900)
    later, _to = await started(h, key, to=number)
    assert (await check(h, key, later["id"], await h.last_code(number))).status_code == 200
    streak = await h.scalar("SELECT code_fail_streak FROM number_pauses")
    assert streak == 0


async def test_wrong_codes_for_an_account_pause_its_sign_in_codes_too(h: Harness) -> None:
    """An account target shares the account's pause (S12): a verification is one of its codes."""
    key = await api_key(h)
    account = await h.registered_account()
    for _ in range(2):
        response = await create(h, key, account_id=account["account_id"])
        verification = response.json()["verification"]
        code = await h.last_code(account["phone"])
        for _ in range(5):
            await check(h, key, verification["id"], wrong_code(code))
    paused = await h.start_sign_in()
    assert paused.status_code == 429 and paused.json()["code"] == "code_lockout"


async def test_events_name_the_key_and_never_carry_the_code(h: Harness) -> None:
    key = await api_key(h)
    verification, to = await started(h, key, summary="Pay €12 to A", details=PAYMENT)
    code = await h.last_code(to)
    await check(h, key, verification["id"], wrong_code(code), details=PAYMENT)
    ok = await check(h, key, verification["id"], code, details=PAYMENT)
    token = ok.json()["approval_token"]
    rows = await h.rows("SELECT type, details FROM events WHERE type <> 'api_key.created'")
    kinds = [row["type"] for row in rows]
    assert kinds == [
        "code.sent",
        "verification.created",
        "code.failed",
        "verification.failed",
        "code.approved",
        "verification.approved",
    ]
    expected = await key_id(h, key)
    for row in rows:
        text = str(row["details"])
        assert expected in text
        assert code not in text and token not in text and key not in text
