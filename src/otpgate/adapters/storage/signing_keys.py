"""The ``SigningKeys`` port on SQL: token signing keys, private halves sealed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, or_, select, update
from sqlalchemy.engine import RowMapping

from otpgate.adapters.storage.base import Repository
from otpgate.adapters.storage.models import signing_keys
from otpgate.services.api_storage import StoredSigningKey


def _key(row: RowMapping) -> StoredSigningKey:
    return StoredSigningKey(
        kid=row["kid"],
        alg=row["alg"],
        private_sealed=bytes(row["private_sealed"]),
        public_jwk=row["public_jwk"],
        created_at=row["created_at"],
        retired_at=row["retired_at"],
    )


class SqlSigningKeys(Repository):
    async def insert(self, key: StoredSigningKey) -> None:
        await self.conn.execute(
            insert(signing_keys).values(
                kid=key.kid,
                alg=key.alg,
                private_sealed=key.private_sealed,
                public_jwk=key.public_jwk,
                created_at=key.created_at,
                retired_at=key.retired_at,
            )
        )

    async def retire_others(self, kid: str, now: datetime) -> None:
        await self.conn.execute(
            update(signing_keys)
            .where(signing_keys.c.kid != kid, signing_keys.c.retired_at.is_(None))
            .values(retired_at=now)
        )

    async def current(self) -> StoredSigningKey | None:
        # Two nodes that each made a first key at once both publish theirs; all sign with the
        # newest (the kid breaks a tie), and verifiers accept either.
        row = await self._one(
            select(signing_keys)
            .where(signing_keys.c.retired_at.is_(None))
            .order_by(signing_keys.c.created_at.desc(), signing_keys.c.kid.desc())
            .limit(1)
        )
        return _key(row) if row else None

    async def published(self, retired_after: datetime) -> Sequence[StoredSigningKey]:
        result = await self.conn.execute(
            select(signing_keys)
            .where(
                or_(
                    signing_keys.c.retired_at.is_(None),
                    signing_keys.c.retired_at > retired_after,
                )
            )
            .order_by(signing_keys.c.created_at.desc(), signing_keys.c.kid.desc())
        )
        return [_key(row) for row in result.mappings()]
