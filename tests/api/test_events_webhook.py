"""S50: every security event reaches the shop's receiver, signed per Standard Webhooks
(checked with the ``standardwebhooks`` verifier), retried while the receiver is down, in
order per account, deduplicable by ``webhook-id``, and never carrying a secret."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from tests.harness import PASSWORD, Harness, auth
from tests.texts import wrong_code
from tests.verify_api import PAYMENT, api_key, check, key_id, started
from tests.webhook_receiver import Receiver, new_secret

VISA = {"number": "4242 4242 4242 4242", "exp_month": 8, "exp_year": 2045, "name_on_card": "ADA"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(new_secret()) as running:
        yield running


@pytest.fixture
async def hooked(make_harness: Callable[..., Any], receiver: Receiver) -> AsyncIterator[Harness]:
    h: Harness = await make_harness(
        events_webhook_url=receiver.url,
        events_webhook_secret=receiver.secret,
        limit_send_number="100/minute",
    )
    yield h


async def relay(h: Harness) -> int:
    await h.runtime.dispatcher.drain()  # sms.failed and friends are written by delivery
    assert h.runtime.events is not None
    return await h.runtime.events.drain()


async def stored_events(h: Harness) -> list[dict[str, Any]]:
    return await h.rows("SELECT id, type, account_id FROM events ORDER BY id")


async def test_every_event_arrives_signed_with_its_type_and_account(
    hooked: Harness, receiver: Receiver
) -> None:
    h = hooked
    key = await api_key(h)
    account, token = await h.signed_in()
    verification, to = await started(h, key, summary="Pay €12.00 to A", details=PAYMENT)
    code = await h.last_code(to)
    await check(h, key, verification["id"], wrong_code(code), details=PAYMENT)
    await check(h, key, verification["id"], code, details=PAYMENT)
    await h.client.delete("/api/v1/sessions/current", headers=auth(token))
    await h.runtime.services.api_keys.revoke(await key_id(h, key))
    delivered = await relay(h)
    events = receiver.accepted()  # each one passed the Standard Webhooks verifier
    stored = await stored_events(h)
    assert delivered == len(events) == len(stored)
    # Lanes go side by side; within each account the order is the trail's.
    for lane in {row["account_id"] for row in stored}:
        sent = [e["type"] for e in events if e["account_id"] == lane]
        assert sent == [row["type"] for row in stored if row["account_id"] == lane]
    kinds = {e["type"] for e in events}
    assert {
        "account.registered",
        "code.sent",
        "signin.succeeded",
        "signin.password_ok",
        "code.failed",
        "verification.created",
        "verification.failed",
        "verification.approved",
        "session.signed_out",
        "api_key.created",
        "api_key.revoked",
    } <= kinds
    for event in events:
        assert set(event) == {"type", "id", "created_at", "account_id", "data"}
        assert event["id"].startswith("evt_") and event["created_at"].endswith("Z")
        assert "outcome" in event["data"]
    approved = next(e for e in events if e["type"] == "verification.approved")
    assert approved["data"]["verification_id"] == verification["id"]
    assert approved["data"]["summary"] == "Pay €12.00 to A"
    assert len({e["id"] for e in events}) == len(events)
    assert account["account_id"] in {e["account_id"] for e in events}


async def test_no_webhook_carries_a_code_password_token_or_card_number(
    hooked: Harness, receiver: Receiver
) -> None:
    h = hooked
    key = await api_key(h)
    account = await h.registered_account()
    signing_in = await h.start_sign_in(remember_device=True)
    sign_in_code = await h.last_code(account["phone"])
    verified = await h.verify(signing_in.json()["challenge"]["id"], sign_in_code)
    session, device = verified.json()["session"]["token"], verified.json()["device_token"]
    card = await h.client.post("/api/v1/me/payment-methods", json=VISA, headers=auth(session))
    await h.approve(session, card, account["phone"])
    new_password = "another long passphrase, still mine"
    change = await h.client.put(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": new_password},
        headers=auth(session),
    )
    await h.approve(session, change, account["phone"])
    verification, to = await started(h, key, details=PAYMENT)
    api_code = await h.last_code(to)
    approval = await check(h, key, verification["id"], api_code, details=PAYMENT)
    approval_token = approval.json()["approval_token"]
    await relay(h)
    codes = [message["body"].rsplit("#", 1)[1] for message in await h.messages()]
    secrets = [
        PASSWORD,
        new_password,
        session,
        session.removeprefix("ses_"),
        device,
        device.removeprefix("dev_"),
        key,
        key.removeprefix("otk_"),
        approval_token,
        *approval_token.split("."),
        "4242424242424242",
        "4242 4242 4242 4242",
        *codes,
    ]
    bodies = receiver.raw()
    assert len(bodies) >= 20 and len(receiver.verified()) == len(bodies)
    for body in bodies:
        text = body.decode()
        for secret in secrets:
            assert secret not in text, (secret, text)


async def test_a_receiver_outage_loses_nothing_and_keeps_each_account_in_order(
    hooked: Harness, receiver: Receiver
) -> None:
    h = hooked
    key = await api_key(h)
    await relay(h)
    receiver.stop()
    first = await h.registered_account("ada@example.com")
    second = await h.registered_account("bob@example.com")
    verification, to = await started(h, key, account_id=first["account_id"], phone=first["phone"])
    await check(h, key, verification["id"], await h.last_code(to))
    assert await relay(h) == 0
    # Each lane tried its head, and only its head: the rest wait behind it, in order.
    lanes = await h.scalar(
        "SELECT count(DISTINCT lane) FROM webhook_events WHERE status = 'pending'"
    )
    tried = await h.scalar(
        "SELECT count(*) FROM webhook_events WHERE attempts = 1 AND status = 'pending'"
    )
    assert lanes == tried == 2  # ada and bob
    h.clock.advance(5)  # still down at the first retry
    assert await relay(h) == 0
    assert await h.scalar("SELECT count(*) FROM webhook_events WHERE attempts = 2") == lanes
    receiver.start()
    h.clock.advance(10)
    delivered = await relay(h)
    events = receiver.accepted()
    stored = await stored_events(h)
    assert delivered == len(stored) - 1  # the api_key.created went out before the outage
    assert sorted(e["type"] for e in events) == sorted(row["type"] for row in stored)
    for account in (first, second):
        ours = [e["type"] for e in events if e["account_id"] == account["account_id"]]
        theirs = [r["type"] for r in stored if r["account_id"] == account["account_id"]]
        assert ours == theirs  # in order per account
    assert await h.scalar("SELECT count(*) FROM webhook_events WHERE status <> 'delivered'") == 0


async def test_a_retry_sends_the_same_webhook_id_and_body(
    hooked: Harness, receiver: Receiver
) -> None:
    h = hooked
    failed_once: set[str] = set()

    def flaky(event: dict[str, Any]) -> bool:
        if event["id"] in failed_once:
            return False
        failed_once.add(event["id"])
        return True

    receiver.fail = flaky
    await api_key(h)
    assert await relay(h) == 0
    h.clock.advance(5)
    assert await relay(h) == 1
    bodies = receiver.raw()
    assert len(bodies) == 2 and bodies[0] == bodies[1]
    ids = {event["id"] for event in receiver.verified()}
    assert len(ids) == 1


async def test_one_account_s_failing_events_do_not_hold_up_another(
    hooked: Harness, receiver: Receiver
) -> None:
    h = hooked
    blocked = await h.register("ada@example.com")
    receiver.fail = lambda event: event["account_id"] == blocked["account_id"]
    other = await h.register("bob@example.com")
    await relay(h)
    arrived = receiver.accepted()
    assert [e["type"] for e in arrived if e["account_id"] == other["account_id"]] == [
        "account.registered",
        "code.sent",
    ]
    assert not [e for e in arrived if e["account_id"] == blocked["account_id"]]
    # The blocked lane tried only its first event; the second waits behind it.
    tried = [e["type"] for e in receiver.verified() if e["account_id"] == blocked["account_id"]]
    assert tried == ["account.registered"]


async def test_an_event_undelivered_for_too_long_is_given_up(
    make_harness: Callable[..., Any], receiver: Receiver
) -> None:
    h: Harness = await make_harness(
        events_webhook_url=receiver.url,
        events_webhook_secret=receiver.secret,
        events_webhook_give_up_seconds=60,
    )
    receiver.stop()
    await api_key(h)
    await relay(h)
    h.clock.advance(61)
    await relay(h)
    assert await h.scalar("SELECT status FROM webhook_events") == "failed"


async def test_without_a_webhook_url_nothing_is_queued(h: Harness) -> None:
    await api_key(h)
    assert h.runtime.events is None
    assert await h.scalar("SELECT count(*) FROM webhook_events") == 0
