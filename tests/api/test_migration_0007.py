"""Upgrading a database in use: 0004 -> 0007 makes step-up summaries unlimited (S42) and
keeps every message linked to its challenge (SQLite copies the table to change a type)."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from otpgate.adapters.storage.migrate import upgrade
from tests.api.test_migration_0004 import T0, _run, empty_database

__all__ = ["empty_database"]

SEED = [
    "INSERT INTO accounts (id, name, email, phone, password_hash, phone_verified, created_at, "
    "code_fail_streak, code_lockouts) VALUES ('acc_1', 'Ada', 'ada@example.com', '+14155552671', "
    "'h', true, :t, 0, 0)",
    "INSERT INTO challenges (id, account_id, purpose, status, destination, code_digest, attempts, "
    "max_attempts, sends, created_at, expires_at, last_sent_at, remember_device, subject, "
    "action_summary) VALUES ('ch_own', 'acc_1', 'step_up', 'pending', '+14155552671', 'd', 0, 5, "
    "1, :t, :t, :t, false, 'account', 'Change your name to \"Ada King\"')",
    'INSERT INTO messages (id, channel, challenge_id, "to", body_redacted, purpose, status, '
    "attempts, created_at, updated_at, rounds) VALUES ('msg_1', 'sms', 'ch_own', "
    "'+14155552671', '•••••• is your code', 'step_up', 'sent', 1, :t, :t, 0)",
]


def test_upgrade_widens_summaries_and_keeps_message_links(empty_database: str) -> None:
    """S42: a summary is stored whole, however long."""
    upgrade(empty_database, "0004")
    asyncio.run(_run(empty_database, SEED))
    upgrade(empty_database)
    long_summary = "Change your name to " + "N" * 1000
    asyncio.run(
        _run(
            empty_database,
            [f"UPDATE challenges SET action_summary = '{long_summary}' WHERE id = 'ch_own'"],
        )
    )

    async def check() -> None:
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(empty_database)
        try:
            async with engine.connect() as conn:
                link = (await conn.execute(text("SELECT challenge_id FROM messages"))).scalar()
                assert link == "ch_own"
                stored = (
                    await conn.execute(text("SELECT action_summary FROM challenges"))
                ).scalar()
                assert stored == long_summary
        finally:
            await engine.dispose()

    asyncio.run(check())
    assert T0.year == 2026
