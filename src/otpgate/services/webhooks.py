"""Event webhooks (DESIGN §5.4, S50): every security event, POSTed to the shop's receiver
with Standard Webhooks signatures, at least once, in order per account.

Each event is written to the ``webhook_events`` outbox in the very transaction that writes it
to the audit trail (``adapters/storage/audit.py``), so nothing is lost between the two. The
relay here drains that outbox:

- **in order per account**: only the oldest pending event of each *lane* (its account, or
  one lane for events of no account) is ever sent; the next waits until it is delivered;
- **at least once, with a stable id**: the body's ``id`` and the ``webhook-id`` header are the
  row's own, the same on every attempt, so a receiver drops a repeat;
- **retries with exponential backoff** (capped, with jitter) while the receiver is down, for
  up to ``give_up_after`` (3 days by default); then the event is marked ``failed``, logged and
  counted, and its lane moves on;
- **any number of relays**: a relay leases the head of a lane before it sends (a conditional
  UPDATE), so two processes never send one event at once, nor two events of one lane.

Embedded mode runs the relay in the serving process; scaled mode in ``otpgate worker``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import structlog

from otpgate.domain.clock import Clock
from otpgate.domain.errors import DeliveryError
from otpgate.services.ports import Metrics, NoMetrics

log = structlog.get_logger("otpgate.webhooks")

Jitter = Callable[[float, float], float]


@dataclass(frozen=True, slots=True)
class PendingWebhook:
    seq: int
    id: str
    lane: str
    type: str
    body: str
    attempts: int
    created_at: datetime


class WebhookOutbox(Protocol):
    """The relay's side of the ``webhook_events`` outbox (each call its own transaction)."""

    async def due(self, now: datetime, limit: int) -> Sequence[PendingWebhook]:
        """The oldest pending event of each lane, where it is due and nobody holds it."""
        ...

    async def lease(self, seq: int, now: datetime, until: datetime) -> bool:
        """Hold a pending event until ``until``; False when another relay holds it."""
        ...

    async def delivered(self, seq: int, now: datetime) -> None: ...

    async def retry(self, seq: int, attempts: int, next_attempt_at: datetime, error: str) -> None:
        """Release the event to be tried again at ``next_attempt_at``."""
        ...

    async def give_up(self, seq: int, attempts: int, now: datetime, error: str) -> None: ...

    async def purge(self, delivered_before: datetime) -> int:
        """Forget events delivered before ``delivered_before``; how many."""
        ...


class WebhookSender(Protocol):
    async def send(self, webhook_id: str, body: str, at: datetime) -> None:
        """POST ``body`` signed at ``at``; raise ``DeliveryError`` unless the receiver took it."""
        ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True, slots=True)
class RelaySettings:
    retry_base_seconds: float = 5.0
    retry_max_seconds: float = 3600.0
    give_up_after_seconds: float = 3 * 86400
    # Longer than a send can take (its timeout): a lease outlives only a dead relay.
    lease_seconds: float = 60.0
    batch: int = 50
    keep_delivered_seconds: float = 86400


class EventRelay:
    def __init__(
        self,
        outbox: WebhookOutbox,
        sender: WebhookSender,
        clock: Clock,
        *,
        settings: RelaySettings | None = None,
        metrics: Metrics | None = None,
        jitter: Jitter | None = None,
    ) -> None:
        self.outbox = outbox
        self.sender = sender
        self.clock = clock
        self.settings = settings or RelaySettings()
        self.metrics: Metrics = metrics or NoMetrics()
        # ``jitter(low, high)`` picks each delay between half the backoff and all of it, so the
        # lanes of a receiver that was down don't all come back at once (bootstrap passes the
        # process' PRNG; without one, the whole backoff).
        self.jitter: Jitter = jitter or (lambda _low, high: high)
        self._task: asyncio.Task[None] | None = None

    async def drain(self) -> int:
        """Deliver everything due, lane by lane in order; returns how many were delivered."""
        delivered = 0
        while True:
            heads = await self.outbox.due(self.clock.now(), self.settings.batch)
            if not heads:
                return delivered
            # Lanes are independent: their heads go out side by side.
            done = sum(await asyncio.gather(*(self._deliver(head) for head in heads)))
            delivered += done
            if done == 0:
                return delivered  # every head failed or is held elsewhere: wait for its turn

    async def _deliver(self, event: PendingWebhook) -> int:
        now = self.clock.now()
        lease = now + timedelta(seconds=self.settings.lease_seconds)
        if not await self.outbox.lease(event.seq, now, lease):
            return 0
        attempts = event.attempts + 1
        try:
            await self.sender.send(event.id, event.body, now)
        except DeliveryError as exc:
            await self._failed(event, attempts, exc.detail)
            return 0
        await self.outbox.delivered(event.seq, self.clock.now())
        self.metrics.incr("webhook_events", status="delivered")
        return 1

    async def _failed(self, event: PendingWebhook, attempts: int, error: str) -> None:
        now = self.clock.now()
        settings = self.settings
        if now - event.created_at >= timedelta(seconds=settings.give_up_after_seconds):
            await self.outbox.give_up(event.seq, attempts, now, error)
            self.metrics.incr("webhook_events", status="failed")
            log.error("event webhook given up", event_id=event.id, attempts=attempts, error=error)
            return
        ceiling = min(settings.retry_max_seconds, settings.retry_base_seconds * 2 ** (attempts - 1))
        delay = self.jitter(ceiling / 2, ceiling)
        await self.outbox.retry(event.seq, attempts, now + timedelta(seconds=delay), error)
        self.metrics.incr("webhook_events", status="retry")
        log.warning("event webhook failed", event_id=event.id, attempts=attempts, error=error)

    async def purge(self) -> int:
        """Forget events delivered long enough ago."""
        keep = timedelta(seconds=self.settings.keep_delivered_seconds)
        return await self.outbox.purge(self.clock.now() - keep)

    def start(self, interval_seconds: float) -> None:
        """Drain now and then every ``interval_seconds`` (call from a running event loop)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.run(interval_seconds))

    async def run(self, interval_seconds: float) -> None:
        """Drain forever; a failure (the database restarting) is logged and tried again."""
        rounds = 0
        while True:
            try:
                await self.drain()
                rounds += 1
                if rounds % 3600 == 0:
                    await self.purge()
            except asyncio.CancelledError:
                raise
            except Exception:  # the loop must outlive a database hiccup
                log.exception("event webhook relay failed")
            await asyncio.sleep(interval_seconds)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.sender.aclose()
