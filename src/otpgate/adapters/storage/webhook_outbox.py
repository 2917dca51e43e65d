"""The ``WebhookOutbox`` port on SQL: the relay's reads and moves on ``webhook_events``.

``due`` picks only the head of each lane (no older pending event in the same lane): that is
what keeps an account's events in order, whichever relay sends them. ``lease`` is a
conditional UPDATE, so of two relays that see the same head exactly one sends it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from otpgate.adapters.storage.models import webhook_events
from otpgate.services.webhooks import PendingWebhook

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"


class SqlWebhookOutbox:
    """Implements ``services.webhooks.WebhookOutbox``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def due(self, now: datetime, limit: int) -> Sequence[PendingWebhook]:
        event = webhook_events.alias("event")
        older = webhook_events.alias("older")
        statement = (
            select(
                event.c.seq,
                event.c.id,
                event.c.lane,
                event.c.type,
                event.c.body,
                event.c.attempts,
                event.c.created_at,
            )
            .where(
                event.c.status == PENDING,
                event.c.next_attempt_at <= now,
                or_(event.c.lease_until.is_(None), event.c.lease_until <= now),
                ~exists().where(
                    older.c.status == PENDING,
                    older.c.lane == event.c.lane,
                    older.c.seq < event.c.seq,
                ),
            )
            .order_by(event.c.seq)
            .limit(limit)
        )
        async with self.engine.connect() as conn:
            result = await conn.execute(statement)
            return [
                PendingWebhook(
                    seq=row["seq"],
                    id=row["id"],
                    lane=row["lane"],
                    type=row["type"],
                    body=row["body"],
                    attempts=int(row["attempts"]),
                    created_at=row["created_at"],
                )
                for row in result.mappings()
            ]

    async def lease(self, seq: int, now: datetime, until: datetime) -> bool:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(webhook_events)
                .where(
                    webhook_events.c.seq == seq,
                    webhook_events.c.status == PENDING,
                    or_(
                        webhook_events.c.lease_until.is_(None), webhook_events.c.lease_until <= now
                    ),
                )
                .values(lease_until=until)
            )
            return bool(result.rowcount == 1)

    async def delivered(self, seq: int, now: datetime) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(webhook_events)
                .where(webhook_events.c.seq == seq)
                .values(
                    status=DELIVERED,
                    delivered_at=now,
                    lease_until=None,
                    attempts=webhook_events.c.attempts + 1,
                    last_error=None,
                )
            )

    async def retry(self, seq: int, attempts: int, next_attempt_at: datetime, error: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(webhook_events)
                .where(webhook_events.c.seq == seq)
                .values(
                    attempts=attempts,
                    next_attempt_at=next_attempt_at,
                    lease_until=None,
                    last_error=error[:300],
                )
            )

    async def give_up(self, seq: int, attempts: int, now: datetime, error: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(webhook_events)
                .where(webhook_events.c.seq == seq)
                .values(status=FAILED, attempts=attempts, lease_until=None, last_error=error[:300])
            )

    async def purge(self, delivered_before: datetime) -> int:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                delete(webhook_events).where(
                    webhook_events.c.status == DELIVERED,
                    webhook_events.c.delivered_at < delivered_before,
                )
            )
            return int(result.rowcount)

    async def backlog(self) -> int:
        """Events waiting for the receiver (for ``otpgate doctor``)."""
        async with self.engine.connect() as conn:
            result = await conn.execute(
                select(func.count())
                .select_from(webhook_events)
                .where(webhook_events.c.status == PENDING)
            )
            return int(result.scalar_one())
