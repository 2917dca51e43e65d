"""Scaled mode: ``otpgate worker`` drains the event webhooks' outbox next to the SMS queue."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import TEST_SECRET
from tests.harness import Harness
from tests.webhook_receiver import Receiver, new_secret

from .procs import Worker

pytestmark = pytest.mark.parametrize("backend", ["postgres"], indirect=True)


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with Receiver(new_secret()) as running:
        yield running


async def test_the_worker_delivers_events_written_by_an_app_node(
    make_harness: Any, postgres_url: str | None, tmp_path: Path, hook: Receiver
) -> None:
    h: Harness = await make_harness(
        delivery="queue", events_webhook_url=hook.url, events_webhook_secret=hook.secret
    )
    async with h.runtime.store.engine.begin() as conn:
        await conn.execute(
            text("TRUNCATE procrastinate_jobs, procrastinate_periodic_defers CASCADE")
        )
    assert postgres_url is not None
    await h.register("ada@example.com")
    created = await h.runtime.services.api_keys.create("checkout")
    worker = Worker(
        tmp_path,
        OTPGATE_DATABASE_URL=postgres_url,
        OTPGATE_SECRET_KEY=TEST_SECRET,
        OTPGATE_DATA_DIR=str(tmp_path / "worker-data"),
        OTPGATE_BASE_URL="https://shop.example",
        OTPGATE_EVENTS_WEBHOOK_URL=hook.url,
        OTPGATE_EVENTS_WEBHOOK_SECRET=hook.secret,
        OTPGATE_EVENTS_WEBHOOK_POLL_SECONDS="0.2",
    )
    try:
        worker.wait_started()
        events = hook.wait_for(3, timeout=20)
    finally:
        assert worker.terminate() == 0
    assert sorted(e["type"] for e in events) == [
        "account.registered",
        "api_key.created",
        "code.sent",
    ]
    assert created.secret not in " ".join(body.decode() for body in hook.raw())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if await h.scalar("SELECT count(*) FROM webhook_events WHERE status = 'pending'") == 0:
            break
        await asyncio.sleep(0.05)  # the worker records each delivery just after the POST
    assert await h.scalar("SELECT count(*) FROM webhook_events WHERE status = 'delivered'") == 3
