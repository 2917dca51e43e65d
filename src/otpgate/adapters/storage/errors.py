"""What a database failure means to a caller: gone for now (503), or a bug (500).

Drivers say "the database is not there" in many ways: a refused or reset connection, a
server shutting down or starting up (PostgreSQL restarts), a pool that timed out, SQLite's
lock wait running out or its disk filling up. Each is temporary and changes nothing (the
transaction rolled back); the web layer answers them as ``Unavailable`` (503 problem
details) instead of an internal error.
"""

from __future__ import annotations

import sqlite3

from asyncpg import exceptions as pg
from sqlalchemy import exc as sa

_UNAVAILABLE: tuple[type[BaseException], ...] = (
    sa.OperationalError,
    sa.InterfaceError,
    sa.DisconnectionError,
    sa.TimeoutError,  # no pooled connection came free in time
    pg.PostgresConnectionError,
    pg.OperatorInterventionError,  # admin shutdown, crash shutdown, cannot connect now
    pg.InterfaceError,
    # A connection left mid-operation (a statement cut off by a dropped server or a
    # cancellation): that connection is broken, not the request.
    pg.InternalClientError,
    ConnectionError,
    TimeoutError,
)
# SQLite says everything as OperationalError: only these mean "not now" (a missing table
# means a database nobody migrated, which is a bug to see, not a 503).
_SQLITE_TEMPORARY = ("locked", "busy", "unable to open", "disk i/o", "disk is full")


def storage_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) says the database can't be reached right now."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, sqlite3.Error):
            return any(word in str(current).lower() for word in _SQLITE_TEMPORARY)
        if isinstance(current, sa.DBAPIError) and isinstance(current.orig, sqlite3.Error):
            pending.append(current.orig)
            continue
        if isinstance(current, _UNAVAILABLE):
            return True
        if isinstance(current, sa.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, OSError) and not isinstance(current, FileNotFoundError):
            return True  # connect() refused, unreachable host, reset by peer
        pending += [getattr(current, "orig", None), current.__cause__]
    return False
