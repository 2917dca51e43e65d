"""Issue 15, point 10, through the pages: the language a customer signs up in writes the
account's texts and mail from then on, whatever language the browser speaks later; the code
page says the code's lifetime in the page's own language."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.harness import Harness
from tests.pages.conftest import Visitor, token_in
from tests.pages.steps import ADDRESS, RELAXED
from tests.texts import code_of, text_of


@pytest.fixture
async def h(make_harness: Callable[..., Any]) -> Harness:
    harness: Harness = await make_harness(**RELAXED)
    return harness


def speaks(visitor: Visitor, language: str) -> None:
    visitor.client.headers["accept-language"] = language


async def test_a_german_sign_up_is_texted_in_german_then_signs_in_in_german(
    h: Harness, visitor: Visitor
) -> None:
    speaks(visitor, "de-DE,de;q=0.9")
    phone = await visitor.signed_up("ada@example.com")
    first = (await h.messages(phone))[0]["body"]
    code = code_of(first)
    assert first == (
        f"{code} ist Ihr Shop-Code für: Mobilnummer bestätigen. Er ist 5 Minuten gültig. "
        f"Geben Sie ihn nie weiter.\n\n@shop.example #{code}"
    )
    await visitor.sign_out()
    # Later, from an English browser: the account's language still writes its texts.
    speaks(visitor, "en-US")
    signing_in = await visitor.sign_in("ada@example.com")
    assert signing_in.status_code == 303, signing_in.text
    text = (await h.messages(phone))[-1]["body"]
    assert text.startswith(f"{code_of(text)} ist Ihr Shop-Code für: Anmelden.")
    assert re.search(r"\n\n@shop\.example #\d{6}$", text)
    page = await visitor.get("/verify")
    assert "5 minutes" in text_of(page.text)  # the page is the English reader's


async def test_the_code_page_says_the_lifetime_in_the_pages_language(
    h: Harness, visitor: Visitor
) -> None:
    speaks(visitor, "fr-FR")
    phone = h.new_phone()
    registered = await visitor.register("ada@example.com", phone)
    assert registered.status_code == 303, registered.text
    page = await visitor.get("/verify")
    assert "5 minutes" in text_of(page.text)  # French: the same words
    speaks(visitor, "de")
    page = await visitor.get("/verify")
    assert "5 Minuten" in text_of(page.text)


async def test_a_french_accounts_mail_is_french_whoever_opens_the_link(
    h: Harness, visitor: Visitor
) -> None:
    speaks(visitor, "fr-CH, fr;q=0.9")
    await visitor.signed_up("ada@example.com")
    mails = await h.mails("ada@example.com")
    assert [m["subject"] for m in mails] == ["Confirmez votre adresse e-mail pour Shop"]
    assert "Ouvrez ce lien pour confirmer que cette adresse appartient" in mails[0]["text"]
    assert (
        "Confirmer cette adresse: https://shop.example/email/confirm?token=" in (mails[0]["text"])
    )
    # The owner picks German on the site: from now on the account is written to in German.
    page = await visitor.get("/account")
    chosen = await visitor.post(
        "/language", {"csrf_token": token_in(page.text), "language": "de", "next": "/account"}
    )
    assert chosen.status_code == 303
    security = await visitor.get("/account/security")
    resent = await visitor.post(
        "/account/security/email/resend", {"csrf_token": token_in(security.text)}
    )
    assert resent.status_code in (200, 303), resent.text
    again = (await h.mails("ada@example.com"))[-1]
    assert again["subject"] == "Bestätigen Sie Ihre E-Mail-Adresse für Shop"


async def test_the_code_page_names_the_change_in_the_pages_language(
    h: Harness, visitor: Visitor
) -> None:
    """An English account on a German page: the text names the change in English, the page in
    German, both from the same payload (every value the code approves, in both)."""
    phone = await visitor.signed_up("ada@example.com")
    speaks(visitor, "de-DE")
    asked = await visitor.submit(
        "/account/addresses/new", "/account/addresses", **{**ADDRESS, "line1": "7 Elm St"}
    )
    assert asked.status_code == 303, asked.text
    page = text_of((await visitor.get("/verify")).text)
    assert "Lieferadresse" in page and "7 Elm St" in page and "Springfield" in page
    text = (await h.messages(phone))[-1]["body"]
    assert "code to ship to" in text and "7 Elm St" in text and "Lieferadresse" not in text
