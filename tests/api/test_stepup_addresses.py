"""Step-up for shipping addresses: the code applies exactly the pending change, once."""

from __future__ import annotations

from typing import Any

from tests.harness import Harness, auth

HOME = {
    "label": "Home",
    "full_name": "Ada Lovelace",
    "line1": "1 Main St",
    "city": "Springfield",
    "region": "IL",
    "postal_code": "62701",
    "country": "US",
}


async def test_adding_an_address_needs_a_code_that_names_it(h: Harness) -> None:
    account, token = await h.signed_in()
    requested = await h.client.post("/api/v1/me/addresses", json=HOME, headers=auth(token))
    assert requested.status_code == 202
    challenge = requested.json()["challenge"]
    assert challenge["action"] == {
        "type": "add_address",
        "summary": 'Ship to "Ada Lovelace, 1 Main St, Springfield IL 62701, US", label "Home"',
    }
    listed = await h.client.get("/api/v1/me/addresses", headers=auth(token))
    assert listed.json()["addresses"] == []  # nothing applied before the code
    body = (await h.messages(account["phone"]))[-1]["body"]
    assert body.startswith(f"{(await h.last_code(account['phone']))} is your Shop code to ship")
    assert 'to ship to "Ada Lovelace, 1 Main St, Springfield IL 62701, US", label "Home".' in body
    done = await h.approve(token, requested, account["phone"])
    assert done["result"]["line1"] == "1 Main St"
    assert done["result"]["is_default"] is True
    listed = await h.client.get("/api/v1/me/addresses", headers=auth(token))
    assert [a["id"] for a in listed.json()["addresses"]] == [done["result"]["id"]]


async def test_a_code_for_one_action_cannot_approve_another(h: Harness) -> None:
    account, token = await h.signed_in()
    first = await h.client.post("/api/v1/me/addresses", json=HOME, headers=auth(token))
    first_code = await h.last_code(account["phone"])
    other = {**HOME, "line1": "666 Evil Rd"}
    second = await h.client.post("/api/v1/me/addresses", json=other, headers=auth(token))
    second_code = await h.last_code(account["phone"])
    second_id = second.json()["challenge"]["id"]
    if first_code != second_code:
        crossed = await h.client.post(
            f"/api/v1/challenges/{second_id}/verify",
            json={"code": first_code},
            headers=auth(token),
        )
        assert crossed.json()["code"] == "invalid_code"
    applied = await h.client.post(
        f"/api/v1/challenges/{first.json()['challenge']['id']}/verify",
        json={"code": first_code},
        headers=auth(token),
    )
    assert applied.status_code == 200
    lines = [
        a["line1"]
        for a in (await h.client.get("/api/v1/me/addresses", headers=auth(token))).json()[
            "addresses"
        ]
    ]
    assert lines == ["1 Main St"]


async def test_a_step_up_code_only_works_from_the_session_that_asked(h: Harness) -> None:
    account, token = await h.signed_in()
    requested = await h.client.post("/api/v1/me/addresses", json=HOME, headers=auth(token))
    challenge_id = requested.json()["challenge"]["id"]
    code = await h.last_code(account["phone"])
    # The same account signed in elsewhere (a stolen session, say):
    other = (await h.start_sign_in()).json()["challenge"]
    other_token = (await h.verify(other["id"], await h.last_code(account["phone"]))).json()[
        "session"
    ]["token"]
    from_other = await h.client.post(
        f"/api/v1/challenges/{challenge_id}/verify", json={"code": code}, headers=auth(other_token)
    )
    assert from_other.status_code == 404
    anonymous = await h.verify(challenge_id, code)
    assert anonymous.status_code == 401
    # Another account's session can't even see it.
    _bob, bob_token = await h.signed_in("bob@example.com")
    assert (
        await h.client.get(f"/api/v1/challenges/{challenge_id}", headers=auth(bob_token))
    ).status_code == 404
    ok = await h.client.post(
        f"/api/v1/challenges/{challenge_id}/verify", json={"code": code}, headers=auth(token)
    )
    assert ok.status_code == 200


async def test_replay_after_approval_is_refused_and_applies_nothing_twice(h: Harness) -> None:
    account, token = await h.signed_in()
    requested = await h.client.post("/api/v1/me/addresses", json=HOME, headers=auth(token))
    code = await h.last_code(account["phone"])
    url = f"/api/v1/challenges/{requested.json()['challenge']['id']}/verify"
    assert (await h.client.post(url, json={"code": code}, headers=auth(token))).status_code == 200
    replay = await h.client.post(url, json={"code": code}, headers=auth(token))
    assert replay.status_code == 409
    listed = await h.client.get("/api/v1/me/addresses", headers=auth(token))
    assert len(listed.json()["addresses"]) == 1


async def test_expiry_leaves_nothing_applied_and_is_in_the_activity(h: Harness) -> None:
    account, token = await h.signed_in()
    requested = await h.client.post("/api/v1/me/addresses", json=HOME, headers=auth(token))
    code = await h.last_code(account["phone"])
    h.clock.advance(301)
    expired = await h.client.post(
        f"/api/v1/challenges/{requested.json()['challenge']['id']}/verify",
        json={"code": code},
        headers=auth(token),
    )
    assert expired.json()["code"] == "challenge_expired"
    assert (await h.client.get("/api/v1/me/addresses", headers=auth(token))).json()[
        "addresses"
    ] == []
    events = (await h.client.get("/api/v1/me/events", headers=auth(token))).json()["events"]
    types = [e["type"] for e in events]
    assert "step_up.requested" in types and "challenge.expired" in types


