"""Engines: pooled asyncpg for PostgreSQL; aiosqlite with WAL and write-ahead locking for SQLite."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def make_engine(url: str, *, pool_size: int = 10, max_overflow: int = 10) -> AsyncEngine:
    """An engine for ``url`` (``sqlite+aiosqlite://`` or ``postgresql+asyncpg://``)."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        _sqlite_tuning(engine)
        return engine
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        # No pre-ping: it costs three round trips on every checkout. A connection the server
        # closed (a restart, a failover) is noticed locally instead (``_checkout``), and
        # recycling bounds how long any one connection lives.
        pool_recycle=1800,
        # A server coming back from a restart may take a connection and not answer for a
        # while; asyncpg would wait 60 s. Five seconds, then a 503 the client can retry.
        connect_args={"timeout": 5},
    )
    event.listen(engine.sync_engine, "checkout", _checkout)
    return engine


def _checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Refuse a pooled connection whose socket the server already closed: asyncpg knows it
    without a round trip, and the pool then retries with a fresh connection."""
    driver = getattr(dbapi_connection, "driver_connection", None)
    if driver is not None and driver.is_closed():
        raise exc.DisconnectionError("the server closed this connection")


def _sqlite_tuning(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # BEGIN IMMEDIATE takes the write lock up front: two deferred transactions that both
        # read and then write would otherwise fail with "database is locked" instead of waiting.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
