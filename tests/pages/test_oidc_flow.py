"""The authorization code flow with PKCE, driven by Authlib's client (S47, S48, S49)."""

from __future__ import annotations

from authlib.oidc.discovery import OpenIDProviderMetadata

from tests.harness import Harness
from tests.pages.conftest import Visitor, token_in
from tests.pages.oidc_steps import (
    ISSUER,
    authorized,
    query_of,
    refreshed_to,
    register_rp,
    resumed,
)
from tests.texts import text_of


async def test_discovery_document_is_valid_provider_metadata(h: Harness) -> None:
    answer = await h.client.get("/.well-known/openid-configuration")
    assert answer.status_code == 200
    metadata = OpenIDProviderMetadata(answer.json())
    # Authlib's own checks of OIDC Discovery 1.0 §3, all but one: Discovery wants RS256 among
    # the ID token algorithms, and otpgate signs with ES256 only (DESIGN §5.3, S47).
    skipped = "validate_id_token_signing_alg_values_supported"
    for name in dir(metadata):
        if name.startswith("validate_") and name != skipped:
            getattr(metadata, name)()
    assert metadata["issuer"] == ISSUER
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["id_token_signing_alg_values_supported"] == ["ES256"]
    assert "urn:otpgate:acr:mfa" in metadata["acr_values_supported"]


async def test_s48_code_flow_with_pkce_gives_verifiable_tokens(
    h: Harness, visitor: Visitor
) -> None:
    phone = await visitor.signed_up("ada@example.com")
    rp = await register_rp(h)
    url, state, verifier = rp.authorization(nonce="n-0S6_WzA2Mj")
    location = await authorized(visitor, url)
    assert query_of(location)["state"] == state
    token = await rp.exchange(location, verifier)
    assert token["token_type"].lower() == "bearer" and token["refresh_token"]
    claims = await rp.claims(token["id_token"], nonce="n-0S6_WzA2Mj")
    assert claims["sub"].startswith("acc_")
    assert claims["amr"] == ["pwd", "sms", "mfa"] and claims["acr"] == "urn:otpgate:acr:mfa"
    assert claims["phone_number"] == phone and claims["phone_number_verified"] is True
    assert claims["name"] == "Ada Lovelace" and claims["email"] == "ada@example.com"
    assert claims["auth_time"] <= claims["iat"]
    info = await rp.oauth.get(f"{ISSUER}/oauth/userinfo")
    assert info.status_code == 200
    assert info.json()["sub"] == claims["sub"] and info.json()["phone_number"] == phone


async def test_s48_signed_out_authorization_signs_in_then_comes_back(
    h: Harness, visitor: Visitor
) -> None:
    await visitor.signed_up("ada@example.com")
    await visitor.sign_out()
    rp = await register_rp(h)
    url, state, verifier = rp.authorization()
    first = await visitor.client.get(url)
    assert first.status_code == 303 and first.headers["location"] == "/signin"
    # The way back is kept server-side: no next= or return URL in the sign-in URL.
    assert "authorize" not in first.headers["location"]
    signed = await visitor.sign_in("ada@example.com")
    assert signed.headers["location"] == "/verify"
    phone = (await h.rows("SELECT phone FROM accounts"))[0]["phone"]
    done = await visitor.enter_code(await h.last_code(phone))
    assert done.headers["location"] == "/oauth/authorize/resume"
    back = await resumed(visitor)
    assert query_of(back)["state"] == state
    token = await rp.exchange(back, verifier)
    assert (await rp.claims(token["id_token"]))["amr"] == ["pwd", "sms", "mfa"]
    # The way back is single use.
    again = await visitor.client.get("/oauth/authorize/resume")
    assert again.status_code == 400


async def test_s49_max_age_zero_asks_for_a_fresh_password_and_code(
    h: Harness, visitor: Visitor
) -> None:
    phone = await visitor.signed_up("ada@example.com")
    rp = await register_rp(h)
    url, _state, verifier = rp.authorization()
    first = await rp.exchange(await authorized(visitor, url), verifier)
    before = (await rp.claims(first["id_token"]))["auth_time"]
    h.clock.advance(120)
    url, _state, verifier = rp.authorization(max_age="0", acr_values="urn:otpgate:acr:mfa")
    step = await visitor.client.get(url)
    assert step.status_code == 303 and step.headers["location"] == "/signin"
    await visitor.sign_in("ada@example.com")
    done = await visitor.enter_code(await h.last_code(phone))
    assert done.headers["location"] == "/oauth/authorize/resume"
    second = await rp.exchange(await resumed(visitor), verifier)
    assert (await rp.claims(second["id_token"]))["auth_time"] >= before + 120


