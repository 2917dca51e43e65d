"""Step-up for login & security: name, email, password and mobile number."""

from __future__ import annotations

from typing import Any

from otpgate.domain.tokens import token_hash
from tests.harness import PASSWORD, Harness, auth
from tests.texts import wrong_code

NEW_PASSWORD = "a completely different passphrase"


async def test_changing_the_email_shows_in_the_profile_after_the_code(h: Harness) -> None:
    account, token = await h.signed_in()
    requested = await h.client.patch(
        "/api/v1/me", json={"email": "ada.king@example.org"}, headers=auth(token)
    )
    assert requested.status_code == 202
    summary = requested.json()["challenge"]["action"]["summary"]
    # S24: the new address in full, quoted (a masked one would let a look-alike through).
    assert summary == 'Change your email to "ada.king@example.org"'
    sms = (await h.messages(account["phone"]))[-1]["body"]
    assert 'code to change your email to "ada.king@example.org".' in sms
    assert (await h.client.get("/api/v1/me", headers=auth(token))).json()["email"] == (
        "ada@example.com"
    )
    done = await h.verify(
        requested.json()["challenge"]["id"], await h.last_code(account["phone"]), token=token
    )
    # DESIGN §5.7: the new address waits for the link mailed to it (tests/email).
    assert done.json()["result"]["pending_email"] == "ada.king@example.org"
    assert (await h.client.get("/api/v1/me", headers=auth(token))).json()["email"] == (
        "ada@example.com"
    )


async def test_an_email_taken_meanwhile_is_not_revealed_and_changes_nothing(
    h: Harness,
) -> None:
    """The answer no longer says whether the address is taken (issue 14): the name changes,
    the address waits for a link that is never sent, and the email stays."""
    account, token = await h.signed_in()
    requested = await h.client.patch(
        "/api/v1/me", json={"email": "bob@example.com", "name": "Ada King"}, headers=auth(token)
    )
    code = await h.last_code(account["phone"])
    await h.registered_account("bob@example.com")
    applied = await h.verify(requested.json()["challenge"]["id"], code, token=token)
    assert applied.status_code == 200
    me = (await h.client.get("/api/v1/me", headers=auth(token))).json()
    assert (me["email"], me["name"]) == ("ada@example.com", "Ada King")
    assert len(await h.mails("bob@example.com")) == 1  # bob's own confirmation only


async def test_nothing_to_change_is_a_clear_error(h: Harness) -> None:
    _account, token = await h.signed_in()
    same = await h.client.patch("/api/v1/me", json={"name": "Ada Lovelace"}, headers=auth(token))
    assert same.status_code == 422
    assert (await h.client.patch("/api/v1/me", json={}, headers=auth(token))).status_code == 422


async def test_password_change_needs_the_current_password_and_signs_out_the_rest(
    make_harness: Any,
) -> None:
    h: Harness = await make_harness(limit_password_account="100/minute")
    account, token = await h.signed_in()
    # A second browser, trusted.
    other = (await h.start_sign_in()).json()["challenge"]
    trusted = await h.verify(other["id"], await h.last_code(account["phone"]), remember_device=True)
    other_token, device_token = trusted.json()["session"]["token"], trusted.json()["device_token"]

    wrong = await h.client.put(
        "/api/v1/me/password",
        json={"current_password": "not it at all", "new_password": NEW_PASSWORD},
        headers=auth(token),
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "current_password"
    weak = await h.client.put(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "password1"},
        headers=auth(token),
    )
    assert weak.json()["errors"][0]["field"] == "new_password"

    requested = await h.client.put(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=auth(token),
    )
    assert requested.status_code == 202
    assert requested.json()["challenge"]["action"]["summary"] == "Change your password"
    done = await h.verify(
        requested.json()["challenge"]["id"], await h.last_code(account["phone"]), token=token
    )
    assert done.status_code == 200
    new_token = done.json()["session"]["token"]
    assert new_token != token
    assert done.json()["result"]["signed_out_sessions"] >= 2
    # This browser continues with the rotated token; every other session is gone.
    assert (await h.client.get("/api/v1/me", headers=auth(new_token))).status_code == 200
    assert (await h.client.get("/api/v1/me", headers=auth(token))).status_code == 401
    assert (await h.client.get("/api/v1/me", headers=auth(other_token))).status_code == 401
    # Trusted browsers are forgotten: the old device token no longer skips the code.
    again = await h.client.post(
        "/api/v1/sessions",
        json={"email": "ada@example.com", "password": NEW_PASSWORD, "device_token": device_token},
    )
    assert again.status_code == 202
    old = await h.start_sign_in()
    assert old.status_code == 401
    stored = await h.scalar("SELECT password_hash FROM accounts")
    assert NEW_PASSWORD not in stored and stored.startswith("$argon2id$")
    assert (
        await h.scalar(
            "SELECT count(*) FROM sessions WHERE token_hash = :t AND revoked_at IS NULL",
            t=token_hash(new_token),
        )
        == 1
    )


