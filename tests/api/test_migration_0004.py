"""Upgrading a database in use: 0003 -> 0004 keeps every message, attempt and challenge, and
names each challenge's subject (the outbox table is rebuilt as ``messages``)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from otpgate.adapters.storage.migrate import upgrade
from tests import backends

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def empty_database(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        return
    server = backends.postgres_server_url()
    assert server is not None
    url = backends.create_empty_postgres_database(server)
    yield url
    backends.drop_postgres_database(server, url)


SEED = [
    "INSERT INTO accounts (id, name, email, phone, password_hash, phone_verified, created_at, "
    "code_fail_streak, code_lockouts) VALUES ('acc_1', 'Ada', 'ada@example.com', '+14155552671', "
    "'h', true, :t, 0, 0)",
    # an account's own sign-in, a decoy and a takeover (as 0003 spelled them)
    "INSERT INTO challenges (id, account_id, purpose, status, destination, code_digest, attempts, "
    "max_attempts, sends, created_at, expires_at, last_sent_at, remember_device) VALUES "
    "('ch_own', 'acc_1', 'sign_in', 'pending', '+14155552671', 'd', 0, 5, 1, :t, :t, :t, false)",
    "INSERT INTO challenges (id, account_id, purpose, status, destination, code_digest, attempts, "
    "max_attempts, sends, created_at, expires_at, last_sent_at, remember_device) VALUES "
    "('ch_decoy', NULL, 'verify_phone', 'pending', '+14155552672', 'd', 0, 5, 1, :t, :t, :t, "
    "false)",
    "INSERT INTO challenges (id, account_id, purpose, status, destination, code_digest, attempts, "
    "max_attempts, sends, created_at, expires_at, last_sent_at, remember_device, action_type, "
    "action_payload) VALUES ('ch_take', NULL, 'verify_phone', 'pending', '+14155552673', 'd', 0, "
    "5, 1, :t, :t, :t, false, 'replace_unconfirmed', '{\"account_id\":\"acc_1\"}')",
    'INSERT INTO sms_messages (id, challenge_id, "to", body_redacted, purpose, status, attempts, '
    "created_at, updated_at, rounds, provider, provider_message_id) VALUES ('sms_1', 'ch_own', "
    "'+14155552671', '•••••• is your code', 'sign_in', 'sent', 1, :t, :t, 0, 'twilio', 'SM1')",
    "INSERT INTO sms_attempts (message_id, number, provider, outcome, started_at) VALUES "
    "('sms_1', 1, 'twilio', 'sent', :t)",
]


def test_upgrade_keeps_messages_and_names_subjects(empty_database: str) -> None:
    upgrade(empty_database, "0003")
    asyncio.run(_run(empty_database, SEED))
    upgrade(empty_database)

    async def check() -> None:
        engine = create_async_engine(empty_database)
        try:
            async with engine.begin() as conn:
                rows = (
                    await conn.execute(text("SELECT id, subject, action_type FROM challenges"))
                ).all()
                assert sorted(tuple(r) for r in rows) == [
                    ("ch_decoy", "decoy", None),
                    ("ch_own", "account", None),
                    ("ch_take", "takeover", None),
                ]
                message = (
                    await conn.execute(
                        text(
                            "SELECT id, channel, challenge_id, status, provider_message_id "
                            "FROM messages"
                        )
                    )
                ).one()
                assert tuple(message) == ("sms_1", "sms", "ch_own", "sent", "SM1")
                attempt = (
                    await conn.execute(text("SELECT id, message_id, outcome FROM message_attempts"))
                ).one()
                assert tuple(attempt)[1:] == ("sms_1", "sent")
                # New attempts continue after the copied ids.
                await conn.execute(
                    text(
                        "INSERT INTO message_attempts (message_id, number, provider, outcome, "
                        "started_at) VALUES ('sms_1', 2, 'twilio', 'sent', :t)"
                    ),
                    {"t": T0},
                )
                ids = (await conn.execute(text("SELECT id FROM message_attempts"))).scalars().all()
                assert len(set(ids)) == 2
                tables = set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
                assert "sms_messages" not in tables and "sms_attempts" not in tables
        finally:
            await engine.dispose()

    asyncio.run(check())


async def _run(url: str, statements: list[str]) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            for statement in statements:
                await conn.execute(text(statement), {"t": T0} if ":t" in statement else {})
    finally:
        await engine.dispose()
