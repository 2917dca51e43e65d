"""S31 and S20-S22 in the browser: cookie attributes, rotation, server-side sign-out, trust."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie

import httpx

from tests.harness import Harness, auth
from tests.pages.conftest import Visitor


def set_cookies(response: httpx.Response) -> dict[str, dict[str, str | bool]]:
    """Each Set-Cookie of ``response`` by name: its value and attributes (lower-cased keys)."""
    out: dict[str, dict[str, str | bool]] = {}
    for header in response.headers.get_list("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        for name, morsel in jar.items():
            attrs: dict[str, str | bool] = {"value": morsel.value}
            attrs.update({k.lower(): v for k, v in morsel.items() if v})
            attrs["raw"] = header
            out[name] = attrs
    return out


async def test_session_cookie_is_host_prefixed_secure_httponly_lax(
    h: Harness, visitor: Visitor
) -> None:
    phone = h.new_phone()
    registered = await visitor.register("ada@example.com", phone)
    pre = set_cookies(registered)["__Host-otpgate_pre"]
    assert pre["secure"] and pre["httponly"] and pre["path"] == "/"
    assert str(pre["samesite"]).lower() == "lax"
    assert "domain" not in pre

    done = await visitor.enter_code(await h.last_code(phone))
    cookies = set_cookies(done)
    session = cookies["__Host-otpgate_session"]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["path"] == "/"
    assert str(session["samesite"]).lower() == "lax"
    assert "domain" not in session
    assert 0 < int(str(session["max-age"])) <= h.settings.session_max_seconds
    # The value is the opaque session token the API accepts, and nothing else.
    token = str(session["value"])
    me = await h.client.get("/api/v1/me", headers=auth(token))
    assert me.status_code == 200
    # The pre-session (with its challenge) is forgotten once signed in.
    assert cookies["__Host-otpgate_pre"]["max-age"] == "0"


async def test_over_plain_http_cookies_have_no_prefix_and_no_secure(
    make_harness: Callable[..., Awaitable[Harness]], make_visitor: Callable[..., Visitor]
) -> None:
    h = await make_harness(base_url="http://shop.example")
    visitor = make_visitor(h, base_url="http://shop.example")
    phone = h.new_phone()
    await visitor.register("ada@example.com", phone)
    done = await visitor.enter_code(await h.last_code(phone))
    session = set_cookies(done)["otpgate_session"]
    assert "secure" not in session
    assert session["httponly"] is True
    assert str(session["samesite"]).lower() == "lax"
    assert "__Host-" not in str(session["raw"])
    assert "strict-transport-security" not in done.headers


async def test_the_challenge_id_stays_out_of_urls_and_pages(h: Harness, visitor: Visitor) -> None:
    phone = h.new_phone()
    registered = await visitor.register("ada@example.com", phone)
    challenge_id = await h.scalar("SELECT id FROM challenges")
    assert registered.headers["location"] == "/verify"
    page = await visitor.get("/verify")
    assert challenge_id not in page.text
    assert challenge_id not in str(page.url)


async def test_a_tampered_pre_session_cookie_is_ignored(h: Harness, visitor: Visitor) -> None:
    phone = h.new_phone()
    await visitor.register("ada@example.com", phone)
    value = visitor.cookie("otpgate_pre")
    assert value is not None
    nonce, _challenge, signature = value.split(".")
    forged = f"{nonce}.ch_{'A' * 32}.{signature}"
    visitor.client.cookies.set("__Host-otpgate_pre", forged, domain="shop.example")
    page = await visitor.get("/verify")
    assert page.status_code == 303
    assert page.headers["location"] == "/signin"


async def test_every_sign_in_gets_a_new_session_and_the_old_one_dies(
    h: Harness, visitor: Visitor
) -> None:
    phone = await visitor.signed_up("ada@example.com")
    first = visitor.cookie("otpgate_session")
    out = await visitor.sign_out()
    assert out.status_code == 303
    cleared = set_cookies(out)["__Host-otpgate_session"]
    assert cleared["max-age"] == "0"
    assert visitor.cookie("otpgate_session") is None
    # Revoked on the server: the old token is refused even if someone kept a copy (S21).
    assert (await h.client.get("/api/v1/me", headers=auth(str(first)))).status_code == 401

    await visitor.sign_in("ada@example.com")
    done = await visitor.enter_code(await h.last_code(phone))
    assert done.headers["location"] == "/account"
    second = visitor.cookie("otpgate_session")
    assert second and second != first


async def test_remembered_browser_skips_the_sign_in_code(
    h: Harness, make_visitor: Callable[..., Visitor]
) -> None:
    visitor = make_visitor(h)
    phone = h.new_phone()
    await visitor.register("ada@example.com", phone)
    await visitor.enter_code(await h.last_code(phone))
    await visitor.sign_out()

    await visitor.sign_in("ada@example.com")
    done = await visitor.enter_code(await h.last_code(phone), remember="1")
    device = set_cookies(done)["__Host-otpgate_device"]
    assert device["secure"] and device["httponly"] and device["path"] == "/"
    assert str(device["samesite"]).lower() == "strict"
    assert int(str(device["max-age"])) == h.settings.device_trust_seconds
    await visitor.sign_out()

    sent = len(await h.messages(phone))
    again = await visitor.sign_in("ada@example.com")
    assert again.status_code == 303
    assert again.headers["location"] == "/account"
    assert len(await h.messages(phone)) == sent, "a trusted browser gets no code"
    assert (await visitor.get("/account")).status_code == 200

    # Another browser still needs the code.
    other = make_visitor(h)
    elsewhere = await other.sign_in("ada@example.com")
    assert elsewhere.headers["location"] == "/verify"
