"""Authenticator apps (TOTP) through the API: enrolment, sign-in, step-up, replay (S52)."""

from __future__ import annotations

import asyncio
import base64
import shutil
from typing import Any

import pyotp

from tests.factors import enrol_totp, factors_of, sign_in_challenge, totp_now
from tests.harness import Harness, auth
from tests.pages.steps import everything_stored


async def test_an_app_is_added_by_a_step_up_and_confirmed_by_its_first_code(h: Harness) -> None:
    account, token = await h.signed_in()
    requested = await h.client.post(
        "/api/v1/me/factors", json={"type": "totp", "label": "Pixel"}, headers=auth(token)
    )
    assert requested.status_code == 202
    challenge = requested.json()["challenge"]
    assert challenge["action"] == {
        "type": "add_factor",
        "summary": "Add the authenticator app “Pixel”",
    }
    assert (
        "code to add the authenticator app “Pixel”."
        in (await h.messages(account["phone"]))[-1]["body"]
    )
    result = (await h.approve(token, requested, account["phone"]))["result"]
    assert result["factor"]["type"] == "totp" and result["factor"]["status"] == "pending"
    secret = result["secret"]
    assert len(base64.b32decode(secret)) == 20  # 160 bits
    assert result["otpauth_uri"] == pyotp.TOTP(secret).provisioning_uri(
        name="ada@example.com", issuer_name="Shop"
    )
    assert result["qr_svg"].startswith("<svg ") and 'role="img"' in result["qr_svg"]
    assert secret not in result["qr_svg"]
    # Pending: it can't answer anything yet.
    assert [f["type"] for f in await factors_of(h, token)] == ["sms_code", "voice_code", "totp"]
    started = await sign_in_challenge(h)
    assert "totp" not in started["factors_available"]

    factor_id = result["factor"]["id"]
    wrong = await h.client.post(
        f"/api/v1/me/factors/{factor_id}/confirm", json={"code": "000000"}, headers=auth(token)
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "validation_error"
    confirmed = await h.client.post(
        f"/api/v1/me/factors/{factor_id}/confirm",
        json={"code": totp_now(h, secret)},
        headers=auth(token),
    )
    assert confirmed.status_code == 200
    assert confirmed.json()["factor"]["status"] == "active"
    bodies = [m["body"] for m in await h.messages(account["phone"])]
    assert (
        "The authenticator app “Pixel” was added to your Shop account. If this wasn't you, "
        "contact us right away." in bodies
    )


async def test_s52_a_code_from_the_app_signs_in_and_each_step_works_once(h: Harness) -> None:
    """S52: TOTP per RFC 6238 (±1 step), each step accepted once per account."""
    account, token = await h.signed_in()
    secret = (await enrol_totp(h, token, account["phone"]))["secret"]
    challenge = await sign_in_challenge(h)
    assert challenge["factors_available"] == ["sms_code", "voice_code", "totp"]
    code = totp_now(h, secret)
    done = await h.verify(challenge["id"], code, factor="totp")
    assert done.status_code == 200, done.text
    assert done.json()["session"]["token"]

    again = await sign_in_challenge(h)
    replay = await h.verify(again["id"], code, factor="totp")
    assert replay.status_code == 400 and replay.json()["code"] == "invalid_code"
    # A step back is inside the window but older than the step used: refused too.
    previous = pyotp.TOTP(secret).at(int(h.clock.now().timestamp()) - 30)
    assert (await h.verify(again["id"], previous, factor="totp")).status_code == 400
    h.clock.advance(30)
    # A clock one step behind the server still works (the window is ±1 step).
    behind = pyotp.TOTP(secret).at(int(h.clock.now().timestamp()) + 30)
    assert (await h.verify(again["id"], behind, factor="totp")).status_code == 200
    two_ahead = await sign_in_challenge(h)
    h.clock.advance(90)
    late = pyotp.TOTP(secret).at(int(h.clock.now().timestamp()) - 60)
    assert (await h.verify(two_ahead["id"], late, factor="totp")).status_code == 400


async def test_s52_the_secret_is_sealed_at_rest(h: Harness) -> None:
    """S52: secrets sealed at rest: no table holds the base32 secret or its bytes."""
    account, token = await h.signed_in()
    secret = (await enrol_totp(h, token, account["phone"]))["secret"]
    stored = await everything_stored(h)
    assert secret not in stored
    assert repr(base64.b32decode(secret))[2:-1] not in stored
    events = await h.client.get("/api/v1/me/events", headers=auth(token))
    assert secret not in events.text


async def test_a_wrong_app_code_counts_like_a_wrong_text_code(h: Harness) -> None:
    account, token = await h.signed_in()
    secret = (await enrol_totp(h, token, account["phone"]))["secret"]
    challenge = await sign_in_challenge(h)
    wrong = f"{(int(totp_now(h, secret)) + 1) % 1_000_000:06d}"
    assert (await h.verify(challenge["id"], wrong, factor="totp")).json()["attempts_remaining"] == 4
    sms = await h.last_code(account["phone"])
    bad_sms = f"{(int(sms) + 1) % 1_000_000:06d}"
    assert (await h.verify(challenge["id"], bad_sms)).json()["attempts_remaining"] == 3
    for _ in range(2):
        await h.verify(challenge["id"], wrong, factor="totp")
    last = await h.verify(challenge["id"], wrong, factor="totp")
    assert last.json()["code"] == "challenge_failed"
    right = await h.verify(challenge["id"], totp_now(h, secret), factor="totp")
    assert right.status_code == 410


async def test_a_step_up_is_approved_by_the_app(h: Harness) -> None:
    account, token = await h.signed_in()
    secret = (await enrol_totp(h, token, account["phone"]))["secret"]
    requested = await h.client.patch("/api/v1/me", json={"name": "Ada King"}, headers=auth(token))
    challenge = requested.json()["challenge"]
    assert "totp" in challenge["factors_available"]
    done = await h.verify(challenge["id"], totp_now(h, secret), token=token, factor="totp")
    assert done.status_code == 200, done.text
    assert done.json()["result"]["name"] == "Ada King"


async def test_a_new_number_proves_itself_only_by_its_own_code(h: Harness) -> None:
    account, token = await h.signed_in()
    secret = (await enrol_totp(h, token, account["phone"]))["secret"]
    new = h.new_phone()
    requested = await h.client.put("/api/v1/me/phone", json={"phone": new}, headers=auth(token))
    # The old number's approval may come from the app (a lost phone is why numbers change) ...
    first = await h.verify(
        requested.json()["challenge"]["id"], totp_now(h, secret), token=token, factor="totp"
    )
    assert first.status_code == 200, first.text
    second = first.json()["next_challenge"]
    # ... but the new number must prove itself with the code texted to it.
    assert second["factors_available"] == ["sms_code"]
    h.clock.advance(30)
    refused = await h.verify(second["id"], totp_now(h, secret), token=token, factor="totp")
    assert refused.status_code == 422 and refused.json()["code"] == "validation_error"
    still = await h.client.get(f"/api/v1/challenges/{second['id']}", headers=auth(token))
    assert still.json()["attempts_remaining"] == 5


async def test_registration_codes_are_only_the_texted_code(h: Harness) -> None:
    data = await h.register()
    assert data["challenge"]["factors_available"] == ["sms_code"]
    refused = await h.verify(data["challenge"]["id"], "123456", factor="totp")
    assert refused.status_code == 422


async def test_one_app_per_account(h: Harness) -> None:
    account, token = await h.signed_in()
    await enrol_totp(h, token, account["phone"])
    again = await h.client.post("/api/v1/me/factors", json={"type": "totp"}, headers=auth(token))
    assert again.status_code == 409


async def test_removing_the_app_is_a_step_up(h: Harness) -> None:
    account, token = await h.signed_in()
    added = await enrol_totp(h, token, account["phone"])
    factor_id = added["factor"]["id"]
    requested = await h.client.delete(f"/api/v1/me/factors/{factor_id}", headers=auth(token))
    assert requested.json()["challenge"]["action"]["summary"] == (
        "Remove the authenticator app “My phone”"
    )
    assert [f["type"] for f in await factors_of(h, token)] == ["sms_code", "voice_code", "totp"]
    await h.approve(token, requested, account["phone"])
    assert [f["type"] for f in await factors_of(h, token)] == ["sms_code", "voice_code"]
    bodies = [m["body"] for m in await h.messages(account["phone"])]
    assert any(b.startswith("The authenticator app “My phone” was removed from") for b in bodies)
    challenge = await sign_in_challenge(h)
    refused = await h.verify(challenge["id"], totp_now(h, added["secret"]), factor="totp")
    assert refused.status_code == 422


async def test_sms_can_not_be_removed(h: Harness) -> None:
    _account, token = await h.signed_in()
    refused = await h.client.delete("/api/v1/me/factors/fac_sms", headers=auth(token))
    assert refused.status_code == 409


async def test_interop_with_oathtool(h: Harness) -> None:
    """Codes from Debian's oathtool (an independent RFC 6238 generator) are accepted."""
    oathtool = shutil.which("oathtool")
    assert oathtool, "apt-get install -y oathtool (.ci/run installs it)"
    account, token = await h.signed_in()
    secret = (await enrol_totp(h, token, account["phone"]))["secret"]
    challenge = await sign_in_challenge(h)
    moment = int(h.clock.now().timestamp())
    process = await asyncio.create_subprocess_exec(
        oathtool, "--totp", "-b", "--now", f"@{moment}", secret, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    assert process.returncode == 0
    code = out.decode().strip()
    assert (await h.verify(challenge["id"], code, factor="totp")).status_code == 200


async def test_two_right_codes_at_once_pass_once(h: Harness) -> None:
    """A sign-in and a step-up answered with the same right code at the same time: one
    wins (S52; the conditional update on the last step decides)."""
    account, token = await h.signed_in()
    secret = (await enrol_totp(h, token, account["phone"]))["secret"]
    sign_in = await sign_in_challenge(h)
    change = await h.client.patch("/api/v1/me", json={"name": "Ada King"}, headers=auth(token))
    code = totp_now(h, secret)
    results: list[Any] = await asyncio.gather(
        h.verify(sign_in["id"], code, factor="totp"),
        h.verify(change.json()["challenge"]["id"], code, token=token, factor="totp"),
    )
    assert sorted(r.status_code for r in results) == [200, 400]
