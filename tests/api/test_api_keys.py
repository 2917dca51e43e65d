"""S45: API keys are 256-bit random secrets, shown once, stored only as hashes, scoped and
revocable at once on every node; a customer's token never works on the key API, nor a key on
the customer API. Per-key limits stand on top of every send limit."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from tests.harness import Harness, auth
from tests.verify_api import api_key, check, create, started


async def test_a_key_is_256_random_bits_stored_only_as_its_hash(h: Harness) -> None:
    created = await h.runtime.services.api_keys.create("checkout")
    secret = created.secret
    assert secret.startswith("otk_")
    assert len(base64.urlsafe_b64decode(secret.removeprefix("otk_") + "=")) == 32
    [row] = await h.rows("SELECT * FROM api_keys")
    assert row["secret_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(row) and secret.removeprefix("otk_") not in str(row)
    assert row["id"] == created.key.id and row["scopes"] == "verify"
    events = await h.rows("SELECT type, details FROM events")
    assert [event["type"] for event in events] == ["api_key.created"]
    assert secret not in str(events)


async def test_no_key_or_an_unknown_key_is_401(h: Harness) -> None:
    for headers in ({}, auth("otk_" + "A" * 43), auth("garbage"), {"Authorization": "Basic x"}):
        response = await h.client.post(
            "/api/v1/verifications", json={"to": h.new_phone()}, headers=headers
        )
        assert response.status_code == 401, headers
        assert response.json()["code"] == "invalid_api_key"
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert await h.messages() == []


async def test_a_customer_session_never_works_on_the_key_api(h: Harness) -> None:
    account = await h.registered_account()
    session = account["token"]
    refused = await create(h, session)
    assert refused.status_code == 403
    assert refused.json()["code"] == "api_key_required"
    read = await h.client.get("/api/v1/verifications/ver_x", headers=auth(session))
    assert read.status_code == 403


async def test_a_key_never_works_on_the_customer_api(h: Harness) -> None:
    key = await api_key(h)
    for response in (
        await h.client.get("/api/v1/me", headers=auth(key)),
        await h.client.get("/api/v1/me/events", headers=auth(key)),
        await h.client.delete("/api/v1/sessions/current", headers=auth(key)),
        await h.client.get("/api/v1/challenges/ch_abc", headers=auth(key)),
    ):
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "session_required"


async def test_a_key_needs_the_verify_scope(h: Harness) -> None:
    events_only = await api_key(h, "fraud-team", scopes=("events",))
    refused = await create(h, events_only)
    assert refused.status_code == 403
    assert refused.json()["code"] == "insufficient_scope"
    both = await api_key(h, "all", scopes=("verify", "events"))
    assert (await create(h, both)).status_code == 201


async def test_revoking_a_key_refuses_it_at_once_on_every_node(
    make_harness: Any, h: Harness
) -> None:
    """Two app nodes on one database: a key revoked through one is refused by the other on
    its very next request (no node keeps keys in memory)."""
    node_b: Harness = await make_harness(database_url=h.settings.database_url)
    created = await h.runtime.services.api_keys.create("checkout")
    key = created.secret
    verification, to = await started(node_b, key)
    assert (
        await node_b.client.get(f"/api/v1/verifications/{verification['id']}", headers=auth(key))
    ).status_code == 200
    revoked = await h.runtime.services.api_keys.revoke(created.key.id)
    assert revoked.revoked_at is not None
    for node in (h, node_b):
        response = await node.client.get(
            f"/api/v1/verifications/{verification['id']}", headers=auth(key)
        )
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_api_key"
    refused = await check(node_b, key, verification["id"], await node_b.last_code(to))
    assert refused.status_code == 401
    kinds = [row["type"] for row in await h.rows("SELECT type FROM events ORDER BY id")]
    assert kinds[-1] == "api_key.revoked"


async def test_per_key_limits_count_on_top_of_the_send_limits(make_harness: Any) -> None:
    h: Harness = await make_harness(limit_verify_key="3/minute")
    key, other = await api_key(h, "a"), await api_key(h, "b")
    for _ in range(3):
        assert (await create(h, key)).status_code == 201
    over = await create(h, key)
    assert over.status_code == 429 and over.json()["code"] == "rate_limited"
    assert "Retry-After" in over.headers
    assert (await create(h, other)).status_code == 201
    assert len(await h.messages()) == 4


async def test_api_sends_to_a_number_draw_on_the_unproven_budgets(make_harness: Any) -> None:
    """The pumping defences apply to API traffic as to sign-ups: a `to` number is unproven, so
    its sends count in the `*_new` caps, and never in a customer's own sign-in budget."""
    h: Harness = await make_harness(limit_send_number_new="2/hour")
    key = await api_key(h)
    account = await h.registered_account()  # its registration code: one unproven send
    number = account["phone"]
    assert (await create(h, key, to=number)).status_code == 201
    capped = await create(h, key, to=number)
    assert capped.status_code == 429 and capped.json()["code"] == "rate_limited"
    # The account's own sign-in still gets its code: the proven budget is untouched.
    assert (await h.start_sign_in()).status_code == 202
    assert (await create(h, key, account_id=account["account_id"])).status_code == 201
    assert len(await h.messages(number)) == 4


async def test_the_global_ceiling_caps_api_sends(make_harness: Any) -> None:
    h: Harness = await make_harness(limit_send_global="2/minute")
    key = await api_key(h)
    assert (await create(h, key)).status_code == 201
    assert (await create(h, key)).status_code == 201
    assert (await create(h, key)).status_code == 429
    assert len(await h.messages()) == 2


async def test_api_checks_count_per_key_not_per_ip(make_harness: Any) -> None:
    h: Harness = await make_harness(limit_verify_ip="2/minute", limit_verify_key_check="3/minute")
    key = await api_key(h)
    verification, to = await started(h, key)
    code = await h.last_code(to)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(3):
        assert (await check(h, key, verification["id"], wrong)).status_code == 400
    over = await check(h, key, verification["id"], code)
    assert over.status_code == 429 and over.json()["code"] == "rate_limited"
