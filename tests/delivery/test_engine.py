"""Delivery turns against the real providers on local fakes: retries, failover, the circuit
breaker, permanent errors, expiry, every attempt recorded, and the delivery status shown."""

from __future__ import annotations

from typing import Any

from tests.harness import Harness
from tests.sms.fakes import FakeSns, FakeWebhookReceiver
from tests.texts import code_of

from .conftest import ScriptedTwilio, as_dict, attempts, delivery_status, metric

BuildHarness = Any


async def test_a_5xx_is_retried_after_a_backoff_and_then_sent_once(
    wired: BuildHarness, twilio: ScriptedTwilio
) -> None:
    h: Harness = await wired(sms_providers="twilio")
    twilio.script = ["server_error", "ok"]

    data = await h.register()
    await h.runtime.dispatcher.drain()

    assert len(twilio.requests) == 2
    [sent] = twilio.messages
    assert sent["To"] == data["phone"]
    assert await attempts(h) == [("twilio", "retry"), ("twilio", "sent")]
    [failed] = await h.rows("SELECT error FROM message_attempts WHERE outcome = 'retry'")
    assert failed["error"] == "twilio answered HTTP 500 (error 20500)"
    assert h.runtime.dispatcher.sleep.delays == [1.0]  # type: ignore[union-attr]
    assert await delivery_status(h, data["challenge"]["id"]) == "sent"
    assert metric(h, "otpgate_sms_retries_total", provider="twilio") == 1
    assert metric(h, "otpgate_sms_messages_total", provider="twilio", status="sent") == 1
    # The code that arrived is the one the challenge takes.
    verified = await h.verify(data["challenge"]["id"], code_of(sent["Body"]))
    assert verified.status_code == 200, verified.text


async def test_a_failing_twilio_fails_over_to_sns_at_once(
    wired: BuildHarness, twilio: ScriptedTwilio, sns: FakeSns
) -> None:
    h: Harness = await wired(sms_providers="twilio,sns")
    twilio.mode = "server_error"

    data = await h.register()
    await h.runtime.dispatcher.drain()

    assert [number for number, _text in sns.sms] == [data["phone"]]
    assert twilio.messages == []
    assert await attempts(h) == [("twilio", "retry"), ("sns", "sent")]
    assert h.runtime.dispatcher.sleep.delays == []  # type: ignore[union-attr]
    labels = {"from_provider": "twilio", "to_provider": "sns"}
    assert metric(h, "otpgate_sms_failovers_total", **labels) == 1
    [row] = await h.rows("SELECT status, provider FROM messages")
    assert row == {"status": "sent", "provider": "sns"}


async def test_a_hanging_twilio_times_out_and_fails_over(
    wired: BuildHarness, twilio: ScriptedTwilio, sns: FakeSns
) -> None:
    h: Harness = await wired(sms_providers="twilio,sns", sms_send_timeout_seconds=0.3)
    twilio.mode = "hang"

    data = await h.register()
    await h.runtime.dispatcher.drain()

    assert [number for number, _text in sns.sms] == [data["phone"]]
    assert await attempts(h) == [("twilio", "timeout"), ("sns", "sent")]
    [timed_out] = await h.rows("SELECT error FROM message_attempts WHERE outcome = 'timeout'")
    assert timed_out["error"] == "twilio did not answer in time"


async def test_the_breaker_opens_skips_twilio_then_lets_one_probe_through(
    wired: BuildHarness, twilio: ScriptedTwilio, sns: FakeSns
) -> None:
    h: Harness = await wired(
        sms_providers="twilio,sns", sms_breaker_failures=2, sms_breaker_cooloff_seconds=30
    )
    twilio.mode = "server_error"
    for i in range(3):
        await h.register(email=f"u{i}@example.com")
        await h.runtime.dispatcher.drain()

    # Two failures opened it; the third message did not even try twilio.
    assert len(twilio.requests) == 2
    assert len(sns.sms) == 3
    assert metric(h, "otpgate_sms_breaker_state", provider="twilio") == 2
    assert "otpgate_sms_breaker_state" in (await h.client.get("/metrics")).text

    h.clock.advance(31)
    twilio.mode = "ok"
    await h.register(email="probe@example.com")
    await h.runtime.dispatcher.drain()

    assert len(twilio.messages) == 1  # the half-open probe went through, and closed it
    assert len(sns.sms) == 3
    assert metric(h, "otpgate_sms_breaker_state", provider="twilio") == 0


