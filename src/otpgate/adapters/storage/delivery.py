"""The ``DeliveryLedger`` port on SQLAlchemy Core: message status and the attempts table.

Every move is ``UPDATE ... WHERE status = <expected>``: of two processes racing for a message,
the one whose update matched a row owns it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from otpgate.adapters.storage.audit import SqlAudit
from otpgate.adapters.storage.models import message_attempts, messages
from otpgate.domain.accounts import SecurityEvent
from otpgate.domain.delivery import IN_FLIGHT, AttemptOutcome, DeliveryStatus
from otpgate.services.ledger import Claimed, LastAttempt, Receipt

_QUEUED = DeliveryStatus.QUEUED.value
_SENDING = DeliveryStatus.SENDING.value
_CLAIM_COLUMNS = (
    messages.c.id,
    messages.c.channel,
    messages.c.to,
    messages.c.purpose,
    messages.c.created_at,
    messages.c.expires_at,
    messages.c.body_sealed,
    messages.c.challenge_id,
    messages.c.account_id,
    messages.c.attempts,
    messages.c.rounds,
)


def _claimed(row: RowMapping) -> Claimed:
    return Claimed(
        id=row["id"],
        channel=row["channel"],
        to=row["to"],
        purpose=row["purpose"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        body_sealed=row["body_sealed"],
        challenge_id=row["challenge_id"],
        account_id=row["account_id"],
        attempts=int(row["attempts"] or 0),
        rounds=int(row["rounds"] or 0),
    )


def _clip(text: str | None, size: int) -> str | None:
    return None if text is None else text[:size]


class SqlDeliveryLedger:
    """Implements ``services.ledger.DeliveryLedger``."""

    def __init__(self, engine: AsyncEngine, *, webhooks: bool = False) -> None:
        self.engine = engine
        # Events written here (sms.failed) go to the event webhooks too, like every event.
        self.webhooks = webhooks

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.begin() as conn:
            yield conn

    async def _one(self, conn: AsyncConnection, statement: Any) -> RowMapping | None:
        return (await conn.execute(statement)).mappings().first()

    async def claim(self, message_id: str, now: datetime) -> Claimed | None:
        async with self._tx() as conn:
            row = await self._one(
                conn,
                update(messages)
                .where(messages.c.id == message_id, messages.c.status == _QUEUED)
                .values(status=_SENDING, updated_at=now)
                .returning(*_CLAIM_COLUMNS),
            )
        return _claimed(row) if row else None

    async def reclaim_stale(
        self, message_id: str, now: datetime, stale_before: datetime
    ) -> tuple[Claimed, LastAttempt | None] | None:
        async with self._tx() as conn:
            row = await self._one(
                conn,
                update(messages)
                .where(
                    messages.c.id == message_id,
                    messages.c.status == _SENDING,
                    messages.c.updated_at < stale_before,
                )
                .values(updated_at=now)
                .returning(*_CLAIM_COLUMNS),
            )
            if row is None:
                return None
            last = await self._one(
                conn,
                select(
                    message_attempts.c.id, message_attempts.c.provider, message_attempts.c.outcome
                )
                .where(message_attempts.c.message_id == message_id)
                .order_by(message_attempts.c.number.desc(), message_attempts.c.id.desc())
                .limit(1),
            )
        attempt = (
            LastAttempt(last["id"], last["provider"], AttemptOutcome(last["outcome"]))
            if last
            else None
        )
        return _claimed(row), attempt

    async def start_attempt(
        self, message_id: str, number: int, provider: str, now: datetime
    ) -> int:
        async with self._tx() as conn:
            result = await conn.execute(
                insert(message_attempts)
                .values(
                    message_id=message_id,
                    number=number,
                    provider=provider,
                    outcome=AttemptOutcome.SENDING.value,
                    started_at=now,
                )
                .returning(message_attempts.c.id)
            )
            attempt_id = int(result.scalar_one())
            await conn.execute(
                update(messages)
                .where(messages.c.id == message_id)
                .values(provider=provider, attempts=number, updated_at=now)
            )
        return attempt_id

    async def end_attempt(
        self, attempt_id: int, outcome: AttemptOutcome, now: datetime, error: str | None = None
    ) -> None:
        async with self._tx() as conn:
            await self._end_attempt(conn, attempt_id, outcome, now, error)

    async def _end_attempt(
        self,
        conn: AsyncConnection,
        attempt_id: int,
        outcome: AttemptOutcome,
        now: datetime,
        error: str | None,
        provider_message_id: str | None = None,
    ) -> None:
        await conn.execute(
            update(message_attempts)
            .where(message_attempts.c.id == attempt_id)
            .values(
                outcome=outcome.value,
                finished_at=now,
                error=_clip(error, 300),
                provider_message_id=_clip(provider_message_id, 100),
            )
        )

    async def sent(
        self,
        message_id: str,
        attempt_id: int,
        provider: str,
        provider_message_id: str,
        now: datetime,
    ) -> None:
        async with self._tx() as conn:
            await self._end_attempt(
                conn, attempt_id, AttemptOutcome.SENT, now, None, provider_message_id
            )
            await conn.execute(
                update(messages)
                .where(messages.c.id == message_id, messages.c.status == _SENDING)
                .values(
                    status=DeliveryStatus.SENT.value,
                    provider=provider,
                    provider_message_id=provider_message_id[:100],
                    sent_at=now,
                    updated_at=now,
                    body_sealed=None,
                    error=None,
                    next_attempt_at=None,
                )
            )

    async def finish(
        self,
        message_id: str,
        status: DeliveryStatus,
        now: datetime,
        *,
        error: str | None,
        event: SecurityEvent | None,
        attempt: tuple[int, AttemptOutcome] | None = None,
        rounds: int | None = None,
    ) -> bool:
        values: dict[str, Any] = {
            "status": status.value,
            "finished_at": now,
            "updated_at": now,
            "body_sealed": None,
            "error": _clip(error, 300),
            "next_attempt_at": None,
        }
        if rounds is not None:
            values["rounds"] = rounds
        async with self._tx() as conn:
            result = await conn.execute(
                update(messages)
                .where(
                    messages.c.id == message_id,
                    messages.c.status.in_([status.value for status in IN_FLIGHT]),
                )
                .values(**values)
            )
            if result.rowcount != 1:
                return False
            if attempt is not None:
                await self._end_attempt(conn, attempt[0], attempt[1], now, error)
            if event is not None:
                await SqlAudit(conn, self.webhooks).add(event)
        return True

    async def requeue(
        self, message_id: str, rounds: int, next_attempt_at: datetime, now: datetime, error: str
    ) -> None:
        async with self._tx() as conn:
            await conn.execute(
                update(messages)
                .where(messages.c.id == message_id, messages.c.status == _SENDING)
                .values(
                    status=_QUEUED,
                    rounds=rounds,
                    next_attempt_at=next_attempt_at,
                    updated_at=now,
                    error=_clip(error, 300),
                )
            )

    async def due(self, now: datetime, queued_before: datetime, limit: int) -> Sequence[str]:
        turn = func.coalesce(messages.c.next_attempt_at, messages.c.updated_at)
        async with self.engine.connect() as conn:
            result = await conn.execute(
                select(messages.c.id)
                .where(messages.c.status == _QUEUED, turn < queued_before)
                .order_by(messages.c.created_at)
                .limit(limit)
            )
            return [str(value) for value in result.scalars()]

    async def stale(self, stale_before: datetime, limit: int) -> Sequence[str]:
        async with self.engine.connect() as conn:
            result = await conn.execute(
                select(messages.c.id)
                .where(
                    messages.c.status == _SENDING,
                    messages.c.updated_at < stale_before,
                )
                .order_by(messages.c.updated_at)
                .limit(limit)
            )
            return [str(value) for value in result.scalars()]

    async def receipt(
        self,
        provider: str,
        provider_message_id: str,
        status: DeliveryStatus,
        now: datetime,
        error: str | None,
    ) -> Receipt | None:
        async with self._tx() as conn:
            row = await self._one(
                conn,
                update(messages)
                .where(
                    messages.c.provider == provider,
                    messages.c.provider_message_id == provider_message_id,
                    messages.c.status == DeliveryStatus.SENT.value,
                )
                .values(
                    status=status.value, finished_at=now, updated_at=now, error=_clip(error, 300)
                )
                .returning(
                    messages.c.id,
                    messages.c.sent_at,
                    messages.c.account_id,
                    messages.c.challenge_id,
                ),
            )
        if row is None:
            return None
        return Receipt(
            message_id=row["id"],
            provider=provider,
            status=status,
            sent_at=row["sent_at"],
            account_id=row["account_id"],
            challenge_id=row["challenge_id"],
        )

    async def add_event(self, event: SecurityEvent) -> None:
        async with self._tx() as conn:
            await SqlAudit(conn, self.webhooks).add(event)
