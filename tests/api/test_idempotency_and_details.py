"""S51: Idempotency-Key (a repeat with the same key and body sends nothing new; the same key
with another body is refused) and S46: details bind the code (other details cancel it)."""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any

from tests.harness import Harness, auth
from tests.verify_api import PAYMENT, api_key, check, create, started


async def test_a_repeat_with_the_same_key_and_body_answers_the_same_verification(
    h: Harness,
) -> None:
    """S51, S44: a retried request (a timeout, a double click) texts once."""
    key = await api_key(h)
    to = h.new_phone()
    body = {"to": to, "summary": "Pay €12.00 to A", "details": PAYMENT}
    headers = {"Idempotency-Key": "order-10042-payment"}
    first = await create(h, key, headers=headers, **body)
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    # Same JSON, other spelling (key order): the same body.
    again = await create(h, key, headers=headers, **dict(reversed(list(body.items()))))
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["verification"]["id"] == first.json()["verification"]["id"]
    assert len(await h.messages(to)) == 1
    stored = await h.scalar("SELECT key_hash FROM idempotency_keys")
    assert stored == hashlib.sha256(b"order-10042-payment").hexdigest()


async def test_the_same_key_with_another_body_is_refused(h: Harness) -> None:
    key = await api_key(h)
    to = h.new_phone()
    headers = {"Idempotency-Key": "k-1"}
    assert (await create(h, key, headers=headers, to=to, details=PAYMENT)).status_code == 201
    other = await create(h, key, headers=headers, to=to, details={**PAYMENT, "amount": "9.99"})
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    assert len(await h.messages(to)) == 1


async def test_keys_are_per_api_key_and_last_a_day(h: Harness) -> None:
    key, other = await api_key(h, "a"), await api_key(h, "b")
    to = h.new_phone()
    headers = {"Idempotency-Key": "shared-name"}
    first = await create(h, key, headers=headers, to=to)
    theirs = await create(h, other, headers=headers, to=to)
    assert theirs.status_code == 201
    assert theirs.json()["verification"]["id"] != first.json()["verification"]["id"]
    assert len(await h.messages(to)) == 2  # delivered before the day goes by
    h.clock.advance(24 * 3600)
    later = await create(h, key, headers=headers, to=to)
    assert later.status_code == 201 and "Idempotent-Replayed" not in later.headers
    assert later.json()["verification"]["id"] != first.json()["verification"]["id"]
    assert len(await h.messages(to)) == 3


async def test_concurrent_identical_requests_send_once(h: Harness) -> None:
    """Ten identical requests at once: one verification, one SMS, and every other request is
    answered with it or asked to retry (the first is still in flight), never a second text."""
    key = await api_key(h)
    to = h.new_phone()
    headers = {"Idempotency-Key": "burst"}
    responses = await asyncio.gather(*(create(h, key, headers=headers, to=to) for _ in range(10)))
    statuses = [response.status_code for response in responses]
    assert all(status in (201, 409) for status in statuses), statuses
    created = {r.json()["verification"]["id"] for r in responses if r.status_code == 201}
    assert len(created) == 1
    for response in responses:
        if response.status_code == 409:
            assert response.json()["code"] == "idempotency_key_in_use"
    assert len(await h.messages(to)) == 1
    assert await h.scalar("SELECT count(*) FROM challenges WHERE purpose = 'verify'") == 1


async def test_a_refused_request_frees_its_key_for_the_retry(make_harness: Any) -> None:
    h: Harness = await make_harness(limit_verify_key="1/minute")
    key = await api_key(h)
    assert (await create(h, key)).status_code == 201
    headers = {"Idempotency-Key": "retry-me"}
    to = h.new_phone()
    limited = await create(h, key, headers=headers, to=to)
    assert limited.status_code == 429
    # Released: the retry is a new request (limited again), not "in progress" nor a replay.
    retried = await create(h, key, headers=headers, to=to)
    assert retried.status_code == 429 and retried.json()["code"] == "rate_limited"
    assert await h.scalar("SELECT count(*) FROM idempotency_keys") == 0
    assert await h.messages(to) == []


async def test_a_bad_idempotency_key_is_422(h: Harness) -> None:
    key = await api_key(h)
    response = await create(h, key, headers={"Idempotency-Key": "x" * 256})
    assert response.status_code == 422
    assert await h.messages() == []


async def test_a_check_with_other_details_is_refused_and_ends_the_verification(
    h: Harness,
) -> None:
    """S46: a code shown for "pay €12 to A" never approves "pay €1,250 to B", and the attempt
    ends the verification, so the right details can't be tried after."""
    key = await api_key(h)
    small = {"amount": "12.00", "currency": "EUR", "payee": "A"}
    verification, to = await started(h, key, summary="Pay €12.00 to A", details=small)
    code = await h.last_code(to)
    other = await check(h, key, verification["id"], code, details=PAYMENT)
    assert other.status_code == 409
    assert other.json()["code"] == "details_mismatch"
    state = await h.client.get(f"/api/v1/verifications/{verification['id']}", headers=auth(key))
    assert state.json()["status"] == "canceled"
    assert state.json()["attempts_remaining"] == 5  # no code was compared
    right = await check(h, key, verification["id"], code, details=small)
    assert right.status_code == 410 and right.json()["code"] == "challenge_canceled"
    [event] = await h.rows(
        "SELECT outcome, details FROM events "
        "WHERE type = 'verification.failed' AND outcome = 'canceled'"
    )
    details = (
        event["details"] if isinstance(event["details"], dict) else json.loads(event["details"])
    )
    assert details["reason"] == "details_mismatch"


async def test_missing_details_and_added_details_are_mismatches_too(h: Harness) -> None:
    key = await api_key(h)
    with_details, to = await started(h, key, details=PAYMENT)
    missing = await check(h, key, with_details["id"], await h.last_code(to))
    assert missing.json()["code"] == "details_mismatch"
    without, to2 = await started(h, key)
    added = await check(h, key, without["id"], await h.last_code(to2), details={"x": 1})
    assert added.json()["code"] == "details_mismatch"


async def test_details_compare_as_canonical_json(h: Harness) -> None:
    key = await api_key(h)
    details = {"payee": {"iban": "DE89370400440532013000", "name": "Jürgen"}, "amount": "1.00"}
    verification, to = await started(h, key, details=details)
    reordered = {"amount": "1.00", "payee": {"name": "Jürgen", "iban": "DE89370400440532013000"}}
    ok = await check(h, key, verification["id"], await h.last_code(to), details=reordered)
    assert ok.status_code == 200, ok.text
    stored = await h.scalar("SELECT details FROM challenges WHERE id = :id", id=verification["id"])
    assert stored == json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


async def test_details_are_an_object_of_at_most_4_kb(h: Harness) -> None:
    key = await api_key(h)
    big = await create(h, key, details={"note": "x" * 4090})
    assert big.status_code == 422 and big.json()["errors"][0]["field"] == "details"
    listed = await create(h, key, details=[1, 2])
    assert listed.status_code == 422
    fits = await create(h, key, details={"note": "x" * 4000})
    assert fits.status_code == 201
    assert len(await h.messages()) == 1
