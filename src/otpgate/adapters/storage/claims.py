"""Claiming an attempt: the one statement every answer to a challenge starts with.

It spends an attempt of the challenge and counts the answer toward its account's streak, or
does neither: when the challenge can't take an answer, or the account's codes are paused.
On PostgreSQL that is one statement that locks the account row first (``FOR UPDATE``), so
concurrent claims on any of the account's challenges, from any number of processes, queue on
that row and each sees the streak and the pause the previous one left (S43). SQLite runs
every write transaction alone (``BEGIN IMMEDIATE``), so two plain statements are as atomic.

The lock order is account, then challenge; whatever else writes both must take them in the
same order (see ``Verifier``: the streak is reset before the challenge is approved).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, bindparam, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from otpgate.adapters.storage import rows
from otpgate.adapters.storage.models import UTCDateTime, accounts, challenges
from otpgate.domain.challenges import Purpose, Status
from otpgate.domain.policy import MAX_DOUBLINGS, StreakRule
from otpgate.services.storage import Claim

CLAIM_SQL = """
WITH target AS (
    SELECT c.id, c.account_id FROM challenges c
    WHERE c.id = :challenge_id AND c.status = 'pending' AND c.attempts < c.max_attempts
      AND c.expires_at > :now AND (c.purpose <> 'step_up' OR c.session_id = :session_id)
      AND CASE WHEN c.purpose = 'verify' OR CAST(:api_key_id AS text) IS NOT NULL
          THEN c.purpose = 'verify' AND c.api_key_id = CAST(:api_key_id AS text) ELSE true END
),
account AS (
    SELECT a.id, a.code_locked_until FROM accounts a
    WHERE a.id = (SELECT account_id FROM target)
    FOR UPDATE
),
open AS (
    SELECT t.id FROM target t
    WHERE NOT EXISTS (SELECT 1 FROM account a WHERE a.code_locked_until > :now)
),
claimed AS (
    UPDATE challenges c SET attempts = c.attempts + 1
    FROM open o
    WHERE c.id = o.id AND c.status = 'pending' AND c.attempts < c.max_attempts
      AND c.expires_at > :now
    RETURNING c.*
),
counted AS (
    UPDATE accounts a SET
        code_fail_streak = CASE WHEN a.code_fail_streak + 1 >= :limit
            THEN 0 ELSE a.code_fail_streak + 1 END,
        code_lockouts = a.code_lockouts
            + CASE WHEN a.code_fail_streak + 1 >= :limit THEN 1 ELSE 0 END,
        code_locked_until = CASE WHEN a.code_fail_streak + 1 >= :limit
            THEN :now + (CAST(:pauses AS integer[]))[LEAST(a.code_lockouts, :doublings) + 1]
                * interval '1 second'
            ELSE a.code_locked_until END
    FROM claimed c WHERE a.id = c.account_id
    RETURNING CASE WHEN a.code_fail_streak = 0 THEN a.code_locked_until END AS pause_started
)
SELECT claimed.*,
    (SELECT pause_started FROM counted) AS pause_started,
    (SELECT code_locked_until FROM account WHERE code_locked_until > :now) AS paused_until