async def test_a_permanent_error_fails_at_once_and_the_challenge_says_so(
    wired: BuildHarness, twilio: ScriptedTwilio, sns: FakeSns
) -> None:
    h: Harness = await wired(sms_providers="twilio,sns")
    twilio.mode = "invalid_number"

    data = await h.register()
    await h.runtime.dispatcher.drain()

    assert len(twilio.requests) == 1
    assert sns.sms == []  # the number is bad everywhere: no failover, no retry
    assert h.runtime.dispatcher.sleep.delays == []  # type: ignore[union-attr]
    assert await attempts(h) == [("twilio", "rejected")]
    assert await delivery_status(h, data["challenge"]["id"]) == "failed"
    [message] = await h.rows("SELECT status, error, body_sealed FROM messages")
    assert message == {
        "status": "failed",
        "error": "twilio refused the number (error 21211)",
        "body_sealed": None,
    }
    [event] = await h.rows("SELECT outcome, details FROM events WHERE type = 'sms.failed'")
    assert event["outcome"] == "failed"
    details = as_dict(event["details"])
    assert details["reason"] == "twilio refused the number (error 21211)"
    assert details["challenge_id"] == data["challenge"]["id"]
    assert metric(h, "otpgate_sms_messages_total", provider="twilio", status="failed") == 1


async def test_rounds_are_spent_with_growing_backoff_then_it_fails(
    wired: BuildHarness, twilio: ScriptedTwilio, receiver: FakeWebhookReceiver
) -> None:
    h: Harness = await wired(sms_providers="twilio,webhook", sms_max_rounds=3)
    twilio.mode = "server_error"
    receiver.mode = "server_error"

    data = await h.register()
    await h.runtime.dispatcher.drain()

    assert h.runtime.dispatcher.sleep.delays == [1.0, 2.0]  # type: ignore[union-attr]
    assert await attempts(h) == [("twilio", "retry"), ("webhook", "retry")] * 3
    assert await delivery_status(h, data["challenge"]["id"]) == "failed"
    [message] = await h.rows("SELECT error, attempts, rounds FROM messages")
    assert message == {"error": "webhook answered HTTP 500", "attempts": 6, "rounds": 3}


async def test_a_message_that_would_go_out_after_its_code_expired_is_abandoned(
    wired: BuildHarness, twilio: ScriptedTwilio
) -> None:
    h: Harness = await wired(sms_providers="twilio", code_ttl_seconds=3, sms_retry_base_seconds=5)
    twilio.mode = "server_error"

    data = await h.register()
    await h.runtime.dispatcher.drain()

    assert len(twilio.requests) == 1  # the next try would be 5 s out, after the 3 s code
    assert await delivery_status(h, data["challenge"]["id"]) == "abandoned"
    assert metric(h, "otpgate_sms_messages_total", provider="none", status="abandoned") == 1
    twilio.mode = "ok"
    h.clock.advance(60)
    await h.runtime.dispatcher.sweep_once()
    await h.runtime.dispatcher.drain()
    assert twilio.messages == []


async def test_a_message_nobody_submitted_is_found_by_the_sweep(
    wired: BuildHarness, twilio: ScriptedTwilio
) -> None:
    """The process died between the commit and the hand-over: the row alone is enough."""
    h: Harness = await wired(sms_providers="twilio")
    h.runtime.dispatcher.submit = lambda message: None  # type: ignore[method-assign]

    data = await h.register()
    [row] = await h.rows("SELECT status, body_sealed, body_redacted FROM messages")
    assert row["status"] == "queued"
    assert row["body_sealed"] is not None  # sealed, and the code is not readable in it
    code_free = row["body_redacted"]
    assert "••••••" in code_free

    assert await h.runtime.dispatcher.sweep_once() == 0  # not overdue yet
    h.clock.advance(11)
    assert await h.runtime.dispatcher.sweep_once() == 1
    await h.runtime.dispatcher.drain()

    [sent] = twilio.messages
    code = code_of(sent["Body"])
    assert code.encode() not in bytes(row["body_sealed"])
    [after] = await h.rows("SELECT status, body_sealed FROM messages")
    assert after == {"status": "sent", "body_sealed": None}
    assert (await h.verify(data["challenge"]["id"], code)).status_code == 200


async def test_the_sweep_abandons_what_expired_while_nobody_sent_it(
    wired: BuildHarness, twilio: ScriptedTwilio
) -> None:
    h: Harness = await wired(sms_providers="twilio")
    h.runtime.dispatcher.submit = lambda message: None  # type: ignore[method-assign]
    data = await h.register()

    h.clock.advance(301)
    await h.runtime.dispatcher.sweep_once()
    await h.runtime.dispatcher.drain()

    assert twilio.requests == []
    [row] = await h.rows("SELECT status, body_sealed FROM messages")
    assert row == {"status": "abandoned", "body_sealed": None}
    assert data["challenge"]["delivery_status"] == "queued"


async def test_routes_send_a_prefix_through_its_own_providers(
    wired: BuildHarness, twilio: ScriptedTwilio, sns: FakeSns
) -> None:
    h: Harness = await wired(sms_providers="twilio,sns", sms_routes="+49:twilio;+1:sns")

    await h.register()
    await h.runtime.dispatcher.drain()

    assert twilio.requests == []
    assert len(sns.sms) == 1
