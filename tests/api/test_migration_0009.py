"""Upgrading a database in use: 0007 -> 0009 widens ``messages.to`` for email addresses and
keeps every message's attempts (SQLite copies the table to change a type; its cascade would
drop them), and existing accounts start with an unproven address."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from otpgate.adapters.storage.migrate import upgrade
from tests.api.test_migration_0004 import _run, empty_database

__all__ = ["empty_database"]

SEED = [
    "INSERT INTO accounts (id, name, email, phone, password_hash, phone_verified, created_at, "
    "code_fail_streak, code_lockouts) VALUES ('acc_1', 'Ada', 'ada@example.com', '+14155552671', "
    "'h', true, :t, 0, 0)",
    "INSERT INTO sessions (id, account_id, token_hash, created_at, last_seen_at, expires_at) "
    "VALUES ('ses_1', 'acc_1', 'th', :t, :t, :t)",
    'INSERT INTO messages (id, channel, "to", body_redacted, purpose, status, '
    "attempts, created_at, updated_at, rounds) VALUES ('msg_1', 'sms', "
    "'+14155552671', 'notice', 'notice', 'sent', 1, :t, :t, 0)",
    "INSERT INTO message_attempts (message_id, number, provider, outcome, started_at) "
    "VALUES ('msg_1', 1, 'outbox', 'sent', :t)",
]


def test_upgrade_keeps_attempts_and_accounts_start_unproven(empty_database: str) -> None:
    upgrade(empty_database, "0007")
    asyncio.run(_run(empty_database, SEED))
    upgrade(empty_database)

    async def check() -> None:
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(empty_database)
        try:
            async with engine.connect() as conn:
                attempts = (
                    await conn.execute(text("SELECT count(*) FROM message_attempts"))
                ).scalar()
                assert attempts == 1
                verified = (
                    await conn.execute(text("SELECT email_verified FROM accounts"))
                ).scalar()
                assert not verified
                # Nothing that points at an account was dropped with a copy of its table.
                sessions = (await conn.execute(text("SELECT count(*) FROM sessions"))).scalar()
                assert sessions == 1
        finally:
            await engine.dispose()

    asyncio.run(check())
