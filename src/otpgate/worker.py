"""Delivery wired from settings: the engine both modes share, and ``otpgate worker``.

``build_engine`` is used by the serving process (embedded mode runs turns in process; scaled
mode still needs the engine for Twilio's status callbacks) and by the worker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from otpgate.adapters.metrics import PrometheusMetrics
from otpgate.adapters.sealing import AesGcmSealer
from otpgate.adapters.sms.registry import build_providers
from otpgate.adapters.storage.delivery import SqlDeliveryLedger
from otpgate.config import Settings
from otpgate.domain.clock import Clock, SystemClock
from otpgate.domain.delivery import Breakers, RetryPolicy, Routes
from otpgate.services.delivery import DeliveryEngine, DeliverySettings
from otpgate.services.ports import SmsProvider

log = structlog.get_logger("otpgate.worker")


def sealer_for(settings: Settings) -> AesGcmSealer:
    previous = tuple(key.get_secret_value().encode() for key in settings.previous_secret_keys)
    return AesGcmSealer(settings.secret_key_bytes, previous)


def delivery_settings(settings: Settings) -> DeliverySettings:
    return DeliverySettings(
        retry=RetryPolicy(
            max_rounds=settings.sms_max_rounds,
            base_seconds=settings.sms_retry_base_seconds,
            max_seconds=settings.sms_retry_max_seconds,
        ),
        timeout_seconds=settings.sms_send_timeout_seconds,
        reclaim_after_seconds=settings.sms_reclaim_after_seconds,
        sweep_grace_seconds=settings.sms_sweep_seconds,
    )


def build_engine(
    settings: Settings,
    db: AsyncEngine,
    clock: Clock,
    metrics: PrometheusMetrics,
    providers: Sequence[SmsProvider] | Mapping[str, SmsProvider] | None = None,
) -> DeliveryEngine:
    """The delivery engine on ``db``. ``providers`` (tests) replaces the configured ones; a
    list also replaces the configured order."""
    if providers is None:
        by_name: dict[str, SmsProvider] = dict(build_providers(settings))
        routes = settings.sms_route_table
    elif isinstance(providers, Mapping):
        by_name = dict(providers)
        routes = settings.sms_route_table
    else:
        by_name = {provider.name: provider for provider in providers}
        routes = Routes.parse(settings.sms_routes, [provider.name for provider in providers])
    return DeliveryEngine(
        SqlDeliveryLedger(db),
        by_name,
        routes,
        clock,
        sealer=sealer_for(settings),
        metrics=metrics,
        settings=delivery_settings(settings),
        breakers=Breakers(
            threshold=settings.sms_breaker_failures,
            cooloff=timedelta(seconds=settings.sms_breaker_cooloff_seconds),
        ),
    )


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
    engine = build_engine(settings, db, SystemClock(), metrics or PrometheusMetrics())
    app = make_queue_app(
        settings.queue_conninfo, sweep_seconds=settings.sms_sweep_seconds, pool_size=concurrency + 2
    )
    try:
        async with app.open_async():
            worker = QueueWorker(engine, QueueDispatcher(app, opened=True))
            log.info("worker started", concurrency=concurrency, providers=list(engine.providers))
            await app.run_worker_async(
                queues=[QUEUE],
                concurrency=concurrency,
                wait=wait,
                additional_context={CONTEXT_KEY: worker},
                install_signal_handlers=install_signal_handlers,
                shutdown_graceful_timeout=settings.sms_send_timeout_seconds + 5,
                delete_jobs="successful",
            )
    finally:
        for provider in engine.providers.values():
            await provider.aclose()
        await db.dispose()
        log.info("worker stopped")


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
