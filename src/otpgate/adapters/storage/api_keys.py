"""The ``ApiKeys``, ``IdempotencyKeys`` and ``NumberPauses`` ports on SQL.

Every claim is one statement (``INSERT ... ON CONFLICT ... RETURNING``): of two requests
racing for one Idempotency-Key, or two wrong codes racing for one number's streak, the
database decides, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping

from otpgate.adapters.storage.base import Repository
from otpgate.adapters.storage.models import api_keys, idempotency_keys, number_pauses
from otpgate.domain.api_keys import ApiKey, Scope
from otpgate.services.api_storage import CodePause, IdempotencyRecord


def upsert(repository: Repository, table: Any) -> Any:
    """An INSERT that can say ``ON CONFLICT``, in the connection's dialect."""
    if repository.conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _api_key(row: RowMapping) -> ApiKey:
    scopes = frozenset(Scope(value) for value in str(row["scopes"]).split(",") if value)
    return ApiKey(
        id=row["id"],
        name=row["name"],
        scopes=scopes,
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )


class SqlApiKeys(Repository):
    async def insert(self, key: ApiKey, secret_hash: str) -> None:
        await self.conn.execute(
            insert(api_keys).values(
                id=key.id,
                name=key.name,
                secret_hash=secret_hash,
                scopes=",".join(sorted(scope.value for scope in key.scopes)),
                created_at=key.created_at,
                revoked_at=key.revoked_at,
            )
        )

    async def by_secret_hash(self, secret_hash: str) -> ApiKey | None:
        row = await self._one(select(api_keys).where(api_keys.c.secret_hash == secret_hash))
        return _api_key(row) if row else None

    async def get(self, key_id: str) -> ApiKey | None:
        row = await self._one(select(api_keys).where(api_keys.c.id == key_id))
        return _api_key(row) if row else None

    async def list(self) -> Sequence[ApiKey]:
        result = await self.conn.execute(select(api_keys).order_by(api_keys.c.created_at))
        return [_api_key(row) for row in result.mappings()]

    async def revoke(self, key_id: str, now: datetime) -> bool:
        changed = await self._count(
            update(api_keys)
            .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return changed == 1


class SqlIdempotencyKeys(Repository):
    async def claim(
        self,
        api_key_id: str,
        key_hash: str,
        request_hash: str,
        now: datetime,
        *,
        expired_before: datetime,
        abandoned_before: datetime,
    ) -> bool:
        table = idempotency_keys
        statement = upsert(self, table).values(
            api_key_id=api_key_id,
            key_hash=key_hash,
            request_hash=request_hash,
            verification_id=None,
            created_at=now,
        )
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.api_key_id, table.c.key_hash],
            set_={
                "request_hash": statement.excluded.request_hash,
                "verification_id": None,
                "result": None,
                "created_at": statement.excluded.created_at,
            },
            # Taken over only when its day is over, or its first request died half-way.
            where=or_(
                table.c.created_at <= expired_before,
                and_(table.c.verification_id.is_(None), table.c.created_at <= abandoned_before),
            ),
        ).returning(table.c.key_hash)
        return await self._one(statement) is not None

    async def get(self, api_key_id: str, key_hash: str) -> IdempotencyRecord | None:
        row = await self._one(
            select(idempotency_keys).where(
                idempotency_keys.c.api_key_id == api_key_id,
                idempotency_keys.c.key_hash == key_hash,
            )
        )
        if row is None:
            return None
        return IdempotencyRecord(
            request_hash=row["request_hash"],
            verification_id=row["verification_id"],
            created_at=row["created_at"],
            result=row["result"],
        )

    async def complete(
        self, api_key_id: str, key_hash: str, verification_id: str, result: str | None = None
    ) -> None:
        await self.conn.execute(
            update(idempotency_keys)
            .where(
                idempotency_keys.c.api_key_id == api_key_id,
                idempotency_keys.c.key_hash == key_hash,
            )
            .values(verification_id=verification_id, result=result)
        )

    async def release(self, api_key_id: str, key_hash: str) -> None:
        await self.conn.execute(
            delete(idempotency_keys).where(
                idempotency_keys.c.api_key_id == api_key_id,
                idempotency_keys.c.key_hash == key_hash,
                idempotency_keys.c.verification_id.is_(None),
            )
        )


class SqlNumberPauses(Repository):
    async def get(self, number_hash: str) -> CodePause | None:
        row = await self._one(
            select(number_pauses).where(number_pauses.c.number_hash == number_hash)
        )
        if row is None:
            return None
        return CodePause(
            streak=int(row["code_fail_streak"]),
            lockouts=int(row["code_lockouts"]),
            locked_until=row["code_locked_until"],
        )

    async def add_code_failure(self, number_hash: str) -> tuple[int, int]:
        table = number_pauses
        statement = upsert(self, table).values(
            number_hash=number_hash, code_fail_streak=1, code_lockouts=0
        )
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.number_hash],
            set_={"code_fail_streak": table.c.code_fail_streak + 1},
        ).returning(table.c.code_fail_streak, table.c.code_lockouts)
        row = await self._one(statement)
        assert row is not None
        return int(row["code_fail_streak"]), int(row["code_lockouts"])

    async def set_code_lockout(
        self, number_hash: str, streak: int, lockouts: int, locked_until: datetime | None
    ) -> None:
        await self.conn.execute(
            update(number_pauses)
            .where(number_pauses.c.number_hash == number_hash)
            .values(code_fail_streak=streak, code_lockouts=lockouts, code_locked_until=locked_until)
        )