async def test_s49_prompt_none_without_a_session_answers_login_required(
    h: Harness, visitor: Visitor
) -> None:
    rp = await register_rp(h)
    url, state, _verifier = rp.authorization(prompt="none")
    answer = await visitor.client.get(url)
    assert answer.status_code == 302
    assert query_of(answer.headers["location"]) == {
        "error": "login_required",
        "state": state,
        "iss": ISSUER,  # RFC 9207
    }


async def test_a_client_created_with_consent_asks_first(h: Harness, visitor: Visitor) -> None:
    await visitor.signed_up("ada@example.com")
    rp = await register_rp(h, consent=True)
    url, state, verifier = rp.authorization()
    page = await visitor.client.get(url)
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Allow Storefront to sign you in?" in text and "Your mobile number" in text
    allowed = await visitor.post(
        "/oauth/consent", {"csrf_token": token_in(page.text), "decision": "allow"}
    )
    location = refreshed_to(allowed.text)
    assert query_of(location)["state"] == state
    assert "id_token" in await rp.exchange(location, verifier)
    url, state, _verifier = rp.authorization()
    page = await visitor.client.get(url)
    denied = await visitor.post(
        "/oauth/consent", {"csrf_token": token_in(page.text), "decision": "deny"}
    )
    answered = query_of(refreshed_to(denied.text))
    assert (answered["error"], answered["state"]) == ("access_denied", state)


async def test_s49_a_trusted_browser_says_so_and_acr_mfa_asks_for_a_code(
    h: Harness, visitor: Visitor
) -> None:
    phone = await visitor.signed_up("ada@example.com")
    await visitor.sign_out()
    await visitor.sign_in("ada@example.com")
    await visitor.enter_code(await h.last_code(phone), remember="1")
    await visitor.sign_out()
    trusted = await visitor.sign_in("ada@example.com")
    assert trusted.headers["location"] == "/account"  # no code: the browser is trusted (S22)
    rp = await register_rp(h, scope="openid")
    url, _state, verifier = rp.authorization()
    claims = await rp.claims(
        (await rp.exchange(await authorized(visitor, url), verifier))["id_token"]
    )
    assert claims["acr"] == "urn:otpgate:acr:trusted-device" and claims["amr"] == ["pwd"]
    # Scope openid alone: no profile claims, in the ID token or at userinfo.
    assert not {"name", "email", "phone_number"} & set(claims)
    info = (await rp.oauth.get(f"{ISSUER}/oauth/userinfo")).json()
    assert info == {"sub": claims["sub"]}
    codes_before = len(await h.messages(phone))
    url, _state, verifier = rp.authorization(acr_values="urn:otpgate:acr:mfa")
    step = await visitor.client.get(url)
    assert step.headers["location"] == "/signin"
    asked = await visitor.sign_in("ada@example.com")
    assert asked.headers["location"] == "/verify"  # a code, trusted browser or not
    assert len(await h.messages(phone)) == codes_before + 1
    await visitor.enter_code(await h.last_code(phone))
    claims = await rp.claims((await rp.exchange(await resumed(visitor), verifier))["id_token"])
    assert claims["acr"] == "urn:otpgate:acr:mfa" and claims["amr"] == ["pwd", "sms", "mfa"]


async def test_a_new_customer_creates_an_account_and_comes_back_to_the_app(
    h: Harness, visitor: Visitor
) -> None:
    rp = await register_rp(h)
    url, state, verifier = rp.authorization()
    first = await visitor.client.get(url)
    assert first.headers["location"] == "/signin"
    phone = h.new_phone()
    registered = await visitor.register("new@example.com", phone)
    assert registered.headers["location"] == "/verify"
    done = await visitor.enter_code(await h.last_code(phone))
    assert done.headers["location"] == "/oauth/authorize/resume"
    back = await resumed(visitor)
    assert query_of(back)["state"] == state
    claims = await rp.claims((await rp.exchange(back, verifier))["id_token"])
    assert claims["phone_number"] == phone and claims["amr"] == ["pwd", "sms", "mfa"]
