"""What every SQL repository shares: the open connection of its unit of work."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection


class Repository:
    """A repository works inside one transaction, on its unit of work's connection."""

    def __init__(self, conn: AsyncConnection, driver: Any = None) -> None:
        self.conn = conn
        # The asyncpg connection itself, when the unit of work autocommits on PostgreSQL: the
        # hottest statements skip SQLAlchemy's machinery there (see unit_of_work.py).
        self.driver = driver

    async def _one(self, statement: Any) -> RowMapping | None:
        result = await self.conn.execute(statement)
        return result.mappings().first()

    async def _count(self, statement: Any) -> int:
        result = await self.conn.execute(statement)
        return int(result.rowcount)
