"""The account pages' guards: a session for every page and form (S19), a session-bound CSRF
token on every form (S32), the card number never echoed, stored or logged, and escaping."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from otpgate.domain.tokens import token_hash
from tests.harness import Harness
from tests.pages.conftest import Visitor, alerts, token_in
from tests.pages.steps import (
    ACCOUNT_PAGES,
    ADDRESS,
    CARD,
    CARD_DIGITS,
    RELAXED,
    add_address,
    add_card,
    assert_redirect,
    everything_stored,
    heading,
    second_browser,
)
from tests.pages.test_csrf import FOREIGN, assert_refused

# Every form of the account pages, with fields that would change something if accepted.
FORMS: tuple[tuple[str, dict[str, str]], ...] = (
    ("/account/security/profile", {"name": "Mallory", "email": "mallory@example.com"}),
    (
        "/account/security/password",
        {"current_password": "correct horse battery staple", "new_password": "owned by mallory"},
    ),
    ("/account/security/phone", {"phone": "+14155559999"}),
    ("/account/addresses", {**ADDRESS, "line1": "66 Drop St"}),
    ("/account/addresses/{address}", {**ADDRESS, "label": "Mallory's"}),
    ("/account/addresses/{address}/default", {}),
    ("/account/addresses/{address}/delete", {}),
    ("/account/payments", {**CARD, "number": "5555 5555 5555 4444"}),
    ("/account/payments/{card}", {"exp_month": "1", "exp_year": "2040"}),
    ("/account/payments/{card}/default", {}),
    ("/account/payments/{card}/delete", {}),
    ("/account/devices/sessions/{session}/sign-out", {}),
    ("/account/devices/sessions/sign-out-others", {}),
    ("/account/devices/trusted/{device}/forget", {}),
)


@pytest.fixture
async def h(make_harness: Callable[..., Any]) -> Harness:
    harness: Harness = await make_harness(**RELAXED)
    return harness


@dataclass
class Furnished:
    """A signed-in account with an address, a card, and a second (trusted) browser."""

    phone: str
    ids: dict[str, str]
    other: Visitor


@pytest.fixture
async def furnished(
    h: Harness, visitor: Visitor, make_visitor: Callable[..., Visitor]
) -> Furnished:
    phone = await visitor.signed_up("ada@example.com")
    address = await add_address(visitor, phone)
    await add_address(visitor, phone, line1="9 Elm Rd", label="Work")
    card = await add_card(visitor, phone, billing_address_id=address)
    await add_card(visitor, phone, number="4000 0566 5566 5556", exp_year="2044")
    other = make_visitor(h)
    await second_browser(visitor, other, "ada@example.com", phone)
    other_session = await h.scalar(
        "SELECT id FROM sessions WHERE token_hash = :t",
        t=token_hash(str(other.cookie("otpgate_session"))),
    )
    device = await h.scalar("SELECT id FROM devices")
    ids = {"address": address, "card": card, "session": other_session, "device": device}
    return Furnished(phone=phone, ids=ids, other=other)


async def snapshot(h: Harness) -> tuple[Any, ...]:
    """What any accepted account form would have changed."""
    return (
        await h.rows("SELECT name, email, phone, password_hash FROM accounts"),
        await h.scalar("SELECT count(*) FROM challenges"),
        len(await h.messages()),
        await h.rows("SELECT id, version, label, is_default FROM addresses ORDER BY id"),
        await h.rows("SELECT id, version, is_default FROM payment_methods ORDER BY id"),
        await h.scalar("SELECT count(*) FROM sessions WHERE revoked_at IS NULL"),
        await h.scalar("SELECT count(*) FROM devices WHERE revoked_at IS NULL"),
    )


async def test_every_account_page_needs_a_session(h: Harness, visitor: Visitor) -> None:
    paths = ("/account", *ACCOUNT_PAGES)
    for path in paths:
        assert_redirect(await visitor.get(path), "/signin")
    # After the password alone (the code not yet entered) nothing opens either (S19).
    await visitor.signed_up("ada@example.com")
    await visitor.sign_out()
    assert_redirect(await visitor.sign_in("ada@example.com"), "/verify")
    for path in paths:
        assert_redirect(await visitor.get(path), "/signin")


async def test_edit_pages_need_a_session_and_an_id_of_this_account(
    h: Harness, visitor: Visitor, make_visitor: Callable[..., Visitor]
) -> None:
    phone = await visitor.signed_up("ada@example.com")
    address = await add_address(visitor, phone)
    card = await add_card(visitor, phone)
    edits = (f"/account/addresses/{address}/edit", f"/account/payments/{card}/edit")
    for path in edits:
        assert (await visitor.get(path)).status_code == 200
        assert_redirect(await make_visitor(h).get(path), "/signin")
    mallory = make_visitor(h)
    await mallory.signed_up("mallory@example.com", name="Mallory")
    for path in (*edits, "/account/addresses/adr_nope/edit", "/account/payments/x/edit"):
        missing = await mallory.get(path)
        assert missing.status_code == 404 and "Page not found" in missing.text
    token = token_in((await mallory.get("/account/security")).text)
    before = await snapshot(h)
    for path in (f"/account/addresses/{address}/delete", f"/account/payments/{card}/delete"):
        assert (await mallory.post(path, {"csrf_token": token})).status_code == 404
    assert await snapshot(h) == before


async def test_every_account_form_refuses_a_bad_token_or_a_foreign_origin(
    h: Harness, visitor: Visitor, furnished: Furnished
) -> None:
    own = token_in((await visitor.get("/account/addresses")).text)
    others = token_in((await furnished.other.get("/account/addresses")).text)
    before = await snapshot(h)
    refusals: list[tuple[str | None, dict[str, str | None]]] = [
        (None, {}),
        ("forged", {}),
        (own[:-4] + "AAAA", {}),
        (others, {}),  # another browser's token for the same account
        (own, FOREIGN),
        (own, {"origin": None, "referer": "https://evil.example/page"}),
    ]
    for template, fields in FORMS:
        path = template.format(**furnished.ids)
        for token, headers in refusals:
            data = dict(fields)
            if token is not None:
                data["csrf_token"] = token
            refused = await visitor.post(path, data, headers=headers)
            assert_refused(refused.status_code, refused.text)
    assert await snapshot(h) == before
    assert (await visitor.get("/account")).status_code == 200


async def test_every_account_form_needs_a_session(
    h: Harness, visitor: Visitor, furnished: Furnished, make_visitor: Callable[..., Visitor]
) -> None:
    token = token_in((await visitor.get("/account/addresses")).text)
    stranger = make_visitor(h)
    await stranger.get("/signin")  # a pre-session of its own, no account
    before = await snapshot(h)
    for template, fields in FORMS:
        path = template.format(**furnished.ids)
        anonymous = await stranger.post(path, {**fields, "csrf_token": token})
        assert_redirect(anonymous, "/signin")
        cross_site = await stranger.post(path, {**fields, "csrf_token": token}, headers=FOREIGN)
        assert_refused(cross_site.status_code, cross_site.text)
    assert await snapshot(h) == before


async def test_the_card_number_is_never_echoed_stored_or_logged(
    h: Harness, visitor: Visitor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    phone = await visitor.signed_up("ada@example.com")
    bodies: list[str] = []
    for change, field, message in (
        ({"exp_year": "2020"}, "exp_year", "This card has expired."),
        ({"exp_month": ""}, "exp_month", "Choose the expiry month."),
        ({"name_on_card": "  "}, "name_on_card", "Enter the name as it appears on the card."),
        ({"billing_address_id": "adr_missing"}, "billing_address_id", None),
        ({"number": "4242 4242 4242 4241"}, "number", "That card number is not valid"),
    ):
        refused = await visitor.submit(
            "/account/payments/new", "/account/payments", **{**CARD, **change}
        )
        assert refused.status_code == 422, change
        assert f'id="{field}-error"' in refused.text, change
        if message:
            assert alerts(refused.text)[0].startswith(message)
        number_input = re.search(r'<input[^>]*id="number"[^>]*>', refused.text)
        assert number_input and 'value=""' in number_input.group(0)
        if field != "number":
            assert "For your security, enter the card number again." in refused.text
        bodies.append(refused.text)

    await add_card(visitor, phone)
    bodies.append((await visitor.get("/account/payments")).text)
    duplicate = await visitor.submit("/account/payments/new", "/account/payments", **CARD)
    assert duplicate.status_code == 409
    assert alerts(duplicate.text) == ["This card is already in your account."]
    bodies.append(duplicate.text)
    await visitor.submit(
        "/account/payments/new", "/account/payments", **{**CARD, "number": "4000056655665556"}
    )
    bodies.append((await visitor.get("/verify")).text)
    bodies.append((await visitor.get("/account/activity")).text)

    secrets = (CARD_DIGITS, "4242 4242 4242 4242", "4242424242424241", "4000056655665556")
    stored = await everything_stored(h)
    outbox = h.settings.outbox_path.read_text()
    for secret in secrets:
        for body in bodies:
            assert secret not in body
        assert secret not in stored
        assert secret not in outbox
        assert secret not in caplog.text
    assert "4242" in stored  # the last four are kept, so the scan did look at the cards


async def test_everything_typed_is_shown_as_text(h: Harness, visitor: Visitor) -> None:
    phone = await visitor.signed_up("ada@example.com")
    markup = "<img src=x onerror=alert(1)>"
    await add_address(visitor, phone, label=markup, instructions=markup)
    sent = await visitor.submit(
        "/account/addresses/new", "/account/addresses", **{**ADDRESS, "line1": markup}
    )
    assert_redirect(sent, "/verify")
    code_page = await visitor.get("/verify")
    assert (
        'to ship to "Ada Lovelace, <img src=x onerror=alert(1)>, Springfield IL 62701, US"'
        in heading(code_page.text)
    )
    for page in (code_page, await visitor.get("/account/addresses")):
        assert "<img src=x" not in page.text
        assert "&lt;img src=x onerror=alert(1)&gt;" in page.text
