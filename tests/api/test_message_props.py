"""Property (S7, S41): whatever Unicode a customer types into any field that can reach a text
message, the SMS keeps its shape: one line of our words with the values quoted, a blank line,
and ``@host #code`` last. Anything else is a clean 4xx problem, never a 500.

Each field is driven through the JSON API (SQLite, and PostgreSQL + Redis), with hypothesis
generating arbitrary text mixed with the characters that broke messages before: line and
paragraph separators, NEL, bidi marks, quotation marks, fake code lines, our own sentences.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from otpgate.domain.addresses import FIELD_NAMES
from tests.api.test_message_text import assert_well_formed, skeleton
from tests.harness import Harness, auth

RELAXED = {
    name: "100000/minute"
    for name in (
        "limit_send_number",
        "limit_send_ip",
        "limit_send_account",
        "limit_send_prefix",
        "limit_send_country",
        "limit_send_global",
        "limit_register_ip",
        "limit_verify_ip",
    )
}
PROPS = settings(
    max_examples=60,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Characters that reshaped messages before: separators (collapsed to a space), quotation
# marks (shown as apostrophes inside our quotes), fake code lines and our own sentences.
SHAPING = st.sampled_from(
    [
        "\n",
        "\r\n",
        "\u2028",
        "\u2029",
        "\x85",
        "\t",
        '"',
        "“",
        "”",
        "＂",
        "@evil.example #000000",
        "\n\n@evil.example #000000\n",
        ". It expires in 5 minutes. Never share it. To sign in",
        '". Never share it. "',
    ]
)
# Invisible ones, refused at input.
INVISIBLE = st.sampled_from(["\u200f", "\u061c", "\u202e", "\u200b", "\x00", "\x1b"])
PRINTABLE = st.text(
    alphabet=st.characters(exclude_categories=["Cc", "Cf", "Cs", "Zl", "Zp"]), max_size=12
)
CLEAN = st.lists(st.one_of(PRINTABLE, SHAPING), min_size=1, max_size=5).map("".join)
DIRTY = st.lists(st.one_of(PRINTABLE, SHAPING, INVISIBLE, st.text(max_size=6)), max_size=5)
# Mostly text that should get through (to check the SMS), some that must be refused.
TEXT = st.one_of(CLEAN, CLEAN, CLEAN, DIRTY.map("".join))
# Base address in a country with free-form postal codes, so arbitrary text can get through.
BASE = {
    "label": "Home",
    "full_name": "Ada Lovelace",
    "line1": "1 Main St",
    "city": "Stockholm",
    "postal_code": "111 22",
    "country": "SE",
}
# The skeletons of a new address (BASE has a label), by the field given arbitrary text.
LABELLED = 'ship to "", label ""'
ADDED = {
    "label": {LABELLED, 'ship to ""'},
    "phone": {LABELLED, 'ship to "", label "", phone ""'},
    "instructions": {LABELLED, 'ship to "", label "", instructions ""'},
}


def sentence(words: str, code: str) -> str:
    return f"{code} is your Shop code to {words}. It expires in 5 minutes. Never share it."


class Customer:
    """One signed-in account that every example of a test reuses."""

    def __init__(self, h: Harness) -> None:
        self.h = h
        self.account: dict[str, Any] = {}
        self.token = ""

    async def ready(self) -> Customer:
        if not self.token:
            self.account, self.token = await self.h.signed_in()
        return self

    @property
    def phone(self) -> str:
        phone: str = self.account["phone"]
        return phone

    async def last_body(self) -> str:
        body: str = (await self.h.messages(self.phone))[-1]["body"]
        return body


async def check(
    customer: Customer, response: httpx.Response, allowed: Callable[[str], set[str]]
) -> None:
    """The answer is a 202 whose SMS is well formed, or a 4xx problem (never a 5xx)."""
    event(f"answered {response.status_code}")
    if response.status_code != 202:
        assert response.status_code in (409, 422), response.text
        assert response.headers["content-type"] == "application/problem+json"
        return
    body = await customer.last_body()
    assert_well_formed(body)
    code = body.splitlines()[-1].split("#")[1]
    assert skeleton(body) in {sentence(words, code) for words in allowed(body)}, body


@pytest.fixture
async def customer(make_harness: Callable[..., Awaitable[Harness]]) -> Customer:
    return Customer(await make_harness(**RELAXED))


@PROPS
@given(value=TEXT, email=st.one_of(st.emails(), TEXT), field=st.sampled_from(["name", "email"]))
async def test_profile_fields(customer: Customer, value: str, email: str, field: str) -> None:
    """S41: name and email."""
    c = await customer.ready()
    value = email if field == "email" else value
    response = await c.h.client.patch("/api/v1/me", json={field: value}, headers=auth(c.token))
    await check(c, response, lambda _body: {f'change your {field} to ""'})


@PROPS
@given(
    value=TEXT,
    field=st.sampled_from(
        [
            "label",
            "full_name",
            "line1",
            "line2",
            "city",
            "region",
            "postal_code",
            "country",
            "phone",
            "instructions",
        ]
    ),
)
async def test_new_address_fields(customer: Customer, value: str, field: str) -> None:
    """S41: every field of a new address."""
    c = await customer.ready()
    response = await c.h.client.post(
        "/api/v1/me/addresses", json={**BASE, field: value}, headers=auth(c.token)
    )
    await check(c, response, lambda _body: ADDED.get(field, {LABELLED}))


@PROPS
@given(
    value=TEXT,
    field=st.sampled_from(["full_name", "line1", "line2", "city", "region", "instructions"]),
)
async def test_changed_address_fields(customer: Customer, value: str, field: str) -> None:
    """S41: an edit that changes the street (so it needs a code) and one more field."""
    c = await customer.ready()
    h = c.h
    listed = (await h.client.get("/api/v1/me/addresses", headers=auth(c.token))).json()
    if not listed["addresses"]:
        requested = await h.client.post("/api/v1/me/addresses", json=BASE, headers=auth(c.token))
        await h.approve(c.token, requested, c.phone)
        listed = (await h.client.get("/api/v1/me/addresses", headers=auth(c.token))).json()
    address = listed["addresses"][0]
    h.clock.advance(1)
    response = await h.client.patch(
        f"/api/v1/me/addresses/{address['id']}",
        json={
            "line1": "2 Side St" if address["line1"] != "2 Side St" else "3 Side St",
            field: value,
        },
        headers=auth(c.token),
    )
    if response.status_code == 200:
        return  # nothing significant changed after all (the value cleaned to the same)
    await check(c, response, lambda _body: edits(field))


def edits(field: str) -> set[str]:
    """The skeletons of an edit of the street and ``field``: changed, emptied or unchanged."""
    options = set()
    for other in ('to ""', "removed", None):
        parts = [
            f'{label} to ""' if name == "line1" else f"{label} {other}"
            for name, label in FIELD_NAMES.items()
            if name == "line1" or (name == field and other is not None)
        ]
        options.add('change the address "": ' + ", ".join(parts))
    return options


@PROPS
@given(name=TEXT, label=TEXT, line1=TEXT)
async def test_card_name_and_billing_address(
    customer: Customer, name: str, label: str, line1: str
) -> None:
    """S41: the name on a card, and the billing address it names (label and first line)."""
    c = await customer.ready()
    h = c.h
    requested = await h.client.post(
        "/api/v1/me/addresses", json={**BASE, "label": label, "line1": line1}, headers=auth(c.token)
    )
    billing = None
    if requested.status_code == 202:
        await check(c, requested, lambda _body: ADDED["label"])
        billing = (await h.approve(c.token, requested, c.phone))["result"]["id"]
    number = "4242 4242 4242 4242"
    response = await h.client.post(
        "/api/v1/me/payment-methods",
        json={
            "number": number,
            "exp_month": 8,
            "exp_year": 2045,
            "name_on_card": name,
            "billing_address_id": billing,
        },
        headers=auth(c.token),
    )
    await check(
        c,
        response,
        lambda _body: {"add Visa ending 4242", 'add Visa ending 4242, billing address ""'},
    )
