"""Real databases and Redis for tests: a migrated SQLite template, a throwaway PostgreSQL database.

PostgreSQL and Redis tests run when ``OTPGATE_TEST_DATABASE_URL`` / ``OTPGATE_TEST_REDIS_URL``
are set (CI sets them). With ``OTPGATE_TEST_REQUIRE_ALL=1`` a missing backend fails the run
instead of skipping, so CI can't go green without them.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from pathlib import Path

import pytest

from otpgate.adapters.storage.migrate import upgrade

TABLES = (
    "events, messages, devices, sessions, challenges, accounts, api_keys, idempotency_keys, "
    "signing_keys, number_pauses, webhook_events, oauth_clients, sign_in_returns, email_links,"
    " recoveries"
)


def require_all() -> bool:
    return os.environ.get("OTPGATE_TEST_REQUIRE_ALL") == "1"


def missing(what: str, variable: str) -> None:
    message = f"{what} tests need {variable} (CI sets it)"
    if require_all():
        pytest.fail(message + "; OTPGATE_TEST_REQUIRE_ALL=1 forbids skipping", pytrace=False)
    pytest.skip(message)


def postgres_server_url() -> str | None:
    return os.environ.get("OTPGATE_TEST_DATABASE_URL") or None


def redis_url() -> str | None:
    return os.environ.get("OTPGATE_TEST_REDIS_URL") or None


def _asyncpg_dsn(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


def create_postgres_database(server_url: str) -> str:
    """Create a fresh, migrated database on the server; return its SQLAlchemy URL."""
    url = create_empty_postgres_database(server_url)
    upgrade(url)
    return url


def drop_postgres_database(server_url: str, url: str) -> None:
    import asyncpg

    name = url.rsplit("/", 1)[1]

    async def drop() -> None:
        conn = await asyncpg.connect(_asyncpg_dsn(server_url))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(drop())


def make_sqlite_template(directory: Path) -> Path:
    path = directory / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


def sqlite_copy(template: Path, target_dir: Path) -> str:
    target = target_dir / "otpgate.db"
    shutil.copyfile(template, target)
    return f"sqlite+aiosqlite:///{target}"


def create_empty_postgres_database(server_url: str) -> str:
    """A fresh database with no schema at all (for migration tests); its SQLAlchemy URL."""
    import asyncpg

    name = "otpgate_test_" + secrets.token_hex(4)

    async def create() -> None:
        conn = await asyncpg.connect(_asyncpg_dsn(server_url))
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    base = server_url.rsplit("/", 1)[0]
    return f"{base}/{name}".replace("postgresql://", "postgresql+asyncpg://", 1)