async def test_changing_the_number_needs_the_old_then_the_new_number(h: Harness) -> None:
    account, token = await h.signed_in()
    old_phone, new_phone = account["phone"], "+14155559999"
    # A trusted browser, to check it is forgotten afterwards.
    other = (await h.start_sign_in()).json()["challenge"]
    device_token = (
        await h.verify(other["id"], await h.last_code(old_phone), remember_device=True)
    ).json()["device_token"]

    requested = await h.client.put(
        "/api/v1/me/phone", json={"phone": new_phone}, headers=auth(token)
    )
    assert requested.status_code == 202
    first = requested.json()["challenge"]
    assert first["destination"].endswith(old_phone[-2:])
    assert first["action"]["summary"] == "Change your mobile number to +14155559999"
    assert await h.messages(new_phone) == []

    step_one = await h.verify(first["id"], await h.last_code(old_phone), token=token)
    assert step_one.status_code == 200
    second = step_one.json()["next_challenge"]
    assert second["purpose"] == "step_up"
    assert second["action"]["type"] == "confirm_new_phone"
    assert second["destination"].endswith("99")
    me = (await h.client.get("/api/v1/me", headers=auth(token))).json()
    assert me["phone"].endswith(old_phone[-2:])  # not yet: the new number must prove itself

    # The old number's code is no good for the second step.
    old_code = await h.last_code(old_phone)
    new_code = await h.last_code(new_phone)
    if old_code != new_code:
        assert (await h.verify(second["id"], old_code, token=token)).json()[
            "code"
        ] == "invalid_code"
    step_two = await h.verify(second["id"], new_code, token=token)
    assert step_two.status_code == 200
    assert step_two.json()["result"]["phone"].endswith("99")
    notice = (await h.messages(old_phone))[-1]
    assert notice["purpose"] == "notice"
    assert "mobile number was changed to +1 ••• ••• ••99" in notice["body"]
    assert await h.scalar("SELECT phone FROM accounts") == new_phone
    # Sign-in codes now go to the new number; trusted browsers were forgotten.
    signin = await h.start_sign_in(device_token=device_token)
    assert signin.status_code == 202
    assert signin.json()["challenge"]["destination"].endswith("99")


async def test_a_wrong_code_leaves_the_number_untouched(h: Harness) -> None:
    account, token = await h.signed_in()
    requested = await h.client.put(
        "/api/v1/me/phone", json={"phone": "+14155559999"}, headers=auth(token)
    )
    code = await h.last_code(account["phone"])
    bad = wrong_code(code)
    assert (
        await h.verify(requested.json()["challenge"]["id"], bad, token=token)
    ).status_code == 400
    assert await h.scalar("SELECT phone FROM accounts") == account["phone"]
    assert await h.messages("+14155559999") == []


async def test_a_trusted_browser_never_skips_a_step_up_code(h: Harness) -> None:
    account = await h.registered_account()
    first = (await h.start_sign_in()).json()["challenge"]
    device_token = (
        await h.verify(first["id"], await h.last_code(account["phone"]), remember_device=True)
    ).json()["device_token"]
    trusted = await h.start_sign_in(device_token=device_token)
    assert trusted.status_code == 201
    token = trusted.json()["session"]["token"]
    requested = await h.client.patch("/api/v1/me", json={"name": "Ada King"}, headers=auth(token))
    assert requested.status_code == 202
    assert (await h.client.get("/api/v1/me", headers=auth(token))).json()["name"] == "Ada Lovelace"


async def test_sessions_and_devices_can_be_listed_and_signed_out(h: Harness) -> None:
    account, token = await h.signed_in()
    other = (await h.start_sign_in()).json()["challenge"]
    verified = await h.verify(
        other["id"], await h.last_code(account["phone"]), remember_device=True
    )
    other_token = verified.json()["session"]["token"]
    sessions = (await h.client.get("/api/v1/me/sessions", headers=auth(token))).json()["sessions"]
    assert len(sessions) == 3  # registration, sign-in, the trusted one
    assert [s["current"] for s in sessions].count(True) == 1
    devices = (await h.client.get("/api/v1/me/devices", headers=auth(token))).json()["devices"]
    assert len(devices) == 1
    forget = await h.client.delete(f"/api/v1/me/devices/{devices[0]['id']}", headers=auth(token))
    assert forget.status_code == 204
    assert (await h.client.get("/api/v1/me/devices", headers=auth(token))).json()["devices"] == []
    out = await h.client.delete("/api/v1/me/sessions", headers=auth(token))
    assert out.json() == {"signed_out": 2}
    assert (await h.client.get("/api/v1/me", headers=auth(other_token))).status_code == 401
    assert (await h.client.get("/api/v1/me", headers=auth(token))).status_code == 200
    unknown = await h.client.delete("/api/v1/me/sessions/se_unknown", headers=auth(token))
    assert unknown.status_code == 404


