"""The factors API (DESIGN §5.6): the list's shape, and every change a notified step-up (S55)."""

from __future__ import annotations

from datetime import datetime

from tests.factors import add_factor, enrol_totp, factors_of
from tests.harness import Harness, auth


async def test_the_list_has_sms_first_and_each_factor_s_shape(h: Harness) -> None:
    account, token = await h.signed_in()
    await enrol_totp(h, token, account["phone"])
    await add_factor(h, token, account["phone"], type="backup_codes")
    listed = await factors_of(h, token)
    assert [f["type"] for f in listed] == ["sms_code", "voice_code", "totp", "backup_codes"]
    sms = listed[0]
    assert sms["id"] == "fac_sms" and sms["label"] == f"+1 ••• ••• ••{account['phone'][-2:]}"
    for factor in listed:
        assert set(factor) == {
            "id", "type", "label", "status", "created_at", "last_used_at", "remaining"
        }  # fmt: skip
        assert factor["id"].startswith("fac_") and factor["status"] == "active"
        datetime.fromisoformat(factor["created_at"])
    assert [f["remaining"] for f in listed] == [None, None, None, 10]
    assert (await h.client.get("/api/v1/me/factors")).status_code == 401


async def test_s55_adding_and_removing_factors_are_notified_step_ups(h: Harness) -> None:
    """S55: adding or removing a factor, and regenerating backup codes, is a step-up (nothing
    happens until its code) and is notified (a text to the number, an event)."""
    account, token = await h.signed_in()
    phone = account["phone"]
    changes = [
        ("post", "/api/v1/me/factors", {"type": "backup_codes"}),
        ("post", "/api/v1/me/factors", {"type": "backup_codes"}),  # regenerate
        ("post", "/api/v1/me/factors", {"type": "passkey", "label": "Key"}),
    ]
    for method, path, body in changes:
        before = await h.scalar("SELECT count(*) FROM factors")
        requested = await getattr(h.client, method)(path, json=body, headers=auth(token))
        assert requested.status_code == 202, requested.text
        assert requested.json()["challenge"]["action"]["type"] == "add_factor"
        assert await h.scalar("SELECT count(*) FROM factors") == before
        await h.approve(token, requested, phone)
    (codes_id,) = [f["id"] for f in await factors_of(h, token) if f["type"] == "backup_codes"]
    removal = await h.client.delete(f"/api/v1/me/factors/{codes_id}", headers=auth(token))
    assert removal.json()["challenge"]["action"]["type"] == "remove_factor"
    assert codes_id in [f["id"] for f in await factors_of(h, token)]
    await h.approve(token, removal, phone)
    assert codes_id not in [f["id"] for f in await factors_of(h, token)]

    notices = [m["body"] for m in await h.messages(phone) if "#" not in m["body"]]
    made = (
        "Backup codes were made for your Shop account. If this wasn't you, contact us right away."
    )
    assert notices.count(made) == 1
    assert any(n.startswith("New backup codes were made for your Shop account.") for n in notices)
    assert any(
        n.startswith("Your backup codes were removed from your Shop account.") for n in notices
    )
    events = (await h.client.get("/api/v1/me/events", headers=auth(token))).json()["events"]
    kinds = [e["type"] for e in events]
    assert kinds.count("factor.added") == 3 and kinds.count("factor.removed") == 1
    for event in events:
        assert "codes" not in event["details"] and "secret" not in event["details"]


async def test_a_removed_factor_can_not_be_removed_twice(h: Harness) -> None:
    account, token = await h.signed_in()
    added = await add_factor(h, token, account["phone"], type="backup_codes")
    path = f"/api/v1/me/factors/{added['factor']['id']}"
    first = await h.client.delete(path, headers=auth(token))
    first_code = await h.last_code(account["phone"])
    second = await h.client.delete(path, headers=auth(token))
    second_code = await h.last_code(account["phone"])
    done = await h.verify(first.json()["challenge"]["id"], first_code, token=token)
    assert done.status_code == 200
    gone = await h.verify(second.json()["challenge"]["id"], second_code, token=token)
    assert gone.status_code == 404 and gone.json()["detail"] == (
        "That sign-in method was already removed."
    )
    assert (
        await h.client.delete("/api/v1/me/factors/fac_nothing", headers=auth(token))
    ).status_code == 404


async def test_another_account_s_factor_is_not_found(h: Harness) -> None:
    account, token = await h.signed_in()
    added = await add_factor(h, token, account["phone"], type="backup_codes")
    _other, other_token = await h.signed_in("bob@example.com")
    refused = await h.client.delete(
        f"/api/v1/me/factors/{added['factor']['id']}", headers=auth(other_token)
    )
    assert refused.status_code == 404
