"""Embedded delivery: turns run as tasks on the serving process' event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import structlog

from otpgate.services.delivery.engine import DeliveryEngine
from otpgate.services.ports import OutgoingMessage

log = structlog.get_logger("otpgate.delivery")

Sleep = Callable[[float], Awaitable[None]]


class InProcessDispatcher:
    """Embedded mode: turns run as tasks on the serving process' event loop.

    Implements the ``Dispatcher`` port. A turn that asks for another one later sleeps
    (``sleep`` is injectable, so tests never wait) and runs it; ``start`` adds a sweep loop
    that recovers what a previous process left behind.
    """

    def __init__(self, engine: DeliveryEngine, *, sleep: Sleep = asyncio.sleep) -> None:
        self.engine = engine
        self.sleep = sleep
        self._tasks: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None

    def submit(self, message: OutgoingMessage) -> None:
        """Schedule delivery; returns at once (the request never waits on a provider)."""
        self._spawn(self._deliver(message.message_id, message.body, 0.0))

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, message_id: str, body: str | None, delay: float) -> None:
        try:
            while True:
                if delay > 0:
                    await self.sleep(delay)
                next_delay = await self.engine.run(message_id, body)
                if next_delay is None:
                    return
                delay = next_delay
        except asyncio.CancelledError:
            raise
        except Exception:  # the task must never die silently; the sweep will retry it
            log.exception("sms delivery turn crashed", message_id=message_id)

    async def sweep_once(self) -> int:
        """Run one sweep and schedule what it found; returns how many turns it scheduled."""
        turns = await self.engine.sweep()
        for message_id, delay in turns:
            self._spawn(self._deliver(message_id, None, delay))
        return len(turns)

    def start(self, interval_seconds: float) -> None:
        """Sweep now and then every ``interval_seconds`` (call from a running event loop)."""
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().create_task(
                self._sweep_loop(interval_seconds)
            )

    async def _sweep_loop(self, interval_seconds: float) -> None:
        while True:
            try:
                await self.sweep_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup: try again next time
                log.exception("sms sweep failed")
            await asyncio.sleep(interval_seconds)

    async def drain(self) -> None:
        """Wait until every scheduled turn has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self, grace_seconds: float = 5.0) -> None:
        """Stop sweeping; let turns in flight finish for a moment, then cancel the rest."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
            self._sweeper = None
        if not self._tasks:
            return
        _done, pending = await asyncio.wait(list(self._tasks), timeout=grace_seconds)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
