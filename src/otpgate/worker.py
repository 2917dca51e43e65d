"""``otpgate worker`` (drains the durable queue) and ``otpgate sms test``.

The delivery engine comes from ``bootstrap.build_engine``, the same as the serving process'
(embedded mode runs turns in process; scaled mode still needs it for Twilio's receipts).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import Any

import structlog

from otpgate.adapters.metrics import PrometheusMetrics
from otpgate.adapters.sms.registry import build_providers
from otpgate.bootstrap import build_engine, build_relay
from otpgate.config import Settings
from otpgate.domain.clock import SystemClock

log = structlog.get_logger("otpgate.worker")

# A worker whose database went away starts again after 1 s, then 2, 4... up to 30 s; one
# that ran for a minute before it stopped starts over at 1 s.
RESTART_FIRST_SECONDS = 1.0
RESTART_MAX_SECONDS = 30.0
RESTART_RESET_SECONDS = 60.0


async def run_worker(
    settings: Settings,
    *,
    concurrency: int | None = None,
    metrics: PrometheusMetrics | None = None,
    install_signal_handlers: bool = True,
    wait: bool = True,
) -> None:
    """Drain the queue until SIGTERM/SIGINT (or, with ``wait=False``, until it is empty).

    On a stop signal procrastinate stops fetching jobs and waits for the turns in flight
    (each bounded by the send timeout) before it returns.
    """
    from otpgate.adapters.queue import (
        CONTEXT_KEY,
        QUEUE,
        QueueDispatcher,
        QueueWorker,
        make_queue_app,
    )
    from otpgate.adapters.storage.engine import make_engine

    concurrency = concurrency or settings.worker_concurrency
    db = make_engine(
        settings.effective_database_url,
        pool_size=min(settings.db_pool_size, concurrency + 2),
        max_overflow=settings.db_max_overflow,
    )
    metrics = metrics or PrometheusMetrics()
    engine = build_engine(settings, db, SystemClock(), metrics)
    # Event webhooks go out from the workers in scaled mode (their outbox is a table: any
    # number of relays share it safely, see services/webhooks.py).
    relay = build_relay(settings, db, SystemClock(), metrics)
    app = make_queue_app(
        settings.queue_conninfo, sweep_seconds=settings.sms_sweep_seconds, pool_size=concurrency + 2
    )
    try:
        async with app.open_async():
            worker = QueueWorker(engine, QueueDispatcher(app, opened=True))
            options: dict[str, Any] = {
                "queues": [QUEUE],
                "concurrency": concurrency,
                "wait": wait,
                "additional_context": {CONTEXT_KEY: worker},
                "shutdown_graceful_timeout": settings.sms_send_timeout_seconds + 5,
                "delete_jobs": "successful",
            }
            log.info("worker started", concurrency=concurrency, providers=list(engine.providers))
            if relay is not None:
                relay.start(settings.events_webhook_poll_seconds)
            if not wait:
                await app.run_worker_async(
                    **options, install_signal_handlers=install_signal_handlers
                )
            else:
                await _run_until_stopped(app, options, install_signal_handlers)
    finally:
        if relay is not None:
            await relay.aclose()
        for provider in engine.providers.values():
            await provider.aclose()
        await db.dispose()
        log.info("worker stopped")


async def _run_until_stopped(
    app: Any, options: dict[str, Any], install_signal_handlers: bool
) -> None:
    """Run procrastinate's worker until SIGTERM/SIGINT, starting it again whenever it ends
    by itself: it stops when its database connection breaks (a PostgreSQL restart), and a
    worker that quietly exits would leave every queued message unsent."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT) if install_signal_handlers else ()
    for number in signals:
        loop.add_signal_handler(number, stopping.set)
    delay = RESTART_FIRST_SECONDS
    try:
        while not stopping.is_set():
            started = loop.time()
            running = asyncio.create_task(
                app.run_worker_async(**options, install_signal_handlers=False)
            )
            stop = asyncio.create_task(stopping.wait())
            await asyncio.wait({running, stop}, return_when=asyncio.FIRST_COMPLETED)
            if stop.done():
                # A stop signal: procrastinate finishes the turns in flight, then returns.
                running.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await running
                return
            stop.cancel()
            error = running.exception()
            if loop.time() - started > RESTART_RESET_SECONDS:
                delay = RESTART_FIRST_SECONDS
            log.warning(
                "worker lost its database; starting again",
                retry_in=delay,
                error=type(error).__name__ if error else None,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=delay)
            delay = min(delay * 2, RESTART_MAX_SECONDS)
    finally:
        for number in signals:
            loop.remove_signal_handler(number)


async def send_test(settings: Settings, to: str) -> list[tuple[str, str]]:
    """Send a test message through each provider the route for ``to`` names, in order,
    stopping at the first that accepts it; returns ``(provider, outcome)`` lines."""
    from otpgate.domain.errors import DeliveryError, PermanentDeliveryError
    from otpgate.domain.tokens import new_id

    providers = build_providers(settings)
    body = f"This is a test message from {settings.brand} ({settings.host}). No action needed."
    lines: list[tuple[str, str]] = []
    try:
        for name in settings.sms_route_table.providers_for(to):
            try:
                async with asyncio.timeout(settings.sms_send_timeout_seconds):
                    provider_id = await providers[name].send(
                        to, body, message_id=new_id("test"), purpose="test"
                    )
            except PermanentDeliveryError as exc:
                lines.append((name, f"refused for this number: {exc.detail}"))
                break
            except DeliveryError as exc:
                lines.append((name, f"failed: {exc.detail}"))
                continue
            except TimeoutError:
                lines.append((name, "failed: no answer in time"))
                continue
            lines.append((name, f"sent (provider id {provider_id})"))
            break
    finally:
        for provider in providers.values():
            await provider.aclose()
    return lines
