"""Passkeys through the API with a software authenticator (S53): registration after a
step-up, sign-in and step-up assertions, and every rule py_webauthn leaves to us."""

from __future__ import annotations

from typing import Any

from tests.factors import add_factor, factors_of, sign_in_challenge
from tests.harness import Harness, auth
from tests.soft_webauthn import SoftAuthenticator, b64url

ORIGIN = "https://shop.example"


async def add_passkey(
    h: Harness, token: str, phone: str, label: str = "YubiKey"
) -> tuple[SoftAuthenticator, dict[str, Any]]:
    """Add a passkey: the step-up, creation options, the new credential."""
    pending = (await add_factor(h, token, phone, type="passkey", label=label))["factor"]
    options = await h.client.post(
        "/api/v1/me/factors/passkey/options", json={"factor_id": pending["id"]}, headers=auth(token)
    )
    assert options.status_code == 200, options.text
    key = SoftAuthenticator(origin=ORIGIN, rp_id="shop.example")
    done = await h.client.post(
        "/api/v1/me/factors/passkey",
        json={"factor_id": pending["id"], "credential": key.create(options.json())},
        headers=auth(token),
    )
    assert done.status_code == 200, done.text
    factor: dict[str, Any] = done.json()["factor"]
    return key, factor


async def assertion_options(h: Harness, challenge_id: str, token: str | None = None) -> Any:
    response = await h.client.post(
        f"/api/v1/challenges/{challenge_id}/passkey/options",
        headers=auth(token) if token else None,
    )
    assert response.status_code == 200, response.text
    return response.json()


async def answer(
    h: Harness, challenge_id: str, credential: dict[str, Any], token: str | None = None
) -> Any:
    return await h.client.post(
        f"/api/v1/challenges/{challenge_id}/verify",
        json={"factor": "passkey", "credential": credential},
        headers=auth(token) if token else None,
    )


async def test_s53_registration_asks_for_user_verification_on_this_site(h: Harness) -> None:
    """S53: creation options name this RP, require user verification, prefer a discoverable
    credential; the passkey is active once its credential verifies."""
    account, token = await h.signed_in()
    pending = (await add_factor(h, token, account["phone"], type="passkey", label="Laptop"))[
        "factor"
    ]
    assert pending["status"] == "pending" and pending["label"] == "Laptop"
    options = (
        await h.client.post(
            "/api/v1/me/factors/passkey/options",
            json={"factor_id": pending["id"]},
            headers=auth(token),
        )
    ).json()
    assert options["rp"] == {"name": "Shop", "id": "shop.example"}
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["authenticatorSelection"]["residentKey"] == "preferred"
    assert options["user"]["name"] == "ada@example.com"
    assert account["account_id"] not in options["user"]["id"]
    key = SoftAuthenticator(origin=ORIGIN, rp_id="shop.example")
    unverified = await h.client.post(
        "/api/v1/me/factors/passkey",
        json={"factor_id": pending["id"], "credential": key.create(options, verified=False)},
        headers=auth(token),
    )
    assert unverified.status_code == 422


async def test_s53_a_passkey_signs_in_after_the_password(h: Harness) -> None:
    account, token = await h.signed_in()
    key, factor = await add_passkey(h, token, account["phone"])
    assert factor["status"] == "active" and factor["type"] == "passkey"
    challenge = await sign_in_challenge(h)
    assert "passkey" in challenge["factors_available"]
    options = await assertion_options(h, challenge["id"])
    assert options["rpId"] == "shop.example"
    assert options["userVerification"] == "required"
    assert [c["id"] for c in options["allowCredentials"]] == [b64url(key.credential_id)]
    done = await answer(h, challenge["id"], key.get(options))
    assert done.status_code == 200, done.text
    assert done.json()["session"]["token"]
    events = (await h.client.get("/api/v1/me/events", headers=auth(token))).json()["events"]
    approved = next(e for e in events if e["type"] == "code.approved")
    assert approved["details"]["factor"] == "passkey"
    signed_in = next(e for e in events if e["type"] == "signin.succeeded")
    assert signed_in["details"]["factor"] == "passkey"


async def test_s53_an_assertion_works_once(h: Harness) -> None:
    """S53: a captured assertion can't be replayed (the ceremony is taken on first use)."""
    account, token = await h.signed_in()
    key, _factor = await add_passkey(h, token, account["phone"])
    challenge = await sign_in_challenge(h)
    captured = key.get(await assertion_options(h, challenge["id"]))
    assert (await answer(h, challenge["id"], captured)).status_code == 200
    again = await sign_in_challenge(h)
    await assertion_options(h, again["id"])
    replayed = await answer(h, again["id"], captured)
    assert replayed.status_code == 400 and replayed.json()["code"] == "invalid_code"


