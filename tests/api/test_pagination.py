"""Cursor pagination with ``has_more`` on every list (issue 15 point 17); event ids are opaque."""

from __future__ import annotations

from typing import Any

from tests.api.test_stepup_addresses import HOME
from tests.harness import Harness, auth


async def walk(h: Harness, path: str, field: str, token: str, limit: int) -> list[list[Any]]:
    """Every page of a list, following ``next_cursor`` until ``has_more`` is false."""
    pages: list[list[Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        answer = await h.client.get(path, params=params, headers=auth(token))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        pages.append(body[field])
        assert (body["next_cursor"] is not None) is body["has_more"]
        if not body["has_more"]:
            return pages
        cursor = body["next_cursor"]
        assert len(pages) < 50


async def test_events_page_by_opaque_cursor(h: Harness) -> None:
    _account, token = await h.signed_in()
    everything = (await h.client.get("/api/v1/me/events", headers=auth(token))).json()
    assert everything["has_more"] is False and everything["next_cursor"] is None
    ids = [event["id"] for event in everything["events"]]
    assert all(i.startswith("act_") for i in ids) and len(ids) >= 5
    pages = await walk(h, "/api/v1/me/events", "events", token, 2)
    assert [e["id"] for page in pages for e in page] == ids
    assert [len(page) for page in pages[:-1]] == [2] * (len(pages) - 1)
    # The deprecated integer cursor still works alongside.
    first = (await h.client.get("/api/v1/me/events?limit=2", headers=auth(token))).json()
    older = await h.client.get(
        f"/api/v1/me/events?limit=2&before={first['next_before']}", headers=auth(token)
    )
    assert [e["id"] for e in older.json()["events"]] == ids[2:4]


async def test_sessions_addresses_and_cards_page_too(h: Harness) -> None:
    account, token = await h.signed_in()  # two sessions: registration's and this sign-in
    again = await h.start_sign_in()
    verified = await h.verify(again.json()["challenge"]["id"], await h.last_code(account["phone"]))
    assert verified.status_code == 200
    sessions = await walk(h, "/api/v1/me/sessions", "sessions", token, 2)
    assert [len(page) for page in sessions] == [2, 1]
    assert len({s["id"] for page in sessions for s in page}) == 3

    for line1 in ("1 Main St", "2 Main St", "3 Main St"):
        requested = await h.client.post(
            "/api/v1/me/addresses", json={**HOME, "line1": line1}, headers=auth(token)
        )
        await h.approve(token, requested, account["phone"])
        h.clock.advance(31)
    addresses = await walk(h, "/api/v1/me/addresses", "addresses", token, 1)
    assert [len(page) for page in addresses] == [1, 1, 1]
    assert sorted(a["line1"] for page in addresses for a in page) == [
        "1 Main St",
        "2 Main St",
        "3 Main St",
    ]
    for path, field in (
        ("/api/v1/me/payment-methods", "payment_methods"),
        ("/api/v1/me/devices", "devices"),
    ):
        assert await walk(h, path, field, token, 5) == [[]]


async def test_a_foreign_or_stale_cursor_is_a_422(h: Harness) -> None:
    _account, token = await h.signed_in()
    page = (await h.client.get("/api/v1/me/sessions?limit=1", headers=auth(token))).json()
    assert page["has_more"] is True
    for path, cursor in (
        ("/api/v1/me/events", page["next_cursor"]),  # a sessions cursor on the events list
        ("/api/v1/me/sessions", "not-a-cursor"),
        ("/api/v1/me/addresses", page["next_cursor"]),
    ):
        answer = await h.client.get(path, params={"cursor": cursor}, headers=auth(token))
        assert answer.status_code == 422, (path, answer.text)
        assert answer.json()["errors"][0]["field"] == "cursor"
