"""Steps through the account pages for the page tests: forms filled as a person would."""

from __future__ import annotations

import re
from typing import Any

import httpx
from sqlalchemy import inspect

from tests.harness import Harness
from tests.pages.conftest import Visitor
from tests.texts import text_of

# Many codes to one number and from one address in a test: the send caps are not under test.
RELAXED = {
    "limit_send_number": "100/minute",
    "limit_send_ip": "100/minute",
    "limit_send_account": "100/minute",
    "limit_password_account": "100/minute",
}
# Every account page besides the overview (edit pages need an id: see test_account_guards).
ACCOUNT_PAGES = (
    "/account/security",
    "/account/addresses",
    "/account/addresses/new",
    "/account/payments",
    "/account/payments/new",
    "/account/devices",
    "/account/activity",
)
ADDRESS = {
    "full_name": "Ada Lovelace",
    "line1": "1 Main St",
    "line2": "",
    "city": "Springfield",
    "region": "IL",
    "postal_code": "62701",
    "country": "US",
    "phone": "",
    "instructions": "",
    "label": "Home",
}
CARD_DIGITS = "4242424242424242"
CARD = {
    "number": "4242 4242 4242 4242",
    "exp_month": "8",
    "exp_year": "2045",
    "name_on_card": "ADA LOVELACE",
}


def heading(html: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    assert match, "no <h1> in the page"
    return text_of(match.group(1))


def assert_redirect(response: httpx.Response, location: str) -> None:
    assert response.status_code == 303, response.text
    assert response.headers["location"] == location


async def code_page(visitor: Visitor) -> str:
    """The code page as it stands: its heading names the change."""
    page = await visitor.get("/verify")
    assert page.status_code == 200, page.text
    return heading(page.text)


async def approve(visitor: Visitor, phone: str, back: str) -> str:
    """Enter the latest code texted to ``phone``; expect to land on ``back``; return its text."""
    done = await visitor.enter_code(await visitor.h.last_code(phone))
    assert_redirect(done, back)
    landed = await visitor.get(back)
    assert landed.status_code == 200
    return text_of(landed.text)


async def add_address(visitor: Visitor, phone: str, **changes: str) -> str:
    """Add an address with its code; return its id."""
    before = {a["id"] for a in await visitor.h.rows("SELECT id FROM addresses")}
    sent = await visitor.submit(
        "/account/addresses/new", "/account/addresses", **{**ADDRESS, **changes}
    )
    assert_redirect(sent, "/verify")
    await approve(visitor, phone, "/account/addresses")
    after = {a["id"] for a in await visitor.h.rows("SELECT id FROM addresses")}
    (added,) = after - before
    return str(added)


async def add_card(visitor: Visitor, phone: str, **changes: str) -> str:
    before = {c["id"] for c in await visitor.h.rows("SELECT id FROM payment_methods")}
    sent = await visitor.submit("/account/payments/new", "/account/payments", **{**CARD, **changes})
    assert_redirect(sent, "/verify")
    await approve(visitor, phone, "/account/payments")
    after = {c["id"] for c in await visitor.h.rows("SELECT id FROM payment_methods")}
    (added,) = after - before
    return str(added)


async def second_browser(visitor: Visitor, other: Visitor, email: str, phone: str) -> None:
    """Sign ``other`` in to the same account (its own session), ticking "remember"."""
    started = await other.sign_in(email)
    assert_redirect(started, "/verify")
    done = await other.enter_code(await visitor.h.last_code(phone), remember="1")
    assert_redirect(done, "/account")


async def table_names(h: Harness) -> list[str]:
    async with h.runtime.store.engine.connect() as conn:
        names: list[str] = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
    return names


async def everything_stored(h: Harness) -> str:
    """Every row of every table, as text: what a scan for a secret must search."""
    dump: list[Any] = []
    for table in await table_names(h):
        dump.extend(await h.rows(f'SELECT * FROM "{table}"'))
    return repr(dump)
