"""SMS providers failing: 5xx, hanging, slow; retries, failover and the breaker as documented.

A real ``otpgate serve`` and ``otpgate worker`` with two providers in route order, the webhook
first and Twilio second, both fakes on loopback. The request path only queues: whatever the
providers do, sign-up answers at once. Each message reaches exactly one provider once.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from tests.delivery.conftest import WEBHOOK_SECRET, ScriptedTwilio
from tests.faults import report
from tests.faults.conftest import twilio_settings
from tests.faults.stack import PASSWORD, Stack, stack, wait_until
from tests.sms.fakes import FakeWebhookReceiver

FAST_ANSWER_SECONDS = 1.0


def attempts(running: Stack, message_id: str) -> list[tuple[str, str]]:
    rows = running.sql(
        "SELECT provider, outcome FROM message_attempts WHERE message_id = $1 ORDER BY id",
        message_id=message_id,
    )
    return [(row["provider"], row["outcome"]) for row in rows]


def sign_up(client: httpx.Client, running: Stack, n: int) -> tuple[str, float]:
    """Register customer ``n``; the id of the message it queued, and how long the answer took."""
    started = time.monotonic()
    response = client.post(
        "/api/v1/accounts",
        json={
            "name": "Ada",
            "email": f"provider{n}@example.com",
            "password": PASSWORD,
            "phone": f"+1415555{4300 + n:04d}",
        },
    )
    took = time.monotonic() - started
    assert response.status_code == 202, response.text
    challenge_id = response.json()["challenge"]["id"]
    [row] = running.sql(
        "SELECT id FROM messages WHERE challenge_id = $1", challenge_id=challenge_id
    )
    return row["id"], took


def settled(running: Stack, message_id: str) -> dict[str, Any]:
    def final() -> bool:
        rows = running.sql("SELECT status FROM messages WHERE id = $1", message_id=message_id)
        return rows[0]["status"] not in ("queued", "sending")

    wait_until(final, 30, f"message {message_id} settled")
    [row] = running.sql(
        "SELECT status, provider, rounds FROM messages WHERE id = $1", message_id=message_id
    )
    return row


def test_retries_failover_and_the_breaker_with_failing_providers(
    tmp_path: Path, twilio: ScriptedTwilio
) -> None:
    settings = {
        **twilio_settings(twilio),
        "OTPGATE_SMS_PROVIDERS": "webhook,twilio",
        "OTPGATE_SMS_SEND_TIMEOUT_SECONDS": "1",
        "OTPGATE_SMS_RECLAIM_AFTER_SECONDS": "5",
        "OTPGATE_SMS_BREAKER_FAILURES": "2",
        "OTPGATE_SMS_BREAKER_COOLOFF_SECONDS": "60",
        "OTPGATE_SMS_RETRY_BASE_SECONDS": "0.2",
        "OTPGATE_SMS_RETRY_MAX_SECONDS": "0.5",
        "OTPGATE_SMS_MAX_ROUNDS": "3",
    }
    with FakeWebhookReceiver(WEBHOOK_SECRET.encode()) as receiver:
        settings |= {
            "OTPGATE_WEBHOOK_URL": receiver.url,
            "OTPGATE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        }
        with (
            stack(tmp_path, **settings) as running,
            httpx.Client(base_url=running.url, timeout=30) as client,
        ):
            running.worker()
            answered: list[float] = []

            # 1. The first provider answers 500: the second one sends it.
            receiver.mode = "server_error"
            first, took = sign_up(client, running, 1)
            answered.append(took)
            assert settled(running, first) == {"status": "sent", "provider": "twilio", "rounds": 0}
            assert attempts(running, first) == [("webhook", "retry"), ("twilio", "sent")]

            # 2. The first provider hangs: the call times out after 1 s, the second sends it,
            # and the request that queued it did not wait for any of that.
            receiver.mode = "hang"
            second, took = sign_up(client, running, 2)
            answered.append(took)
            assert settled(running, second)["provider"] == "twilio"
            assert attempts(running, second) == [("webhook", "timeout"), ("twilio", "sent")]

            # 3. Two failures opened the webhook's breaker: it is not even tried.
            receiver.mode = "ok"
            calls = len(receiver.requests)
            third, took = sign_up(client, running, 3)
            answered.append(took)
            assert settled(running, third)["provider"] == "twilio"
            assert attempts(running, third) == [("twilio", "sent")]
            assert len(receiver.requests) == calls

            # 4. Twilio fails once too (one failure short of its breaker): the message waits
            # out a backoff and goes in the next round.
            twilio.script = ["server_error", "ok"]
            fourth, took = sign_up(client, running, 4)
            answered.append(took)
            assert settled(running, fourth) == {"status": "sent", "provider": "twilio", "rounds": 1}
            assert attempts(running, fourth) == [("twilio", "retry"), ("twilio", "sent")]

            # Each message reached a provider exactly once.
            to_twilio = [m["to"] for m in twilio.created]
            assert sorted(to_twilio) == [f"+1415555{4300 + n:04d}" for n in range(1, 5)]
            assert receiver.messages == []
            assert max(answered) < FAST_ANSWER_SECONDS, answered
            report.note(
                "providers: 500 -> failover, hang -> 1 s timeout then failover, breaker open "
                f"after 2 failures (not tried), a 5xx -> backoff, sent in round 2; slowest sign-up "
                f"answer {max(answered) * 1000:.0f} ms; 4 messages, 4 sent once, 0 lost, "
                "0 doubled"
            )
