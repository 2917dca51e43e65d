"""The ``Sessions`` port on SQL: signed-in sessions and trusted browsers, kept as hashes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from otpgate.adapters.storage import rows
from otpgate.adapters.storage.base import Repository
from otpgate.adapters.storage.models import accounts, devices, sessions
from otpgate.domain.accounts import Account, Device, Session

LISTED = 100  # a list page never holds more than this
ACCOUNT_NAMES = tuple(column.name for column in accounts.c)
ACCOUNT_COLUMNS = tuple(column.label(f"acct_{column.name}") for column in accounts.c)
CUSTOMER_QUERY = select(sessions, *ACCOUNT_COLUMNS).join(
    accounts, accounts.c.id == sessions.c.account_id
)
# Built once from the table's own column names (no input in it).
_ACCOUNT_LIST = ", ".join(f"a.{name} AS acct_{name}" for name in ACCOUNT_NAMES)
DRIVER_CUSTOMER_SQL = (
    f"SELECT s.*, {_ACCOUNT_LIST} FROM sessions s JOIN accounts a ON a.id = s.account_id"  # noqa: S608
    " WHERE s.token_hash = $1"
)


class SqlSessions(Repository):
    # -- sessions ------------------------------------------------------------------------

    async def insert_session(
        self, session: Session, token_hash: str, device_id: str | None
    ) -> None:
        await self.conn.execute(
            insert(sessions).values(
                id=session.id,
                token_hash=token_hash,
                account_id=session.account_id,
                device_id=device_id,
                created_at=session.created_at,
                last_seen_at=session.last_seen_at,
                expires_at=session.expires_at,
                ip=(session.ip or "")[:64],
                user_agent=(session.user_agent or "")[:300],
            )
        )

    async def session_by_token_hash(self, token_hash: str) -> Session | None:
        row = await self._one(select(sessions).where(sessions.c.token_hash == token_hash))
        return rows.session(row) if row else None

    async def customer_by_token_hash(self, token_hash: str) -> tuple[Session, Account] | None:
        if self.driver is not None:
            # Every signed-in request starts here: straight on asyncpg when autocommitting.
            row: Any = await self.driver.fetchrow(DRIVER_CUSTOMER_SQL, token_hash)
        else:
            result = await self.conn.execute(
                CUSTOMER_QUERY.where(sessions.c.token_hash == token_hash)
            )
            row = result.mappings().first()
        if row is None:
            return None
        account = rows.account({name: row[f"acct_{name}"] for name in ACCOUNT_NAMES})
        return rows.session(row), account

    async def lock_session(self, session_id: str) -> Session | None:
        # SQLite renders no FOR UPDATE: its BEGIN IMMEDIATE transactions already run one at
        # a time.
        row = await self._one(select(sessions).where(sessions.c.id == session_id).with_for_update())
        return rows.session(row) if row else None

    async def touch_session(self, session_id: str, now: datetime) -> None:
        await self.conn.execute(
            update(sessions).where(sessions.c.id == session_id).values(last_seen_at=now)
        )

    async def revoke_session(self, session_id: str, now: datetime) -> bool:
        revoked = await self._count(
            update(sessions)
            .where(sessions.c.id == session_id, sessions.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return revoked == 1

    async def revoke_account_session(self, account_id: str, session_id: str, now: datetime) -> bool:
        revoked = await self._count(
            update(sessions)
            .where(
                sessions.c.id == session_id,
                sessions.c.account_id == account_id,
                sessions.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        return revoked == 1

    async def revoke_sessions(self, account_id: str, now: datetime, keep: str | None = None) -> int:
        statement = update(sessions).where(
            sessions.c.account_id == account_id, sessions.c.revoked_at.is_(None)
        )
        if keep is not None:
            statement = statement.where(sessions.c.id != keep)
        return await self._count(statement.values(revoked_at=now))

    async def list_sessions(self, account_id: str, now: datetime) -> Sequence[Session]:
        result = await self.conn.execute(
            select(sessions)
            .where(
                sessions.c.account_id == account_id,
                sessions.c.revoked_at.is_(None),
                sessions.c.expires_at > now,
            )
            .order_by(sessions.c.last_seen_at.desc())
            .limit(LISTED)
        )
        return [rows.session(row) for row in result.mappings()]

    # -- trusted browsers ------------------------------------------------------------------

    async def insert_device(self, device: Device, token_hash: str) -> None:
        await self.conn.execute(
            insert(devices).values(
                id=device.id,
                token_hash=token_hash,
                account_id=device.account_id,
                created_at=device.created_at,
                expires_at=device.expires_at,
                user_agent=device.user_agent,
            )
        )

    async def device_by_token_hash(self, token_hash: str) -> Device | None:
        row = await self._one(select(devices).where(devices.c.token_hash == token_hash))
        return rows.device(row) if row else None

    async def touch_device(self, device_id: str, now: datetime) -> None:
        await self.conn.execute(
            update(devices).where(devices.c.id == device_id).values(last_used_at=now)
        )

    async def revoke_device(self, account_id: str, device_id: str, now: datetime) -> bool:
        revoked = await self._count(
            update(devices)
            .where(
                devices.c.id == device_id,
                devices.c.account_id == account_id,
                devices.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        return revoked == 1

    async def revoke_devices(self, account_id: str, now: datetime) -> int:
        return await self._count(
            update(devices)
            .where(devices.c.account_id == account_id, devices.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def list_devices(self, account_id: str, now: datetime) -> Sequence[Device]:
        result = await self.conn.execute(
            select(devices)
            .where(
                devices.c.account_id == account_id,
                devices.c.revoked_at.is_(None),
                devices.c.expires_at > now,
            )
            .order_by(devices.c.created_at.desc())
            .limit(LISTED)
        )
        return [rows.device(row) for row in result.mappings()]
