"""What every SQL repository shares: the open connection of its unit of work."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection


class Repository:
    """A repository works inside one transaction, on its unit of work's connection."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def _one(self, statement: Any) -> RowMapping | None:
        result = await self.conn.execute(statement)
        return result.mappings().first()

    async def _count(self, statement: Any) -> int:
        result = await self.conn.execute(statement)
        return int(result.rowcount)
