"""Stores for the contract tests: in memory, on a migrated SQLite copy, on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from otpgate.adapters.storage.delivery import SqlDeliveryLedger
from otpgate.adapters.storage.engine import make_engine
from otpgate.adapters.storage.unit_of_work import SqlStore
from otpgate.services.ledger import DeliveryLedger
from otpgate.services.storage import Store
from tests import backends
from tests.fakes.ledger import MemoryLedger
from tests.fakes.storage import MemoryStore

ALL_TABLES = (
    "message_attempts, events, messages, devices, sessions, challenges, payment_methods, "
    "addresses, accounts, api_keys, idempotency_keys, number_pauses, signing_keys"
)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """Where the store lives (None: in memory). Resolved outside the event loop, since
    migrating the SQLite template runs a loop of its own."""
    if request.param == "memory":
        return None
    if request.param == "sqlite":
        return backends.sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path)
    url: str | None = request.getfixturevalue("postgres_url")
    if url is None:
        backends.missing("PostgreSQL", "OTPGATE_TEST_DATABASE_URL")
    return url


@pytest.fixture
async def uow_store(store_url: str | None) -> AsyncIterator[Store]:
    """An empty store; on PostgreSQL the session database, truncated (ids restart at 1)."""
    if store_url is None:
        yield MemoryStore()
        return
    engine = make_engine(store_url, pool_size=8, max_overflow=0)
    if store_url.startswith("postgresql"):
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {ALL_TABLES} RESTART IDENTITY CASCADE"))
    try:
        yield SqlStore(engine)
    finally:
        await engine.dispose()


@pytest.fixture
def ledger(uow_store: Store) -> DeliveryLedger:
    """The delivery ledger over the same rows as ``uow_store``."""
    if isinstance(uow_store, MemoryStore):
        return MemoryLedger(uow_store)
    assert isinstance(uow_store, SqlStore)
    return SqlDeliveryLedger(uow_store.engine)