async def test_s53_without_user_verification_or_from_another_origin_it_fails(h: Harness) -> None:
    """S53: user verification required; RP ID and origin bound to BASE_URL."""
    account, token = await h.signed_in()
    key, _factor = await add_passkey(h, token, account["phone"])
    challenge = await sign_in_challenge(h)
    for bent in (
        {"verified": False},
        {"origin": "https://shop.example.evil"},
    ):
        options = await assertion_options(h, challenge["id"])
        refused = await answer(h, challenge["id"], key.get(options, **bent))
        assert refused.status_code == 400, bent
    options = await assertion_options(h, challenge["id"])
    phished = dict(options, rpId="evil.example")
    assert (await answer(h, challenge["id"], key.get(phished))).status_code == 400
    state = await h.client.get(f"/api/v1/challenges/{challenge['id']}")
    assert state.json()["attempts_remaining"] == 2


async def test_s53_a_sign_count_that_goes_back_is_refused_and_shown(h: Harness) -> None:
    """S53: sign-count regression refused (a cloned authenticator), and recorded."""
    account, token = await h.signed_in()
    key, _factor = await add_passkey(h, token, account["phone"])
    first = await sign_in_challenge(h)
    assert (
        await answer(h, first["id"], key.get(await assertion_options(h, first["id"])))
    ).status_code == 200
    challenge = await sign_in_challenge(h)
    options = await assertion_options(h, challenge["id"])
    cloned = await answer(h, challenge["id"], key.get(options, count=1))
    assert cloned.status_code == 400
    events = (await h.client.get("/api/v1/me/events", headers=auth(token))).json()["events"]
    assert any(e["type"] == "passkey.refused" and e["outcome"] == "sign_count" for e in events)


async def test_the_user_handle_and_the_account_must_match(h: Harness) -> None:
    account, token = await h.signed_in()
    key, _factor = await add_passkey(h, token, account["phone"])
    other, other_token = await h.signed_in("bob@example.com")
    stranger, _ = await add_passkey(h, other_token, other["phone"])
    challenge = await sign_in_challenge(h)
    options = await assertion_options(h, challenge["id"])
    wrong_handle = await answer(h, challenge["id"], key.get(options, user_handle="AAAA"))
    assert wrong_handle.status_code == 400
    options = await assertion_options(h, challenge["id"])
    # Bob's passkey, for Ada's sign-in: signed for the right challenge, still refused.
    assert (await answer(h, challenge["id"], stranger.get(options))).status_code == 400


async def test_several_passkeys_with_names_approve_a_step_up_and_go(h: Harness) -> None:
    account, token = await h.signed_in()
    laptop, first = await add_passkey(h, token, account["phone"], "Laptop")
    h.clock.advance(1)
    _phone, second = await add_passkey(h, token, account["phone"], "Phone")
    listed = [(f["type"], f["label"]) for f in await factors_of(h, token)]
    assert listed[-2:] == [("passkey", "Laptop"), ("passkey", "Phone")]
    requested = await h.client.delete(f"/api/v1/me/factors/{second['id']}", headers=auth(token))
    challenge = requested.json()["challenge"]
    assert challenge["action"]["summary"] == "Remove the passkey “Phone”"
    options = await assertion_options(h, challenge["id"], token)
    assert len(options["allowCredentials"]) == 2
    done = await answer(h, challenge["id"], laptop.get(options), token)
    assert done.status_code == 200, done.text
    assert [f["label"] for f in await factors_of(h, token) if f["type"] == "passkey"] == ["Laptop"]
    assert first["id"] != second["id"]


async def test_another_session_can_not_ask_for_a_step_up_s_options(h: Harness) -> None:
    account, token = await h.signed_in()
    await add_passkey(h, token, account["phone"])
    requested = await h.client.patch("/api/v1/me", json={"name": "Ada King"}, headers=auth(token))
    challenge_id = requested.json()["challenge"]["id"]
    anonymous = await h.client.post(f"/api/v1/challenges/{challenge_id}/passkey/options")
    assert anonymous.status_code == 401


async def test_passkeys_are_off_on_an_ip_address(make_harness: Any) -> None:
    h: Harness = await make_harness(base_url="http://127.0.0.1:8000")
    _account, token = await h.signed_in()
    refused = await h.client.post(
        "/api/v1/me/factors", json={"type": "passkey"}, headers=auth(token)
    )
    assert refused.status_code == 422
    challenge = await sign_in_challenge(h)
    assert "passkey" not in challenge["factors_available"]
