"""What a step-up text says: the whole change, user text quoted on one line, the code line last.

S7 (the `@host #code` line is the last and only one), S24 (the text names the exact change),
S41 (no user-typed text shapes a message), S42 (nothing is cut; too long is refused).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from tests.api.test_stepup_addresses import HOME
from tests.harness import Harness, auth

CODE_LINE = re.compile(r"@\S+ #\d+")
QUOTED = re.compile(r'"[^"]*"')


def skeleton(body: str) -> str:
    """The SMS's first line with every quoted value emptied: our own words only."""
    return QUOTED.sub('""', body.splitlines()[0])


def assert_well_formed(body: str, host: str = "shop.example") -> None:
    """S7/S41: three lines (text, blank, ``@host #code``), nothing invisible, no other code line."""
    lines = body.splitlines()
    assert len(lines) == 3, body
    assert lines[1] == ""
    assert re.fullmatch(rf"@{re.escape(host)} #\d{{6}}", lines[2]), body
    assert not any(CODE_LINE.fullmatch(line) for line in lines[:-1]), body
    assert body.count("\n") == 2
    invisible = [ch for ch in body if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")]
    assert invisible == ["\n", "\n"], body


async def added_address(h: Harness, token: str, phone: str, **fields: Any) -> dict[str, Any]:
    requested = await h.client.post(
        "/api/v1/me/addresses", json={**HOME, **fields}, headers=auth(token)
    )
    done: dict[str, Any] = await h.approve(token, requested, phone)
    return done["result"]


# -- S42: nothing is cut -----------------------------------------------------------------------


async def test_a_long_address_change_is_texted_in_full_and_applies_what_was_shown(
    h: Harness,
) -> None:
    """S42/S24: city, region and postal code all changed: the page and the SMS name each whole
    value (main cut them at 200 characters with "…" and the code still applied all three)."""
    account, token = await h.signed_in()
    address = await added_address(h, token, account["phone"])
    city, region = "Las Vegas " + "V" * 60, "Nevada " + "N" * 60
    h.clock.advance(31)
    requested = await h.client.patch(
        f"/api/v1/me/addresses/{address['id']}",
        json={"city": city, "region": region, "postal_code": "89101"},
        headers=auth(token),
    )
    assert requested.status_code == 202, requested.text
    summary = requested.json()["challenge"]["action"]["summary"]
    assert summary == (
        f'Change the address "1 Main St, Springfield 62701": city to "{city}", '
        f'region to "{region}", postal code to "89101"'
    )
    body = (await h.messages(account["phone"]))[-1]["body"]
    assert f'city to "{city}", region to "{region}", postal code to "89101".' in body
    assert "…" not in body and "…" not in summary
    assert_well_formed(body)
    done = await h.approve(token, requested, account["phone"])
    assert (done["result"]["city"], done["result"]["region"]) == (city, region)


async def test_a_change_too_long_for_its_text_is_refused_not_cut(h: Harness) -> None:
    """S42: past three SMS segments the change is refused (422 change_too_long): no challenge,
    no SMS, and no send counted."""
    account, token = await h.signed_in()
    sends = len(await h.messages(account["phone"]))
    challenges = await h.scalar("SELECT count(*) FROM challenges")
    long_address = {**HOME, "line2": "L" * 120, "instructions": "I" * 300}
    refused = await h.client.post("/api/v1/me/addresses", json=long_address, headers=auth(token))
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "change_too_long"
    assert refused.headers["content-type"] == "application/problem+json"
    assert len(await h.messages(account["phone"])) == sends
    assert await h.scalar("SELECT count(*) FROM challenges") == challenges
    # Shorter, it goes through: the caps were not spent on the refusal.
    fine = await h.client.post("/api/v1/me/addresses", json=HOME, headers=auth(token))
    assert fine.status_code == 202, fine.text


async def test_the_bound_counts_ucs2_segments_when_a_value_is_not_gsm7(h: Harness) -> None:
    """S42: one character outside GSM-7 makes the whole text UCS-2 (67 per segment): a name
    that fits in GSM-7 is refused once it carries such a character."""
    _account, token = await h.signed_in()
    gsm = await h.client.patch("/api/v1/me", json={"name": "e" * 100}, headers=auth(token))
    assert gsm.status_code == 202, gsm.text
    h.clock.advance(31)
    ucs2 = await h.client.patch("/api/v1/me", json={"name": "ë" * 100}, headers=auth(token))
    assert ucs2.status_code == 422
    assert ucs2.json()["code"] == "change_too_long"


# -- S41 / S7: user text can't shape the message --------------------------------------------------


async def test_instructions_with_line_breaks_cannot_add_a_code_line(h: Harness) -> None:
    """S7/S41: the injection from the review: instructions with line breaks and a fake
    ``@host #code`` line, sent with a significant change, reach the SMS as one quoted line."""
    account, token = await h.signed_in()
    address = await added_address(h, token, account["phone"])
    injected = (
        "leave at door\n\n@evil.example #000000\nIgnore the line below\u2028more\u2029end\x85x"
    )
    h.clock.advance(31)
    requested = await h.client.patch(
        f"/api/v1/me/addresses/{address['id']}",
        json={"line1": "2 Side St", "instructions": injected},
        headers=auth(token),
    )
    assert requested.status_code == 202, requested.text
    body = (await h.messages(account["phone"]))[-1]["body"]
    assert_well_formed(body)
    assert (
        'instructions to "leave at door @evil.example #000000 Ignore the line below more end x"'
        in body
    )
    assert skeleton(body) == (
        f'{body[:6]} is your Shop code to change the address "": street to "", '
        'instructions to "". It expires in 5 minutes. Never share it.'
    )


async def test_format_characters_are_refused_at_input(h: Harness) -> None:
    """S41: bidi marks (RLM, ALM), zero-width and other format characters are refused."""
    _account, token = await h.signed_in()
    for char in ("\u200f", "\u061c", "\u200b", "\u2066", "\ufeff", "\u00ad", "\x00", "\x7f"):
        name = await h.client.patch(
            "/api/v1/me", json={"name": f"Ada{char}King"}, headers=auth(token)
        )
        assert name.status_code == 422, repr(char)
        assert name.json()["errors"][0]["field"] == "name"
        address = await h.client.post(
            "/api/v1/me/addresses",
            json={**HOME, "instructions": f"ring{char}twice"},
            headers=auth(token),
        )
        assert address.status_code == 422, repr(char)
        assert address.json()["errors"][0]["field"] == "instructions"


async def test_a_name_that_reads_like_our_text_is_quoted(h: Harness) -> None:
    """S41: a name shaped like our sentences stays inside quotes; quotes inside it can't close
    ours."""
    account, token = await h.signed_in()
    name = 'x". It expires in 5 minutes. Never share it. To sign in "y'
    requested = await h.client.patch("/api/v1/me", json={"name": name}, headers=auth(token))
    assert requested.status_code == 202, requested.text
    body = (await h.messages(account["phone"]))[-1]["body"]
    assert_well_formed(body)
    quoted = "\"x'. It expires in 5 minutes. Never share it. To sign in 'y\""
    assert f"code to change your name to {quoted}." in body
    assert skeleton(body) == (
        f'{body[:6]} is your Shop code to change your name to "". '
        "It expires in 5 minutes. Never share it."
    )


# -- S24: a card's billing address is named --------------------------------------------------


async def test_a_cards_billing_address_is_named_when_added_and_changed(h: Harness) -> None:
    """S24: "billing address" alone did not say which; the label and first line do."""
    account, token = await h.signed_in()
    home = await added_address(h, token, account["phone"])
    h.clock.advance(31)
    work = await added_address(
        h, token, account["phone"], label="Work", line1="9 Office Park", postal_code="62702"
    )
    h.clock.advance(31)
    card = {"number": "4242 4242 4242 4242", "exp_month": 8, "exp_year": 2045, "name_on_card": "A"}
    added = await h.client.post(
        "/api/v1/me/payment-methods",
        json={**card, "billing_address_id": home["id"]},
        headers=auth(token),
    )
    assert added.json()["challenge"]["action"]["summary"] == (
        'Add Visa ending 4242, billing address "Home, 1 Main St"'
    )
    body = (await h.messages(account["phone"]))[-1]["body"]
    assert 'code to add Visa ending 4242, billing address "Home, 1 Main St".' in body
    done = await h.approve(token, added, account["phone"])
    h.clock.advance(31)
    moved = await h.client.patch(
        f"/api/v1/me/payment-methods/{done['result']['id']}",
        json={"billing_address_id": work["id"]},
        headers=auth(token),
    )
    assert moved.json()["challenge"]["action"]["summary"] == (
        'Update Visa ending 4242: billing address "Work, 9 Office Park"'
    )
    assert_well_formed((await h.messages(account["phone"]))[-1]["body"])
    code = await h.last_code(account["phone"])
    # The address the code named changes before the code is entered: nothing applies.
    h.clock.advance(31)
    renamed = await h.client.patch(
        f"/api/v1/me/addresses/{work['id']}", json={"label": "Old job"}, headers=auth(token)
    )
    assert renamed.status_code == 200
    refused = await h.verify(moved.json()["challenge"]["id"], code, token=token)
    assert refused.status_code == 409
    stored = await h.scalar("SELECT billing_address_id FROM payment_methods")
    assert stored == home["id"]
