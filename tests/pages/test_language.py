"""Issue 15, point 10: the page's language is the picker's choice, then the browser's
Accept-Language, then English; the picker remembers it in a cookie, on the account when signed
in (its SMS and email are then written in it), and goes back only to a local page."""

from __future__ import annotations

import re

import pytest

from tests.harness import Harness
from tests.pages.conftest import Visitor, token_in
from tests.pages.steps import RELAXED

LANG = re.compile(r'<html lang="([a-z]+)">')


def language_of(html: str) -> str:
    match = LANG.search(html)
    assert match, "no <html lang>"
    return match.group(1)


@pytest.fixture
async def h(make_harness) -> Harness:  # type: ignore[no-untyped-def]
    harness: Harness = await make_harness(**RELAXED)
    return harness


@pytest.mark.parametrize(
    ("accept", "language", "sign_in"),
    [
        (None, "en", "Sign in"),
        ("de-DE,de;q=0.9,en;q=0.8", "de", "Anmelden"),
        ("fr-CH, fr;q=0.9, en;q=0.8", "fr", "Se connecter"),
        ("es-ES,en;q=0.5,fr;q=0.4", "en", "Sign in"),
        ("ja, de;q=0.2, fr;q=0.7", "fr", "Se connecter"),
        ("de;q=0, fr;q=bad, *;q=0.1", "en", "Sign in"),
    ],
)
async def test_the_browser_language_is_used_when_nothing_was_chosen(
    visitor: Visitor, accept: str | None, language: str, sign_in: str
) -> None:
    headers = {"accept-language": accept} if accept else {}
    page = await visitor.client.get("/", headers=headers)
    assert page.status_code == 200
    assert language_of(page.text) == language
    assert page.headers["content-language"] == language
    assert "Accept-Language" in page.headers["vary"]
    assert f'<a href="/signin">{sign_in}</a>' in page.text


async def test_the_picker_outranks_the_browser_and_goes_back_to_the_page(
    visitor: Visitor,
) -> None:
    visitor.client.headers["accept-language"] = "fr-FR"
    token = await visitor.token("/signin")
    chosen = await visitor.post(
        "/language", {"csrf_token": token, "language": "de", "next": "/signin"}
    )
    assert chosen.status_code == 303
    assert chosen.headers["location"] == "/signin"
    assert visitor.cookie("otpgate_lang") == "de"
    page = await visitor.get("/signin")
    assert language_of(page.text) == "de"
    assert '<option value="de" lang="de" selected>Deutsch</option>' in page.text


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "/%2F%2Fevil.example", ""],
)
async def test_the_picker_never_sends_the_browser_elsewhere(visitor: Visitor, target: str) -> None:
    token = await visitor.token("/")
    chosen = await visitor.post(
        "/language", {"csrf_token": token, "language": "fr", "next": target}
    )
    assert chosen.status_code == 303
    assert chosen.headers["location"] == "/"


async def test_an_unknown_language_changes_nothing(visitor: Visitor) -> None:
    token = await visitor.token("/")
    chosen = await visitor.post("/language", {"csrf_token": token, "language": "xx", "next": "/"})
    assert chosen.status_code == 303
    assert visitor.cookie("otpgate_lang") is None


async def test_a_forged_cookie_value_is_ignored(visitor: Visitor) -> None:
    visitor.client.cookies.set("otpgate_lang", "<script>")
    page = await visitor.get("/")
    assert language_of(page.text) == "en"


async def test_the_picker_is_a_guarded_form(visitor: Visitor) -> None:
    await visitor.get("/")
    refused = await visitor.post(
        "/language",
        {"csrf_token": "forged", "language": "de", "next": "/"},
        headers={"origin": "https://evil.example", "sec-fetch-site": "cross-site"},
    )
    assert refused.status_code == 403
    assert visitor.cookie("otpgate_lang") is None


async def test_a_new_account_keeps_the_language_it_signed_up_in(
    h: Harness, visitor: Visitor
) -> None:
    visitor.client.headers["accept-language"] = "fr-FR,fr;q=0.9"
    await visitor.signed_up("ada@example.com")
    assert await h.scalar("SELECT language FROM accounts") == "fr"


async def test_choosing_a_language_signed_in_sets_the_accounts(
    h: Harness, visitor: Visitor
) -> None:
    await visitor.signed_up("ada@example.com")
    assert await h.scalar("SELECT language FROM accounts") == "en"
    page = await visitor.get("/account")
    chosen = await visitor.post(
        "/language", {"csrf_token": token_in(page.text), "language": "de", "next": "/account"}
    )
    assert chosen.headers["location"] == "/account"
    assert await h.scalar("SELECT language FROM accounts") == "de"
    assert language_of((await visitor.get("/account")).text) == "de"
