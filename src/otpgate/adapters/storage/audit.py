"""The ``Audit`` port on SQL: the security events of the audit trail."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select

from otpgate.adapters.storage import rows
from otpgate.adapters.storage.base import Repository
from otpgate.adapters.storage.models import events
from otpgate.domain.accounts import SecurityEvent


class SqlAudit(Repository):
    async def add(self, event: SecurityEvent) -> None:
        await self.conn.execute(insert(events).values(**rows.event_columns(event)))

    async def list(
        self, account_id: str, limit: int, before_id: int | None = None
    ) -> Sequence[SecurityEvent]:
        statement = select(events).where(events.c.account_id == account_id)
        if before_id is not None:
            statement = statement.where(events.c.id < before_id)
        result = await self.conn.execute(statement.order_by(events.c.id.desc()).limit(limit))
        return [rows.event(row) for row in result.mappings()]
