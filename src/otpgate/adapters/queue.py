"""Scaled mode: a durable delivery queue, procrastinate on the PostgreSQL we already run.

A job names a message id and nothing else (the body waits sealed in ``messages``). App
processes defer a job after the message's transaction commits (``QueueDispatcher``); any
number of ``otpgate worker`` processes, on any machines, run the jobs (``QueueWorker``). A
job is one delivery turn; a turn that wants another later defers it with ``schedule_in``.
The ``queueing_lock`` (the message id) keeps at most one waiting job per message; the real
guard against two workers sending one message is the ledger's conditional claim.

Nothing is lost when a process dies: a message committed but never deferred, or whose job
vanished, is found by the periodic sweep (every ``OTPGATE_SMS_SWEEP_SECONDS``, deduplicated
across workers by procrastinate), and one left ``sending`` is reconciled, not re-sent.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import procrastinate
import psycopg_pool
import structlog
from procrastinate import JobContext
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.jobs import Status as JobStatus

from otpgate.services.delivery import DeliveryEngine
from otpgate.services.ports import OutgoingMessage

__all__ = [
    "DELIVER_TASK",
    "QUEUE",
    "SWEEP_TASK",
    "QueueDispatcher",
    "QueueWorker",
    "apply_queue_schema",
    "make_queue_app",
]

log = structlog.get_logger("otpgate.queue")

QUEUE = "otpgate-sms"
DELIVER_TASK = "otpgate.deliver_sms"
SWEEP_TASK = "otpgate.sweep_sms"
CONTEXT_KEY = "otpgate"
# A worker that has not reported for this long is dead; its running jobs are failed (the
# sweep settles their messages from our own tables).
STALLED_AFTER_SECONDS = 30.0


def make_queue_app(
    conninfo: str, *, sweep_seconds: float = 10.0, pool_size: int = 4
) -> procrastinate.App:
    """The procrastinate app with otpgate's two tasks, on its own small psycopg pool."""
    connector = procrastinate.PsycopgConnector(conninfo=conninfo, min_size=1, max_size=pool_size)
    app = procrastinate.App(connector=connector)

    @app.task(name=DELIVER_TASK, queue=QUEUE, pass_context=True)
    async def deliver_sms(context: JobContext, message_id: str) -> None:
        worker: QueueWorker = context.additional_context[CONTEXT_KEY]
        await worker.deliver(message_id)

    every = max(1, min(59, round(sweep_seconds)))

    @app.periodic(cron=f"* * * * * */{every}", periodic_id="sweep")
    @app.task(name=SWEEP_TASK, queue=QUEUE, pass_context=True, queueing_lock=SWEEP_TASK)
    async def sweep_sms(context: JobContext, timestamp: int) -> None:
        worker: QueueWorker = context.additional_context[CONTEXT_KEY]
        await worker.sweep()

    return app


async def apply_queue_schema(conninfo: str) -> bool:
    """Create procrastinate's tables unless they exist; True when it created them.

    Procrastinate ships its schema as SQL, not as Alembic revisions; ``otpgate db upgrade``
    applies it once. A later procrastinate release that changes its schema comes with its
    own migration files, to be applied by a new Alembic revision.
    """
    app = make_queue_app(conninfo, pool_size=1)
    async with app.open_async():
        rows = await app.connector.execute_query_one_async(
            "SELECT to_regclass('procrastinate_jobs') IS NOT NULL AS present"
        )
        if rows["present"]:
            return False
        await app.schema_manager.apply_schema_async()
    return True


class QueueDispatcher:
    """App side: implements ``Dispatcher`` by deferring one job per message."""

    def __init__(
        self, app: procrastinate.App, *, opened: bool = False, conninfo: str | None = None
    ) -> None:
        self.app = app
        self._opened = opened  # the worker opens the app itself
        self._conninfo = conninfo
        self._own_pool: psycopg_pool.AsyncConnectionPool | None = None
        self._open_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, message: OutgoingMessage) -> None:
        """Defer the message's job in the background: the request does not wait for it, and
        if deferring fails the sweep finds the message anyway."""
        task = asyncio.get_running_loop().create_task(self._submit(message.message_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _submit(self, message_id: str) -> None:
        try:
            await self.defer(message_id, 0.0)
        except Exception:  # noqa: BLE001 - the sweep re-defers it
            log.warning("sms job not deferred; the sweep will pick it up", message_id=message_id)

    async def defer(self, message_id: str, delay: float) -> None:
        """Defer a delivery turn for ``message_id`` in ``delay`` seconds (once per message)."""
        await self._open()
        options: dict[str, Any] = {"queueing_lock": message_id}
        if delay > 0:
            options["schedule_in"] = {"seconds": delay}
        with contextlib.suppress(AlreadyEnqueued):  # a job for it is already waiting
            await self.app.configure_task(DELIVER_TASK, **options).defer_async(
                message_id=message_id
            )

    async def _open(self) -> None:
        if self._opened:
            return
        async with self._open_lock:
            if not self._opened:
                await self.app.open_async(pool=await self._pool())
                self._opened = True

    async def _pool(self) -> psycopg_pool.AsyncConnectionPool | None:
        """The app side's own pool: autocommit and no check per checkout, so deferring a job
        is one round trip instead of four (BEGIN, the check, the call, COMMIT). A dead
        connection fails one defer, which the sweep makes good."""
        if self._conninfo is None:
            return None
        pool = psycopg_pool.AsyncConnectionPool(
            self._conninfo, min_size=1, max_size=4, kwargs={"autocommit": True}, open=False
        )
        await pool.open(wait=True)
        self._own_pool = pool
        return pool

    async def drain(self) -> None:
        """Wait until every submitted message has been deferred."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self, grace_seconds: float = 5.0) -> None:
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=grace_seconds)
        if self._opened:
            await self.app.close_async()
            self._opened = False
        if self._own_pool is not None:
            await self._own_pool.close()  # procrastinate leaves a pool it was given open
            self._own_pool = None


class QueueWorker:
    """Worker side: what the two tasks do."""

    def __init__(self, engine: DeliveryEngine, dispatcher: QueueDispatcher) -> None:
        self.engine = engine
        self.dispatcher = dispatcher

    async def deliver(self, message_id: str) -> None:
        delay = await self.engine.run(message_id)
        if delay is not None:
            await self.dispatcher.defer(message_id, delay)

    async def sweep(self) -> None:
        for message_id, delay in await self.engine.sweep():
            await self.dispatcher.defer(message_id, delay)
        manager = self.dispatcher.app.job_manager
        for job in await manager.get_stalled_jobs(
            queue=QUEUE, seconds_since_heartbeat=STALLED_AFTER_SECONDS
        ):
            await manager.finish_job(job, status=JobStatus.FAILED, delete_job=False)
