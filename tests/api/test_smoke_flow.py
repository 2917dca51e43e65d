"""The journey of the issue: register, confirm, sign out, sign back in with password + code."""

from __future__ import annotations

from tests.harness import Harness, auth


async def test_register_confirm_sign_out_sign_in(h: Harness) -> None:
    registered = await h.register("ada@example.com")
    challenge = registered["challenge"]
    assert challenge["purpose"] == "verify_phone"
    assert challenge["status"] == "pending"
    assert challenge["destination"].endswith(registered["phone"][-2:])
    assert "•" in challenge["destination"]

    code = await h.last_code(registered["phone"])
    verified = await h.verify(challenge["id"], code)
    assert verified.status_code == 200, verified.text
    token = verified.json()["session"]["token"]
    assert verified.json()["challenge"]["status"] == "approved"

    me = await h.client.get("/api/v1/me", headers=auth(token))
    assert me.status_code == 200
    assert me.json()["email"] == "ada@example.com"
    assert me.json()["phone_verified"] is True

    out = await h.client.delete("/api/v1/sessions/current", headers=auth(token))
    assert out.status_code == 204
    assert (await h.client.get("/api/v1/me", headers=auth(token))).status_code == 401

    started = await h.start_sign_in("ada@example.com")
    assert started.status_code == 202, started.text
    sign_in = started.json()["challenge"]
    assert sign_in["purpose"] == "sign_in"
    code = await h.last_code(registered["phone"])
    done = await h.verify(sign_in["id"], code)
    assert done.status_code == 200, done.text
    new_token = done.json()["session"]["token"]
    assert new_token != token
    me = await h.client.get("/api/v1/me", headers=auth(new_token))
    assert me.status_code == 200
