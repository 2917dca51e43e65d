"""Step-up for payment methods; the card number never reaches storage, logs or events."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.harness import Harness, auth

VISA = {"number": "4242 4242 4242 4242", "exp_month": 8, "exp_year": 2045, "name_on_card": "ADA"}
DIGITS = "4242424242424242"


async def test_adding_a_card_needs_a_code_and_keeps_only_brand_last4_expiry(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    account, token = await h.signed_in()
    requested = await h.client.post("/api/v1/me/payment-methods", json=VISA, headers=auth(token))
    assert requested.json()["challenge"]["action"] == {
        "type": "add_payment_method",
        "summary": "Add Visa ending 4242",
    }
    assert "code to add Visa ending 4242." in (await h.messages(account["phone"]))[-1]["body"]
    listed = await h.client.get("/api/v1/me/payment-methods", headers=auth(token))
    assert listed.json()["payment_methods"] == []
    done = await h.approve(token, requested, account["phone"])
    card = done["result"]
    assert card["brand"] == "Visa" and card["last4"] == "4242"
    assert card["description"] == "Visa ending 4242, expires 08/45"
    assert "number" not in card
    # Scan everything the service keeps or says for the number.
    for table in ("payment_methods", "challenges", "events", "messages"):
        for row in await h.rows(f"SELECT * FROM {table}"):
            assert DIGITS not in repr(row) and "4242 4242" not in repr(row), table
    events = (await h.client.get("/api/v1/me/events", headers=auth(token))).text
    assert DIGITS not in events
    assert DIGITS not in caplog.text and "4242 4242" not in caplog.text


async def test_card_checks(h: Harness) -> None:
    _account, token = await h.signed_in()
    for change, field in (
        ({"number": "4242 4242 4242 4241"}, "number"),
        ({"number": "abcd"}, "number"),
        ({"number": "1234567812345670"}, "number"),
        ({"exp_year": 2020}, "exp_year"),
        ({"exp_month": 13}, "exp_month"),
        ({"name_on_card": "  "}, "name_on_card"),
        ({"billing_address_id": "adr_missing"}, "billing_address_id"),
    ):
        response = await h.client.post(
            "/api/v1/me/payment-methods", json={**VISA, **change}, headers=auth(token)
        )
        assert response.status_code == 422, change
        assert response.json()["errors"][0]["field"] == field, change
        assert DIGITS not in response.text and "424242424242424" not in response.text


async def test_the_same_card_twice_is_refused(h: Harness) -> None:
    account, token = await h.signed_in()
    await h.approve(
        token,
        await h.client.post("/api/v1/me/payment-methods", json=VISA, headers=auth(token)),
        account["phone"],
    )
    again = await h.client.post("/api/v1/me/payment-methods", json=VISA, headers=auth(token))
    assert again.status_code == 409


async def test_editing_and_removing_a_card_need_codes(h: Harness) -> None:
    account, token = await h.signed_in()
    added = await h.approve(
        token,
        await h.client.post("/api/v1/me/payment-methods", json=VISA, headers=auth(token)),
        account["phone"],
    )
    url = f"/api/v1/me/payment-methods/{added['result']['id']}"
    h.clock.advance(30)
    edit = await h.client.patch(url, json={"exp_month": 9, "exp_year": 2044}, headers=auth(token))
    assert edit.json()["challenge"]["action"]["summary"] == "Update Visa ending 4242: expiry 09/44"
    done = await h.approve(token, edit, account["phone"])
    assert (done["result"]["exp_month"], done["result"]["exp_year"]) == (9, 2044)
    h.clock.advance(30)
    removal = await h.client.delete(url, headers=auth(token))
    assert removal.json()["challenge"]["action"]["summary"] == "Remove Visa ending 4242"
    await h.approve(token, removal, account["phone"])
    listed = await h.client.get("/api/v1/me/payment-methods", headers=auth(token))
    assert listed.json()["payment_methods"] == []


async def test_concurrent_approvals_apply_once(h: Harness) -> None:
    account, token = await h.signed_in()
    requested = await h.client.post("/api/v1/me/payment-methods", json=VISA, headers=auth(token))
    code = await h.last_code(account["phone"])
    url = f"/api/v1/challenges/{requested.json()['challenge']['id']}/verify"
    responses = await asyncio.gather(
        *(h.client.post(url, json={"code": code}, headers=auth(token)) for _ in range(10))
    )
    assert [r.status_code for r in responses].count(200) == 1
    assert await h.scalar("SELECT count(*) FROM payment_methods") == 1
