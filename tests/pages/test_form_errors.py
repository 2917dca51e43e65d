"""Issue 15, points 5 and 6: a form shows every error at once beside its field, under a
summary at the top that takes focus and links to the fields; what was typed stays, except a
card number or a password (the page says why); a wrong current password is focused."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.harness import Harness
from tests.pages.conftest import Visitor
from tests.pages.steps import ADDRESS, CARD, RELAXED
from tests.texts import text_of

SUMMARY = re.compile(
    r'<div class="error-summary" id="([^"]+)" tabindex="-1" autofocus data-error-summary'
    r".*?</ul>",
    re.S,
)


def summary(html: str) -> tuple[str, list[tuple[str, str]]]:
    """The summary's id and its (field id, message) links."""
    match = SUMMARY.search(html)
    assert match, "no error summary"
    links = re.findall(r'<a href="#([a-z_]+)">([^<]+)</a>', match.group(0))
    return match.group(1), [(field, text_of(message)) for field, message in links]


def field_errors(html: str) -> dict[str, str]:
    found = re.findall(
        r'<p class="field__error" id="([a-z_]+)-error" role="alert">([^<]+)</p>', html
    )
    return {field: text_of(message) for field, message in found}


@pytest.fixture
async def h(make_harness: Callable[..., Any]) -> Harness:
    harness: Harness = await make_harness(**RELAXED)
    return harness


async def test_register_shows_every_error_at_once_and_keeps_what_was_typed(
    h: Harness, visitor: Visitor
) -> None:
    page = await visitor.submit(
        "/register", "/register", name="", email="not-an-email", phone="12", password="short"
    )
    assert page.status_code == 422
    errors = field_errors(page.text)
    assert set(errors) == {"name", "email", "phone", "password"}
    _, links = summary(page.text)
    assert [field for field, _ in links] == ["name", "email", "phone", "password"]
    assert dict(links) == errors  # the same words, beside each field and on top
    assert 'value="not-an-email"' in page.text and 'value="12"' in page.text
    assert 'value="short"' not in page.text
    assert "never send a password back to your browser: type it again" in text_of(page.text)
    assert await h.scalar("SELECT count(*) FROM accounts") == 0


async def test_address_and_card_forms_show_every_error_at_once(
    h: Harness, visitor: Visitor
) -> None:
    await visitor.signed_up("ada@example.com")
    bad_address = {**ADDRESS, "full_name": "", "city": "", "postal_code": "ABC", "phone": "1"}
    page = await visitor.submit("/account/addresses/new", "/account/addresses", **bad_address)
    assert page.status_code == 422
    assert set(field_errors(page.text)) == {"full_name", "city", "postal_code", "phone"}
    assert [f for f, _ in summary(page.text)[1]] == ["full_name", "city", "postal_code", "phone"]
    assert 'value="1 Main St"' in page.text and 'value="ABC"' in page.text  # kept

    bad_card = {**CARD, "number": "4242 4242 4242 4241", "exp_month": "", "name_on_card": ""}
    page = await visitor.submit("/account/payments/new", "/account/payments", **bad_card)
    assert page.status_code == 422
    assert set(field_errors(page.text)) == {"number", "exp_month", "name_on_card"}
    assert "4242 4242 4242 4241" not in page.text and "4242424242424241" not in page.text
    assert 'value="2045" selected' in page.text  # the year typed is kept
    # A right number with another field wrong: it must be typed again, and the page says why.
    page = await visitor.submit(
        "/account/payments/new", "/account/payments", **{**CARD, "name_on_card": ""}
    )
    assert set(field_errors(page.text)) == {"name_on_card"}
    assert "For your security, enter the card number again. We never keep it" in page.text
    assert await h.scalar("SELECT count(*) FROM payment_methods") == 0


async def test_a_wrong_current_password_is_where_focus_goes(h: Harness, visitor: Visitor) -> None:
    await visitor.signed_up("ada@example.com")
    page = await visitor.submit(
        "/account/security",
        "/account/security/password",
        current_password="not my password",
        new_password="a completely different passphrase",
    )
    assert page.status_code == 422
    assert summary(page.text) == (
        "password-summary",
        [("current_password", "Your current password is not right.")],
    )
    assert page.text.count("autofocus") == 1
    # Both fields wrong at once: said together, and no try of the current password is spent.
    page = await visitor.submit(
        "/account/security", "/account/security/password", current_password="", new_password="x"
    )
    assert [f for f, _ in summary(page.text)[1]] == ["current_password", "new_password"]
    assert "type both again" in text_of(page.text)


async def test_a_mobile_number_in_national_format_with_its_country(
    h: Harness, visitor: Visitor
) -> None:
    """Point 8: "0612345678" with France chosen is +33612345678; "+…" is read as it stands."""
    form = await visitor.get("/register")
    assert '<select class="input select" id="phone_country" name="phone_country"' in form.text
    assert '<option value="FR">France (+33)</option>' in form.text
    assert '<option value="US" selected>United States (+1)</option>' in form.text
    registered = await visitor.submit(
        "/register",
        "/register",
        name="Ada Lovelace",
        email="ada@example.com",
        phone="06 12 34 56 78",
        phone_country="FR",
        password="correct horse battery staple",
    )
    assert registered.status_code == 303, registered.text
    assert await h.scalar("SELECT phone FROM accounts") == "+33612345678"
    assert len(await h.messages("+33612345678")) == 1
    # The security page: the number's own country is chosen; an international number
    # wins over the list.
    done = await visitor.enter_code(await h.last_code("+33612345678"))
    assert done.headers["location"] == "/account"
    page = await visitor.get("/account/security")
    assert '<option value="FR" selected>France (+33)</option>' in page.text
    sent = await visitor.submit(
        "/account/security", "/account/security/phone", phone="+14155552671", phone_country="FR"
    )
    assert sent.headers["location"] == "/verify"
    wrong = await visitor.submit(
        "/account/security", "/account/security/phone", phone="0612", phone_country="FR"
    )
    assert wrong.status_code == 422 and 'value="0612"' in wrong.text
    assert '<option value="FR" selected>' in wrong.text


async def test_the_shops_countries_come_first(make_harness: Any, make_visitor: Any) -> None:
    h: Harness = await make_harness(sms_allowed_countries="DE,FR")
    form = (await make_visitor(h).get("/register")).text
    options = re.findall(r'<option value="([A-Z]{2})"', form)
    assert options == ["DE", "FR"]
