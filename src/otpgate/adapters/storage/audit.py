"""The ``Audit`` port on SQL: the security events of the audit trail.

With event webhooks on (``OTPGATE_EVENTS_WEBHOOK_URL``), every event is also written to the
webhooks' outbox (``webhook_events``) in the same statement batch and transaction: an event
that is in the trail is on its way to the receiver, and one rolled back is in neither. This is
the one place every event passes (services, the rate-limit watcher, delivery), so none is
missed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from otpgate.adapters.storage import rows
from otpgate.adapters.storage.base import Repository
from otpgate.adapters.storage.models import events, webhook_events
from otpgate.domain.accounts import SecurityEvent
from otpgate.domain.actions import canonical_json
from otpgate.domain.tokens import new_id
from otpgate.domain.webhook_events import webhook_body

PENDING = "pending"
DRIVER_INSERT = (
    "INSERT INTO events (account_id, type, outcome, ip, user_agent, details, created_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7)"
)


class SqlAudit(Repository):
    """The trail. In a unit of work (``buffered``) events wait and go in one multi-row INSERT
    when the work ends (or before the trail is read): a verify writes two or three events,
    and each would otherwise be a round trip of its own. With ``webhooks`` the same batch
    goes to the webhooks' outbox too."""

    def __init__(
        self,
        conn: AsyncConnection,
        webhooks: bool = False,
        *,
        buffered: bool = False,
        driver: Any = None,
    ) -> None:
        super().__init__(conn, driver)
        self.webhooks = webhooks
        self.buffered = buffered
        self.pending: list[SecurityEvent] = []

    async def add(self, event: SecurityEvent) -> None:
        self.pending.append(event)
        if not self.buffered:
            await self.flush()

    async def flush(self) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        if self.driver is not None and not self.webhooks:
            # One pipelined round trip, without SQLAlchemy's per-row processing.
            await self.driver.executemany(DRIVER_INSERT, [_driver_row(e) for e in batch])
            return
        await self.conn.execute(insert(events), [rows.event_columns(e) for e in batch])
        if self.webhooks:
            await self.conn.execute(insert(webhook_events), [_outbox_row(e) for e in batch])

    async def list(
        self, account_id: str, limit: int, before_id: int | None = None
    ) -> Sequence[SecurityEvent]:
        await self.flush()
        statement = select(events).where(events.c.account_id == account_id)
        if before_id is not None:
            statement = statement.where(events.c.id < before_id)
        result = await self.conn.execute(statement.order_by(events.c.id.desc()).limit(limit))
        return [rows.event(row) for row in result.mappings()]


def _outbox_row(event: SecurityEvent) -> dict[str, object]:
    event_id = new_id("evt")
    at = event.created_at or datetime.now(UTC)
    return {
        "id": event_id,
        "lane": event.account_id or "",
        "type": event.type.value,
        # The exact bytes every attempt sends: a retry is the same message.
        "body": canonical_json(webhook_body(event_id, event)),
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": at,
        "created_at": at,
    }


def _driver_row(event: SecurityEvent) -> tuple[object, ...]:
    values = rows.event_columns(event)
    return (
        values["account_id"],
        values["type"],
        values["outcome"],
        values["ip"],
        values["user_agent"],
        json.dumps(values["details"]),  # a json column: asyncpg takes its text
        values["created_at"],
    )
