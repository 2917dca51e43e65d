"""Scaled mode on real PostgreSQL: the app defers, real ``otpgate worker`` processes deliver.

Covers the registration SMS end to end through the queue, a clean stop on SIGTERM, the sweep
that finds a message whose job was never deferred, and a worker killed (SIGKILL) while the
provider holds its request: no second SMS.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.browser.server import otpgate_command
from tests.conftest import TEST_SECRET
from tests.harness import Harness
from tests.sms.fakes import FakeWebhookReceiver
from tests.texts import code_of

from .conftest import ACCOUNT_SID, AUTH_TOKEN, WEBHOOK_SECRET, ScriptedTwilio, attempts
from .procs import Worker, wait_for

pytestmark = pytest.mark.parametrize("backend", ["postgres"], indirect=True)

BuildHarness = Any


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 15.0) -> None:
    for _ in range(int(seconds * 10)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not reached within {seconds}s")


@pytest.fixture
def worker_env(postgres_url: str | None, tmp_path: Path) -> dict[str, str]:
    assert postgres_url is not None
    return {
        "OTPGATE_DATABASE_URL": postgres_url,
        "OTPGATE_SECRET_KEY": TEST_SECRET,
        "OTPGATE_DATA_DIR": str(tmp_path / "worker-data"),
        "OTPGATE_BASE_URL": "https://shop.example",
        "OTPGATE_BRAND": "Shop",
        "OTPGATE_SMS_SWEEP_SECONDS": "1",
    }


@pytest.fixture
async def queued(make_harness: BuildHarness) -> Callable[..., Awaitable[Harness]]:
    async def build(**overrides: Any) -> Harness:
        h: Harness = await make_harness(delivery="queue", **overrides)
        async with h.runtime.store.engine.begin() as conn:
            await conn.execute(
                text("TRUNCATE procrastinate_jobs, procrastinate_periodic_defers CASCADE")
            )
        return h

    return build


async def test_a_worker_delivers_the_registration_code_and_stops_cleanly(
    queued: Callable[..., Awaitable[Harness]],
    receiver: FakeWebhookReceiver,
    worker_env: dict[str, str],
    tmp_path: Path,
) -> None:
    h = await queued(sms_provider="webhook", webhook_url=receiver.url, webhook_secret="x" * 8)
    worker = Worker(
        tmp_path,
        **worker_env,
        OTPGATE_SMS_PROVIDER="webhook",
        OTPGATE_WEBHOOK_URL=receiver.url,
        OTPGATE_WEBHOOK_SECRET=WEBHOOK_SECRET,
    )
    try:
        worker.wait_started()
        data = await h.register()
        await h.runtime.dispatcher.drain()  # the job is deferred
        assert data["challenge"]["delivery_status"] == "queued"

        wait_for(lambda: len(receiver.messages) == 1, 15, worker)

        [message] = receiver.messages
        assert message["to"] == data["phone"]
        code = code_of(message["body"])
        verified = await h.verify(data["challenge"]["id"], code)
        assert verified.status_code == 200, verified.text
        # The proven number's account is mailed its address's confirmation link (issue 14):
        # the worker delivers that too, before the doctor counts what is in flight.
        for _ in range(300):
            in_flight = "SELECT count(*) FROM messages WHERE status IN ('queued', 'sending')"
            if await h.scalar(in_flight) == 0:
                break
            await asyncio.sleep(0.05)
        [row] = await h.rows(
            "SELECT status, body_sealed, provider FROM messages WHERE channel = 'sms'"
        )
        assert row == {"status": "sent", "body_sealed": None, "provider": "webhook"}
        assert [a for a in await attempts(h) if a[0] != "mail-outbox"] == [("webhook", "sent")]
        doctor = subprocess.run(  # noqa: ASYNC221 - the test waits for it on purpose
            [*otpgate_command(), "doctor"],
            env=worker.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert "delivery: queue, 1 worker(s) alive; 0 message(s) in flight" in doctor.stdout
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    finally:
        status = worker.terminate()
    assert status == 0, worker.log()
    log = worker.log()
    assert '"worker stopped"' in log
    assert code not in log


async def test_the_sweep_sends_a_message_whose_job_was_never_deferred(
    queued: Callable[..., Awaitable[Harness]],
    receiver: FakeWebhookReceiver,
    worker_env: dict[str, str],
    tmp_path: Path,
) -> None:
    h = await queued()
    h.runtime.dispatcher.submit = lambda message: None  # type: ignore[method-assign]
    data = await h.register()  # committed; the process "died" before deferring

    worker = Worker(
        tmp_path,
        **worker_env,
        OTPGATE_SMS_PROVIDER="webhook",
        OTPGATE_WEBHOOK_URL=receiver.url,
        OTPGATE_WEBHOOK_SECRET=WEBHOOK_SECRET,
    )
    try:
        wait_for(lambda: len(receiver.messages) == 1, 20, worker)
    finally:
        worker.terminate()
    assert receiver.messages[0]["to"] == data["phone"]


@pytest.mark.parametrize("twilio_took_it", [True, False], ids=["twilio-took-it", "never-arrived"])
async def test_a_worker_killed_mid_send_does_not_cause_a_second_sms(
    queued: Callable[..., Awaitable[Harness]],
    twilio: ScriptedTwilio,
    worker_env: dict[str, str],
    tmp_path: Path,
    twilio_took_it: bool,
) -> None:
    h = await queued()
    twilio_env = {
        **worker_env,
        "OTPGATE_SMS_PROVIDER": "twilio",
        "OTPGATE_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "OTPGATE_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "OTPGATE_TWILIO_FROM": "+15005550006",
        "OTPGATE_TWILIO_API_BASE": twilio.url,
    }
    # Twilio holds the call; it has either created the message already, or not.
    twilio.mode = "accept_and_hang" if twilio_took_it else "hang"
    first = Worker(tmp_path, "first", **twilio_env, OTPGATE_SMS_SEND_TIMEOUT_SECONDS="8")
    try:
        first.wait_started()
        data = await h.register()
        await h.runtime.dispatcher.drain()
        wait_for(lambda: len(twilio.requests) == 1, 15, first)
    finally:
        first.kill()  # the worker dies in the middle of the call
    assert await h.scalar("SELECT status FROM messages") == "sending"

    twilio.mode = "ok"  # a blind re-send would now go through, and be counted
    second = Worker(
        tmp_path,
        "second",
        **twilio_env,
        OTPGATE_SMS_SEND_TIMEOUT_SECONDS="1",
        OTPGATE_SMS_RECLAIM_AFTER_SECONDS="2",
    )
    try:

        async def settled() -> bool:
            return await h.scalar("SELECT status FROM messages") == "sent"

        await eventually(settled, 20)
        await asyncio.sleep(1.5)  # another sweep or two: still nothing more sent
    finally:
        second.terminate()

    assert len(twilio.created) == 1  # exactly one SMS, whichever way the first call went
    [message] = twilio.created
    assert message["to"] == data["phone"]
    assert await h.scalar("SELECT provider_message_id FROM messages") == message["sid"]
    expected = (
        [("twilio", "sent")]
        if twilio_took_it
        else [
            ("twilio", "interrupted"),
            ("twilio", "sent"),
        ]
    )
    assert await attempts(h) == expected
    response = await h.client.get(f"/api/v1/challenges/{data['challenge']['id']}")
    assert response.json()["delivery_status"] == "sent"