async def test_wrong_current_passwords_from_a_session_dont_lock_out_sign_in(
    h: Harness,
) -> None:
    _account, token = await h.signed_in()
    for _ in range(6):
        await h.client.put(
            "/api/v1/me/password",
            json={"current_password": "a wrong guess", "new_password": NEW_PASSWORD},
            headers=auth(token),
        )
    refused = await h.client.put(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=auth(token),
    )
    assert refused.status_code == 429
    assert (await h.start_sign_in()).status_code == 202
    events = (await h.client.get("/api/v1/me/events", headers=auth(token))).json()["events"]
    assert [e["type"] for e in events].count("password_change.failed") == 5


async def test_a_password_change_ends_sign_ins_begun_with_the_old_password(
    make_harness: Any,
) -> None:
    h: Harness = await make_harness(limit_password_account="100/minute")
    account, token = await h.signed_in()
    pending = (await h.start_sign_in()).json()["challenge"]
    old_code = await h.last_code(account["phone"])
    requested = await h.client.put(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=auth(token),
    )
    await h.verify(
        requested.json()["challenge"]["id"], await h.last_code(account["phone"]), token=token
    )
    late = await h.verify(pending["id"], old_code)
    assert late.status_code == 410
    assert late.json()["code"] == "challenge_canceled"


async def test_wrong_step_up_codes_pause_step_up_codes_too(make_harness: Any) -> None:
    h: Harness = await make_harness(limit_send_number="100/minute", limit_send_account="100/minute")
    account, token = await h.signed_in()
    for _ in range(2):
        h.clock.advance(1)
        requested = await h.client.patch(
            "/api/v1/me", json={"name": "Mallory"}, headers=auth(token)
        )
        code = await h.last_code(account["phone"])
        wrong = wrong_code(code)
        for _ in range(5):
            await h.verify(requested.json()["challenge"]["id"], wrong, token=token)
    requested = await h.client.patch("/api/v1/me", json={"name": "Mallory"}, headers=auth(token))
    code = await h.last_code(account["phone"])
    paused = await h.verify(requested.json()["challenge"]["id"], code, token=token)
    assert paused.status_code == 429
    assert paused.json()["code"] == "code_lockout"
    assert (await h.client.get("/api/v1/me", headers=auth(token))).json()["name"] == "Ada Lovelace"


async def test_a_long_name_and_email_are_shown_and_texted_in_full(h: Harness) -> None:
    """S42: no summary is cut; the page, the API and the SMS name every value whole."""
    account, token = await h.signed_in()
    long_email = "a" * 60 + "@" + "b" * 60 + "." + "c" * 60 + ".example.com"
    requested = await h.client.patch(
        "/api/v1/me", json={"name": "N" * 100, "email": long_email}, headers=auth(token)
    )
    assert requested.status_code == 202, requested.text
    summary = requested.json()["challenge"]["action"]["summary"]
    assert summary == f'Change your name to "{"N" * 100}" and your email to "{long_email}"'
    assert "…" not in summary
    sms = (await h.messages(account["phone"]))[-1]["body"]
    assert f'code to change your name to "{"N" * 100}" and your email to "{long_email}".' in sms
    challenge = await h.client.get(
        f"/api/v1/challenges/{requested.json()['challenge']['id']}", headers=auth(token)
    )
    assert challenge.json()["action"]["summary"] == summary
    done = await h.verify(
        requested.json()["challenge"]["id"], await h.last_code(account["phone"]), token=token
    )
    assert done.json()["result"]["pending_email"] == long_email


async def test_an_unused_new_password_hash_is_not_kept(h: Harness) -> None:
    _account, token = await h.signed_in()
    requested = await h.client.put(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=auth(token),
    )
    challenge_id = requested.json()["challenge"]["id"]
    assert "argon2" in await h.scalar(
        "SELECT action_payload FROM challenges WHERE id = :i", i=challenge_id
    )
    h.clock.advance(301)
    await h.client.get("/api/v1/me/events", headers=auth(token))  # records the expiry
    assert (
        await h.scalar("SELECT action_payload FROM challenges WHERE id = :i", i=challenge_id)
        is None
    )
    assert (
        await h.scalar("SELECT status FROM challenges WHERE id = :i", i=challenge_id) == "expired"
    )
