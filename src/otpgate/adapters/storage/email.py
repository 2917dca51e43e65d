"""The ``EmailLinks`` and ``Recoveries`` ports on SQL (services/email_storage.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from otpgate.adapters.storage.base import Repository
from otpgate.adapters.storage.models import email_links, recoveries
from otpgate.services.email_storage import (
    OPEN_RECOVERY,
    EmailLink,
    LinkPurpose,
    Recovery,
    RecoveryChanges,
    RecoveryStatus,
)


def _link(row: Mapping[Any, Any]) -> EmailLink:
    return EmailLink(
        id=row["id"],
        account_id=row["account_id"],
        purpose=LinkPurpose(row["purpose"]),
        token_hash=row["token_hash"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        email=row["email"],
        target_id=row["target_id"],
        channel=row["channel"],
        used_at=row["used_at"],
    )


def _recovery(row: Mapping[Any, Any]) -> Recovery:
    return Recovery(
        id=row["id"],
        account_id=row["account_id"],
        status=RecoveryStatus(row["status"]),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        ready_at=row["ready_at"],
        ended_at=row["ended_at"],
        ended_by=row["ended_by"],
        challenge_id=row["challenge_id"],
    )


class SqlEmailLinks(Repository):
    async def add(self, link: EmailLink) -> None:
        await self.conn.execute(
            insert(email_links).values(
                id=link.id,
                account_id=link.account_id,
                purpose=link.purpose.value,
                token_hash=link.token_hash,
                email=link.email,
                target_id=link.target_id,
                channel=link.channel,
                created_at=link.created_at,
                expires_at=link.expires_at,
            )
        )

    def _usable(self, token_hash: str, purpose: LinkPurpose, now: datetime) -> Any:
        return (
            (email_links.c.token_hash == token_hash)
            & (email_links.c.purpose == purpose.value)
            & email_links.c.used_at.is_(None)
            & (email_links.c.expires_at > now)
        )

    async def find(self, token_hash: str, purpose: LinkPurpose, now: datetime) -> EmailLink | None:
        row = await self._one(select(email_links).where(self._usable(token_hash, purpose, now)))
        return _link(row) if row else None

    async def take(self, token_hash: str, purpose: LinkPurpose, now: datetime) -> EmailLink | None:
        # One conditional update: of two clicks racing, one spends the link, the other finds
        # nothing (kratos' one-time secrets).
        row = await self._one(
            update(email_links)
            .where(self._usable(token_hash, purpose, now))
            .values(used_at=now)
            .returning(*email_links.c)
        )
        return _link(row) if row else None

    async def void(self, account_id: str, purpose: LinkPurpose, now: datetime) -> None:
        await self.conn.execute(
            update(email_links)
            .where(
                (email_links.c.account_id == account_id)
                & (email_links.c.purpose == purpose.value)
                & email_links.c.used_at.is_(None)
            )
            .values(used_at=now)
        )

    async def void_target(self, target_id: str, now: datetime) -> None:
        await self.conn.execute(
            update(email_links)
            .where((email_links.c.target_id == target_id) & email_links.c.used_at.is_(None))
            .values(used_at=now)
        )


class SqlRecoveries(Repository):
    async def add(self, recovery: Recovery) -> None:
        await self.conn.execute(
            insert(recoveries).values(
                id=recovery.id,
                account_id=recovery.account_id,
                status=recovery.status.value,
                created_at=recovery.created_at,
                expires_at=recovery.expires_at,
                ready_at=recovery.ready_at,
            )
        )

    async def get(self, recovery_id: str) -> Recovery | None:
        row = await self._one(select(recoveries).where(recoveries.c.id == recovery_id))
        return _recovery(row) if row else None

    async def open_for(self, account_id: str, now: datetime) -> Recovery | None:
        row = await self._one(
            select(recoveries)
            .where(
                (recoveries.c.account_id == account_id)
                & recoveries.c.status.in_([status.value for status in OPEN_RECOVERY])
                & (recoveries.c.expires_at > now)
            )
            .order_by(recoveries.c.created_at.desc())
        )
        return _recovery(row) if row else None

    async def move(
        self, recovery_id: str, expected: RecoveryStatus, changes: RecoveryChanges
    ) -> bool:
        return (
            await self._count(
                update(recoveries)
                .where((recoveries.c.id == recovery_id) & (recoveries.c.status == expected.value))
                .values(**changes)
            )
            == 1
        )

    async def for_challenge(self, challenge_id: str) -> Recovery | None:
        row = await self._one(select(recoveries).where(recoveries.c.challenge_id == challenge_id))
        return _recovery(row) if row else None
