"""A process that died mid-send: its message is reconciled, never blindly sent twice.

Here the dead process is simulated in the ledger (claimed, attempt recorded, then nothing);
tests/delivery/test_queue.py kills a real ``otpgate worker`` while a provider holds its call.
"""

from __future__ import annotations

from typing import Any

from tests.harness import Harness
from tests.sms.fakes import FakeSns, FakeWebhookReceiver

from .conftest import ScriptedTwilio, as_dict, attempts, delivery_status, metric

BuildHarness = Any


async def _died_mid_send(h: Harness, provider: str) -> dict[str, Any]:
    """Register, then play a worker that claimed the message, recorded its call, and died."""
    h.runtime.dispatcher.submit = lambda message: None  # type: ignore[method-assign]
    data = await h.register()
    message_id = await h.scalar("SELECT id FROM messages")
    ledger = h.runtime.delivery.ledger
    now = h.clock.now()
    assert await ledger.claim(message_id, now) is not None
    await ledger.start_attempt(message_id, 1, provider, now)
    data["message_id"] = message_id
    return data


async def test_a_call_cut_off_through_sns_is_not_repeated(
    wired: BuildHarness, sns: FakeSns
) -> None:
    """SNS takes no idempotency key and can't be asked: the message is ``unknown``."""
    h: Harness = await wired(sms_providers="sns")
    data = await _died_mid_send(h, "sns")

    h.clock.advance(30)  # a live worker could still be in its call: hands off
    await h.runtime.dispatcher.sweep_once()
    assert await h.scalar("SELECT status FROM messages") == "sending"

    h.clock.advance(31)  # past OTPGATE_SMS_RECLAIM_AFTER_SECONDS (60)
    await h.runtime.dispatcher.sweep_once()
    await h.runtime.dispatcher.drain()

    assert sns.sms == []  # not sent again
    assert await attempts(h) == [("sns", "interrupted")]
    assert await delivery_status(h, data["challenge"]["id"]) == "unknown"
    [row] = await h.rows("SELECT error, body_sealed FROM messages")
    assert row["body_sealed"] is None
    assert "not sent again, to avoid a duplicate" in row["error"]
    [event] = await h.rows("SELECT outcome, details FROM events WHERE type = 'sms.failed'")
    assert event["outcome"] == "unknown"
    assert as_dict(event["details"])["message_id"] == data["message_id"]
    assert metric(h, "otpgate_sms_messages_total", provider="sns", status="unknown") == 1
    # The customer is not stuck: a new code can be asked for after the cooldown.
    h.clock.advance(30)
    resent = await h.client.post(f"/api/v1/challenges/{data['challenge']['id']}/resend")
    assert resent.status_code == 202, resent.text
    assert resent.json()["challenge"]["delivery_status"] == "queued"


async def test_twilio_is_asked_and_a_message_it_took_is_not_sent_again(
    wired: BuildHarness, twilio: ScriptedTwilio
) -> None:
    h: Harness = await wired(sms_providers="twilio")
    data = await _died_mid_send(h, "twilio")
    sealed = await h.scalar("SELECT body_sealed FROM messages")
    body = h.runtime.delivery.sealer.open(sealed, data["message_id"])  # type: ignore[union-attr]
    twilio.created.append({"sid": "SM" + "f" * 32, "to": data["phone"], "body": body})

    h.clock.advance(61)
    await h.runtime.dispatcher.sweep_once()
    await h.runtime.dispatcher.drain()

    assert twilio.messages == []  # no second create
    assert await attempts(h) == [("twilio", "sent")]
    [row] = await h.rows("SELECT status, provider_message_id FROM messages")
    assert row == {"status": "sent", "provider_message_id": "SM" + "f" * 32}


async def test_twilio_is_asked_and_a_message_it_never_took_is_sent_now(
    wired: BuildHarness, twilio: ScriptedTwilio
) -> None:
    h: Harness = await wired(sms_providers="twilio")
    data = await _died_mid_send(h, "twilio")

    h.clock.advance(61)
    await h.runtime.dispatcher.sweep_once()
    await h.runtime.dispatcher.drain()

    assert len(twilio.messages) == 1
    assert await attempts(h) == [("twilio", "interrupted"), ("twilio", "sent")]
    assert await delivery_status(h, data["challenge"]["id"]) == "sent"


async def test_when_twilio_cannot_be_asked_the_message_is_unknown(
    wired: BuildHarness, twilio: ScriptedTwilio
) -> None:
    h: Harness = await wired(sms_providers="twilio")
    data = await _died_mid_send(h, "twilio")
    twilio.list_fails = True

    h.clock.advance(61)
    await h.runtime.dispatcher.sweep_once()
    await h.runtime.dispatcher.drain()

    assert twilio.messages == []
    assert await delivery_status(h, data["challenge"]["id"]) == "unknown"


async def test_a_call_cut_off_through_the_webhook_is_resent_with_the_same_key(
    wired: BuildHarness, receiver: FakeWebhookReceiver
) -> None:
    h: Harness = await wired(sms_providers="webhook")
    data = await _died_mid_send(h, "webhook")

    h.clock.advance(61)
    await h.runtime.dispatcher.sweep_once()
    await h.runtime.dispatcher.drain()

    [request] = receiver.verified
    assert request.headers["idempotency-key"] == data["message_id"]
    assert await attempts(h) == [("webhook", "interrupted"), ("webhook", "sent")]
    assert await delivery_status(h, data["challenge"]["id"]) == "sent"


async def test_a_process_that_died_between_calls_just_resumes(
    wired: BuildHarness, twilio: ScriptedTwilio
) -> None:
    h: Harness = await wired(sms_providers="twilio")
    data = await _died_mid_send(h, "twilio")
    ledger = h.runtime.delivery.ledger
    attempt_id = await h.scalar("SELECT id FROM message_attempts")
    from otpgate.domain.delivery import AttemptOutcome

    # The call had come back with a temporary error before the process died.
    await ledger.end_attempt(attempt_id, AttemptOutcome.RETRY, h.clock.now(), "twilio HTTP 500")

    h.clock.advance(61)
    await h.runtime.dispatcher.sweep_once()
    await h.runtime.dispatcher.drain()

    assert len(twilio.messages) == 1
    assert await delivery_status(h, data["challenge"]["id"]) == "sent"


async def test_a_held_message_is_not_taken_by_a_second_turn(
    wired: BuildHarness, twilio: ScriptedTwilio
) -> None:
    h: Harness = await wired(sms_providers="twilio")
    data = await _died_mid_send(h, "twilio")

    assert await h.runtime.delivery.run(data["message_id"]) is None
    assert twilio.requests == []
    assert await h.scalar("SELECT status FROM messages") == "sending"