async def test_unused_step_up_codes_show_as_expired_in_the_activity(h: Harness) -> None:
    _account, token = await h.signed_in()
    await h.client.post("/api/v1/me/addresses", json=HOME, headers=auth(token))
    h.clock.advance(301)
    events = (await h.client.get("/api/v1/me/events", headers=auth(token))).json()["events"]
    expired = [e for e in events if e["type"] == "challenge.expired"]
    assert (
        expired
        and expired[0]["details"]["summary"]
        == 'Ship to "Ada Lovelace, 1 Main St, Springfield IL 62701, US", label "Home"'
    )


async def test_cosmetic_edits_apply_at_once_significant_ones_need_a_code(h: Harness) -> None:
    account, token = await h.signed_in()
    added = await h.approve(
        token,
        await h.client.post("/api/v1/me/addresses", json=HOME, headers=auth(token)),
        account["phone"],
    )
    address_id = added["result"]["id"]
    url = f"/api/v1/me/addresses/{address_id}"
    cosmetic = await h.client.patch(
        url, json={"label": "Flat", "instructions": "Leave with the neighbour"}, headers=auth(token)
    )
    assert cosmetic.status_code == 200
    assert cosmetic.json()["label"] == "Flat"
    significant = await h.client.patch(
        url, json={"line1": "2 Side St", "postal_code": "62702"}, headers=auth(token)
    )
    assert significant.status_code == 202
    assert significant.json()["challenge"]["action"]["summary"] == (
        'Change the address "1 Main St, Springfield 62701": street to "2 Side St", '
        'postal code to "62702"'
    )
    current = await h.client.get("/api/v1/me/addresses", headers=auth(token))
    assert current.json()["addresses"][0]["line1"] == "1 Main St"
    done = await h.approve(token, significant, account["phone"])
    assert done["result"]["line1"] == "2 Side St"
    assert done["result"]["label"] == "Flat"


async def test_operators_can_require_codes_for_cosmetic_edits(make_harness: Any) -> None:
    h: Harness = await make_harness(step_up_address_edits="all")
    account, token = await h.signed_in()
    added = await h.approve(
        token,
        await h.client.post("/api/v1/me/addresses", json=HOME, headers=auth(token)),
        account["phone"],
    )
    response = await h.client.patch(
        f"/api/v1/me/addresses/{added['result']['id']}", json={"label": "Flat"}, headers=auth(token)
    )
    assert response.status_code == 202


async def test_deleting_the_target_meanwhile_fails_cleanly(h: Harness) -> None:
    account, token = await h.signed_in()
    added = await h.approve(
        token,
        await h.client.post("/api/v1/me/addresses", json=HOME, headers=auth(token)),
        account["phone"],
    )
    url = f"/api/v1/me/addresses/{added['result']['id']}"
    edit = await h.client.patch(url, json={"line1": "9 Other Rd"}, headers=auth(token))
    edit_code = await h.last_code(account["phone"])
    h.clock.advance(30)
    await h.approve(token, await h.client.delete(url, headers=auth(token)), account["phone"])
    stale = await h.client.post(
        f"/api/v1/challenges/{edit.json()['challenge']['id']}/verify",
        json={"code": edit_code},
        headers=auth(token),
    )
    assert stale.status_code == 404
    assert stale.json()["code"] == "address_not_found"
    assert (await h.client.get("/api/v1/me/addresses", headers=auth(token))).json()[
        "addresses"
    ] == []
    state = await h.client.get(
        f"/api/v1/challenges/{edit.json()['challenge']['id']}", headers=auth(token)
    )
    assert state.json()["status"] == "canceled"


async def test_invalid_addresses_are_refused_with_the_field(h: Harness) -> None:
    _account, token = await h.signed_in()
    for change, field in (
        ({"country": "XX"}, "country"),
        ({"country": "USA"}, "country"),
        ({"postal_code": "ABCDE"}, "postal_code"),
        ({"region": ""}, "region"),
        ({"line1": ""}, "line1"),
        ({"phone": "12"}, "phone"),
    ):
        response = await h.client.post(
            "/api/v1/me/addresses", json={**HOME, **change}, headers=auth(token)
        )
        assert response.status_code == 422, change
        assert response.json()["errors"][0]["field"] == field, change
    gb = {**HOME, "country": "GB", "region": "", "postal_code": "SW1A 1AA", "city": "London"}
    assert (
        await h.client.post("/api/v1/me/addresses", json=gb, headers=auth(token))
    ).status_code == 202


async def test_the_code_text_names_every_changed_value(h: Harness) -> None:
    account, token = await h.signed_in()
    added = await h.approve(
        token,
        await h.client.post("/api/v1/me/addresses", json=HOME, headers=auth(token)),
        account["phone"],
    )
    response = await h.client.patch(
        f"/api/v1/me/addresses/{added['result']['id']}",
        json={"line2": "Apt 7", "full_name": "Mallory"},
        headers=auth(token),
    )
    summary = response.json()["challenge"]["action"]["summary"]
    assert summary == (
        'Change the address "1 Main St, Springfield 62701": recipient to "Mallory", '
        'line 2 to "Apt 7"'
    )
    sms = (await h.messages(account["phone"]))[-1]["body"]
    assert 'recipient to "Mallory", line 2 to "Apt 7".' in sms


async def test_text_direction_controls_are_refused(h: Harness) -> None:
    _account, token = await h.signed_in()
    spoof = {**HOME, "line1": "1 Main St \u202e10726 dleifgnirpS"}
    response = await h.client.post("/api/v1/me/addresses", json=spoof, headers=auth(token))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "line1"
