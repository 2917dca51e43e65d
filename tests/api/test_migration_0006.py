"""0004 -> 0006 adds the factor tables next to a database in use, and goes back cleanly."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from otpgate.adapters.storage.migrate import alembic_config, upgrade
from tests.api.test_migration_0004 import empty_database  # noqa: F401 - the fixture

T0 = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
TABLES = {"factors", "backup_codes", "passkey_ceremonies"}


async def _run(url: str, statements: list[str]) -> list[Any]:
    engine = create_async_engine(url)
    out: list[Any] = []
    try:
        async with engine.begin() as conn:
            for statement in statements:
                result = await conn.execute(text(statement), {"t": T0})
                out.append(result.all() if result.returns_rows else None)
            names = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
            out.append(names)
    finally:
        await engine.dispose()
    return out


def test_the_factor_tables_come_and_go(empty_database: str) -> None:  # noqa: F811
    upgrade(empty_database, "0004")
    account = (
        "INSERT INTO accounts (id, name, email, phone, password_hash, phone_verified, created_at, "
        "code_fail_streak, code_lockouts) VALUES ('acc_1', 'Ada', 'ada@example.com', "
        "'+14155552671', 'h', true, :t, 0, 0)"
    )
    assert not TABLES & asyncio.run(_run(empty_database, [account]))[-1]
    upgrade(empty_database, "0006")
    seeded = asyncio.run(
        _run(
            empty_database,
            [
                "INSERT INTO factors (id, account_id, kind, label, status, created_at) VALUES "
                "('fac_1', 'acc_1', 'backup_codes', 'Backup codes', 'active', :t)",
                "INSERT INTO backup_codes (factor_id, digest) VALUES ('fac_1', 'd1')",
                "SELECT count(*) FROM accounts",
            ],
        )
    )
    assert seeded[2] == [(1,)] and seeded[-1] >= TABLES
    command.downgrade(alembic_config(empty_database), "0004")
    after = asyncio.run(_run(empty_database, ["SELECT count(*) FROM accounts"]))
    assert after[0] == [(1,)] and not TABLES & after[-1]