FROM (SELECT 1) AS one LEFT JOIN claimed ON true
"""
_POSTGRES_CLAIM = (
    text(CLAIM_SQL)
    .bindparams(
        bindparam("now", type_=UTCDateTime),
        bindparam("pauses", type_=ARRAY(Integer)),
    )
    .columns(
        *challenges.c,
        pause_started=UTCDateTime,
        paused_until=UTCDateTime,
    )
)
# The same statement for the driver itself (asyncpg's numbered parameters).
_NAMES = ("challenge_id", "now", "session_id", "api_key_id", "limit", "pauses", "doublings")
DRIVER_CLAIM_SQL = CLAIM_SQL
for _number, _name in enumerate(_NAMES, start=1):
    DRIVER_CLAIM_SQL = DRIVER_CLAIM_SQL.replace(f":{_name}", f"${_number}")


async def claim_on_postgres(
    conn: AsyncConnection,
    challenge_id: str,
    now: datetime,
    session_id: str | None,
    api_key_id: str | None,
    streak: StreakRule,
) -> Claim:
    result = await conn.execute(
        _POSTGRES_CLAIM,
        {
            "challenge_id": challenge_id,
            "now": now,
            "session_id": session_id,
            "api_key_id": api_key_id,
            "limit": streak.limit,
            "pauses": list(streak.pauses),
            "doublings": MAX_DOUBLINGS,
        },
    )
    return _claim_of(result.mappings().one())


def _claim_of(row: Any) -> Claim:
    """The claim statement's one row (a SQLAlchemy mapping or an asyncpg record)."""
    if row["id"] is None:
        return Claim(None, paused_until=row["paused_until"])
    return Claim(rows.challenge(row), pause_started=row["pause_started"])


async def claim_in_steps(
    conn: AsyncConnection,
    challenge_id: str,
    now: datetime,
    session_id: str | None,
    api_key_id: str | None,
    streak: StreakRule,
) -> Claim:
    """The same claim as reads and conditional updates, for a database that runs each write
    transaction alone (SQLite)."""
    current = (
        (await conn.execute(select(challenges).where(challenges.c.id == challenge_id)))
        .mappings()
        .first()
    )
    if current is None or not _owned(current, session_id, api_key_id):
        return Claim(None)
    account = None
    if current["account_id"] is not None:
        account = (
            (await conn.execute(select(accounts).where(accounts.c.id == current["account_id"])))
            .mappings()
            .first()
        )
    paused_until = account["code_locked_until"] if account is not None else None
    if paused_until is not None and paused_until > now:
        return Claim(None, paused_until=paused_until)
    claimed = (
        (
            await conn.execute(
                update(challenges)
                .where(
                    challenges.c.id == challenge_id,
                    challenges.c.status == Status.PENDING.value,
                    challenges.c.attempts < challenges.c.max_attempts,
                    challenges.c.expires_at > now,
                )
                .values(attempts=challenges.c.attempts + 1)
                .returning(*challenges.c)
            )
        )
        .mappings()
        .first()
    )
    if claimed is None:
        return Claim(None)
    if account is None:
        return Claim(rows.challenge(claimed))
    outcome = streak.after(account["code_fail_streak"], account["code_lockouts"], now)
    await conn.execute(
        update(accounts)
        .where(accounts.c.id == account["id"])
        .values(
            code_fail_streak=outcome.streak,
            code_lockouts=outcome.lockouts,
            code_locked_until=outcome.locked_until or account["code_locked_until"],
        )
    )
    return Claim(rows.challenge(claimed), pause_started=outcome.locked_until)


def _owned(row: RowMapping, session_id: str | None, api_key_id: str | None) -> bool:
    """What ``services.challenges.ensure_owner`` says, as the claim's condition."""
    purpose: str = row["purpose"]
    if purpose == Purpose.VERIFY.value or api_key_id is not None:
        return purpose == Purpose.VERIFY.value and bool(row["api_key_id"] == api_key_id)
    return purpose != Purpose.STEP_UP.value or bool(row["session_id"] == session_id)


async def claim_with_driver(
    driver: Any,
    challenge_id: str,
    now: datetime,
    session_id: str | None,
    api_key_id: str | None,
    streak: StreakRule,
) -> Claim:
    """``claim_on_postgres`` straight on the asyncpg connection of an autocommitting unit of
    work: every code check runs it, and SQLAlchemy's statement machinery was most of its
    CPU (the SQL is the same, and asyncpg prepares it once per connection)."""
    row = await driver.fetchrow(
        DRIVER_CLAIM_SQL,
        challenge_id,
        now,
        session_id,
        api_key_id,
        streak.limit,
        list(streak.pauses),
        MAX_DOUBLINGS,
    )
    return _claim_of(row)
