"""S32: a state-changing form without a valid token, or sent from another site, changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from html import unescape

import pytest

from tests.harness import PASSWORD, Harness
from tests.pages.conftest import Visitor, token_in
from tests.pages.steps import ACCOUNT_PAGES

FOREIGN: dict[str, str | None] = {"origin": "https://evil.example", "sec-fetch-site": "cross-site"}


async def counts(h: Harness) -> tuple[int, int, int]:
    """Accounts, challenges and messages: what a refused form must not have touched."""
    return (
        await h.scalar("SELECT count(*) FROM accounts"),
        await h.scalar("SELECT count(*) FROM challenges"),
        len(await h.messages()),
    )


def register_fields(h: Harness, token: str | None) -> dict[str, str]:
    fields = {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "phone": h.new_phone(),
        "password": PASSWORD,
    }
    if token is not None:
        fields["csrf_token"] = token
    return fields


def assert_refused(response_status: int, text: str) -> None:
    assert response_status == 403
    assert "We couldn't accept that form" in unescape(text)


@pytest.mark.parametrize(
    ("token", "headers"),
    [
        pytest.param(None, {}, id="missing-token"),
        pytest.param("wrong", {}, id="wrong-token"),
        pytest.param("valid", {"origin": "https://evil.example"}, id="foreign-origin"),
        pytest.param("valid", {"sec-fetch-site": "cross-site"}, id="sec-fetch-site-cross-site"),
        pytest.param("valid", {"origin": "null"}, id="opaque-origin"),
        pytest.param(
            "valid", {"origin": None, "referer": "https://evil.example/x"}, id="foreign-referer"
        ),
    ],
)
async def test_register_refused_without_a_valid_same_site_form(
    h: Harness, visitor: Visitor, token: str | None, headers: dict[str, str | None]
) -> None:
    real = await visitor.token("/register")
    submitted = {"valid": real, "wrong": real[:-4] + "AAAA", None: None}[token]
    response = await visitor.post("/register", register_fields(h, submitted), headers=headers)
    assert_refused(response.status_code, response.text)
    assert await counts(h) == (0, 0, 0)


async def test_a_post_without_any_cookie_is_refused(h: Harness, visitor: Visitor) -> None:
    token = await visitor.token("/register")
    visitor.client.cookies.clear()
    response = await visitor.post("/register", register_fields(h, token))
    assert_refused(response.status_code, response.text)
    assert await counts(h) == (0, 0, 0)


async def test_a_token_from_another_browser_is_refused(
    h: Harness, make_visitor: Callable[..., Visitor]
) -> None:
    mallory, ada = make_visitor(h), make_visitor(h)
    stolen = await mallory.token("/register")
    await ada.get("/register")  # Ada has her own pre-session cookie
    response = await ada.post("/register", register_fields(h, stolen))
    assert_refused(response.status_code, response.text)
    assert await counts(h) == (0, 0, 0)


async def test_the_same_site_form_is_accepted(h: Harness, visitor: Visitor) -> None:
    response = await visitor.post("/register", register_fields(h, await visitor.token("/register")))
    assert response.status_code == 303
    assert await counts(h) == (1, 1, 1)


async def test_sign_in_from_another_site_sends_nothing(
    h: Harness, make_visitor: Callable[..., Visitor]
) -> None:
    await make_visitor(h).signed_up("ada@example.com")
    before = await counts(h)
    events = await h.scalar("SELECT count(*) FROM events")
    visitor = make_visitor(h)
    token = await visitor.token("/signin")
    response = await visitor.post(
        "/signin",
        {"csrf_token": token, "email": "ada@example.com", "password": PASSWORD},
        headers=FOREIGN,
    )
    assert_refused(response.status_code, response.text)
    assert await counts(h) == before
    assert await h.scalar("SELECT count(*) FROM events") == events


async def test_code_entry_from_another_site_counts_no_attempt(h: Harness, visitor: Visitor) -> None:
    phone = h.new_phone()
    await visitor.register("ada@example.com", phone)
    token = await visitor.token("/verify")
    code = await h.last_code(phone)
    response = await visitor.post("/verify", {"csrf_token": token, "code": code}, headers=FOREIGN)
    assert_refused(response.status_code, response.text)
    assert await h.scalar("SELECT attempts FROM challenges") == 0
    assert await h.scalar("SELECT status FROM challenges") == "pending"
    assert visitor.cookie("otpgate_session") is None


async def test_resend_without_token_sends_nothing(h: Harness, visitor: Visitor) -> None:
    phone = h.new_phone()
    await visitor.register("ada@example.com", phone)
    h.clock.advance(60)
    response = await visitor.post("/verify/resend", {})
    assert_refused(response.status_code, response.text)
    assert len(await h.messages(phone)) == 1


async def test_sign_out_needs_the_session_token(h: Harness, visitor: Visitor) -> None:
    await visitor.signed_up("ada@example.com")
    account_page = await visitor.get("/account")
    session_token = token_in(account_page.text)
    refusals: list[tuple[dict[str, str], dict[str, str | None]]] = [
        ({}, {}),
        ({"csrf_token": "nope"}, {}),
        ({"csrf_token": session_token}, FOREIGN),
        ({"csrf_token": session_token}, {"origin": "https://shop.example.evil.test"}),
    ]
    for data, headers in refusals:
        refused = await visitor.post("/signout", data, headers=headers)
        assert refused.status_code == 403
        still = await visitor.get("/account")
        assert still.status_code == 200, "a refused sign-out must leave the session alone"
    done = await visitor.post("/signout", {"csrf_token": session_token})
    assert done.status_code == 303
    assert (await visitor.get("/account")).status_code == 303


async def test_get_never_changes_state(h: Harness, visitor: Visitor, developer: Visitor) -> None:
    await visitor.signed_up("ada@example.com")
    before = await counts(h), await h.scalar("SELECT count(*) FROM events")
    for path in ("/", "/register", "/signin", "/verify", "/account", *ACCOUNT_PAGES):
        assert (await visitor.get(path)).status_code in (200, 303)
    assert (await developer.get("/dev/sms")).status_code == 200
    assert (await visitor.get("/signout")).status_code == 405
    assert (await visitor.get("/verify/resend")).status_code == 405
    assert (await counts(h), await h.scalar("SELECT count(*) FROM events")) == before
    assert (await visitor.get("/account")).status_code == 200
