"""The ``Audit`` port on SQL: the security events of the audit trail."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from otpgate.adapters.storage import rows
from otpgate.adapters.storage.base import Repository
from otpgate.adapters.storage.models import events
from otpgate.domain.accounts import SecurityEvent


class SqlAudit(Repository):
    """The trail. In a unit of work (``buffered``) events wait and go in one multi-row INSERT
    when the work ends (or before the trail is read): a verify writes two or three events,
    and each would otherwise be a round trip of its own."""

    def __init__(self, conn: AsyncConnection, *, buffered: bool = False) -> None:
        super().__init__(conn)
        self.buffered = buffered
        self.pending: list[SecurityEvent] = []

    async def add(self, event: SecurityEvent) -> None:
        self.pending.append(event)
        if not self.buffered:
            await self.flush()

    async def flush(self) -> None:
        if self.pending:
            batch, self.pending = self.pending, []
            await self.conn.execute(insert(events), [rows.event_columns(e) for e in batch])

    async def list(
        self, account_id: str, limit: int, before_id: int | None = None
    ) -> Sequence[SecurityEvent]:
        await self.flush()
        statement = select(events).where(events.c.account_id == account_id)
        if before_id is not None:
            statement = statement.where(events.c.id < before_id)
        result = await self.conn.execute(statement.order_by(events.c.id.desc()).limit(limit))
        return [rows.event(row) for row in result.mappings()]
