"""The ``Messages`` port on SQL: the outbox row written in the caller's transaction."""

from __future__ import annotations

from sqlalchemy import insert

from otpgate.adapters.storage.base import Repository
from otpgate.adapters.storage.models import messages
from otpgate.services.storage import MessageRecord


class SqlMessages(Repository):
    async def add(self, record: MessageRecord) -> None:
        await self.conn.execute(
            insert(messages).values(
                id=record.id,
                channel=record.channel,
                challenge_id=record.challenge_id,
                to=record.to,
                body_redacted=record.body_redacted,
                purpose=record.purpose,
                status=record.status,
                attempts=0,
                created_at=record.created_at,
                updated_at=record.created_at,
                account_id=record.account_id,
                expires_at=record.expires_at,
                body_sealed=record.body_sealed,
            )
        )
