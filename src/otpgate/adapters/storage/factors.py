"""The ``Factors`` and ``Passkeys`` ports on SQL: enrolled factors, backup codes, WebAuthn
ceremonies. Every spend (a TOTP step, a backup code, a passkey counter, a ceremony) is one
conditional statement, so of two concurrent requests exactly one wins.

The factor mappers live here rather than in ``rows.py``: nothing else reads these tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.engine import RowMapping

from otpgate.adapters.storage.base import Repository
from otpgate.adapters.storage.models import backup_codes, factors, passkey_ceremonies
from otpgate.domain.factors import EnrolledFactor, FactorKind, FactorStatus
from otpgate.services.storage import Ceremony, PasskeyCredential, TotpSecret

_ACTIVE = FactorStatus.ACTIVE.value
_PENDING = FactorStatus.PENDING.value


def _remaining() -> Any:
    """Unused backup codes of the row's set, as a correlated subquery (one statement)."""
    return (
        select(func.count())
        .select_from(backup_codes)
        .where(backup_codes.c.factor_id == factors.c.id, backup_codes.c.used_at.is_(None))
        .correlate(factors)
        .scalar_subquery()
        .label("remaining")
    )


def factor(row: RowMapping) -> EnrolledFactor:
    kind = FactorKind(row["kind"])
    return EnrolledFactor(
        id=row["id"],
        account_id=row["account_id"],
        kind=kind,
        label=row["label"],
        status=FactorStatus(row["status"]),
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        remaining=int(row["remaining"] or 0) if kind is FactorKind.BACKUP_CODES else None,
    )


def passkey(row: RowMapping) -> PasskeyCredential:
    return PasskeyCredential(
        factor_id=row["id"],
        account_id=row["account_id"],
        credential_id=row["credential_id"],
        public_key=bytes(row["public_key"]),
        sign_count=int(row["sign_count"] or 0),
        user_handle=row["user_handle"] or "",
        transports=tuple(t for t in (row["transports"] or "").split(",") if t),
    )


def ceremony(row: RowMapping) -> Ceremony:
    return Ceremony(
        digest=row["digest"],
        account_id=row["account_id"],
        purpose=row["purpose"],
        target_id=row["target_id"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
    )


class SqlFactors(Repository):
    async def list(self, account_id: str) -> Sequence[EnrolledFactor]:
        result = await self.conn.execute(
            select(factors, _remaining())
            .where(factors.c.account_id == account_id)
            .order_by(factors.c.created_at, factors.c.id)
        )
        return [factor(row) for row in result.mappings()]

    async def get(self, account_id: str, factor_id: str) -> EnrolledFactor | None:
        row = await self._one(
            select(factors, _remaining()).where(
                factors.c.id == factor_id, factors.c.account_id == account_id
            )
        )
        return factor(row) if row else None

    async def insert(self, factor: EnrolledFactor, *, secret_sealed: bytes | None = None) -> None:
        await self.conn.execute(
            insert(factors).values(
                id=factor.id,
                account_id=factor.account_id,
                kind=factor.kind.value,
                label=factor.label,
                status=factor.status.value,
                created_at=factor.created_at,
                confirmed_at=factor.created_at if factor.is_active else None,
                secret_sealed=secret_sealed,
            )
        )

    async def activate(self, account_id: str, factor_id: str, now: datetime) -> bool:
        changed = await self._count(
            update(factors)
            .where(
                factors.c.id == factor_id,
                factors.c.account_id == account_id,
                factors.c.status == _PENDING,
            )
            .values(status=_ACTIVE, confirmed_at=now)
        )
        return changed == 1

    async def delete(self, account_id: str, factor_id: str) -> bool:
        changed = await self._count(
            delete(factors).where(factors.c.id == factor_id, factors.c.account_id == account_id)
        )
        return changed == 1

    async def delete_kind(self, account_id: str, kind: FactorKind, keep: str | None = None) -> int:
        statement = delete(factors).where(
            factors.c.account_id == account_id, factors.c.kind == kind.value
        )
        if keep is not None:
            statement = statement.where(factors.c.id != keep)
        # A set's backup codes go with it (ON DELETE CASCADE; SQLite has foreign keys on).
        return await self._count(statement)

    async def totp_secret(self, account_id: str, factor_id: str | None = None) -> TotpSecret | None:
        query = select(factors.c.id, factors.c.secret_sealed, factors.c.totp_last_step).where(
            factors.c.account_id == account_id, factors.c.kind == FactorKind.TOTP.value
        )
        if factor_id is not None:
            query = query.where(factors.c.id == factor_id)
        else:
            query = query.where(factors.c.status == _ACTIVE).order_by(factors.c.created_at)
        row = await self._one(query.limit(1))
        if row is None or row["secret_sealed"] is None:
            return None
        return TotpSecret(
            factor_id=row["id"], sealed=bytes(row["secret_sealed"]), last_step=row["totp_last_step"]
        )

    async def use_totp_step(self, factor_id: str, step: int, now: datetime) -> bool:
        changed = await self._count(
            update(factors)
            .where(
                factors.c.id == factor_id,
                or_(factors.c.totp_last_step.is_(None), factors.c.totp_last_step < step),
            )
            .values(totp_last_step=step, last_used_at=now)
        )
        return changed == 1

    async def add_backup_codes(self, factor_id: str, digests: Sequence[str]) -> None:
        await self.conn.execute(
            insert(backup_codes), [{"factor_id": factor_id, "digest": d} for d in digests]
        )

    async def use_backup_code(self, account_id: str, digests: Sequence[str], now: datetime) -> bool:
        active_set = select(factors.c.id).where(
            factors.c.account_id == account_id,
            factors.c.kind == FactorKind.BACKUP_CODES.value,
            factors.c.status == _ACTIVE,
        )
        row = await self._one(
            update(backup_codes)
            .where(
                backup_codes.c.factor_id.in_(active_set),
                backup_codes.c.digest.in_(list(digests)),
                backup_codes.c.used_at.is_(None),
            )
            .values(used_at=now)
            .returning(backup_codes.c.factor_id)
        )
        if row is None:
            return False
        await self.conn.execute(
            update(factors).where(factors.c.id == row["factor_id"]).values(last_used_at=now)
        )
        return True


class SqlPasskeys(Repository):
    def _active(self) -> Any:
        return select(factors).where(
            factors.c.kind == FactorKind.PASSKEY.value,
            factors.c.status == _ACTIVE,
            factors.c.credential_id.is_not(None),
        )

    async def by_credential(self, credential_id: str) -> PasskeyCredential | None:
        row = await self._one(self._active().where(factors.c.credential_id == credential_id))
        return passkey(row) if row else None

    async def of_account(self, account_id: str) -> Sequence[PasskeyCredential]:
        result = await self.conn.execute(
            self._active().where(factors.c.account_id == account_id).order_by(factors.c.created_at)
        )
        return [passkey(row) for row in result.mappings()]

    async def user_handle(self, account_id: str) -> str | None:
        row = await self._one(
            select(factors.c.user_handle)
            .where(
                factors.c.account_id == account_id,
                factors.c.kind == FactorKind.PASSKEY.value,
                factors.c.user_handle.is_not(None),
            )
            .order_by(factors.c.created_at)
            .limit(1)
        )
        return str(row["user_handle"]) if row else None

    async def register(self, credential: PasskeyCredential, now: datetime) -> bool:
        changed = await self._count(
            update(factors)
            .where(
                factors.c.id == credential.factor_id,
                factors.c.account_id == credential.account_id,
                factors.c.kind == FactorKind.PASSKEY.value,
                factors.c.status == _PENDING,
            )
            .values(
                status=_ACTIVE,
                confirmed_at=now,
                credential_id=credential.credential_id,
                public_key=credential.public_key,
                sign_count=credential.sign_count,
                user_handle=credential.user_handle,
                transports=",".join(credential.transports)[:100],
            )
        )
        return changed == 1

    async def count_used(self, factor_id: str, old: int, new: int, now: datetime) -> bool:
        changed = await self._count(
            update(factors)
            .where(factors.c.id == factor_id, factors.c.sign_count == old)
            .values(sign_count=new, last_used_at=now)
        )
        return changed == 1

    async def add_ceremony(self, ceremony: Ceremony) -> None:
        await self.conn.execute(
            insert(passkey_ceremonies).values(
                digest=ceremony.digest,
                account_id=ceremony.account_id,
                purpose=ceremony.purpose,
                target_id=ceremony.target_id,
                created_at=ceremony.created_at,
                expires_at=ceremony.expires_at,
            )
        )

    async def take_ceremony(
        self, digest: str, purpose: str, target_id: str, now: datetime
    ) -> Ceremony | None:
        row = await self._one(
            delete(passkey_ceremonies)
            .where(
                passkey_ceremonies.c.digest == digest,
                passkey_ceremonies.c.purpose == purpose,
                passkey_ceremonies.c.target_id == target_id,
                passkey_ceremonies.c.expires_at > now,
            )
            .returning(*passkey_ceremonies.c)
        )
        return ceremony(row) if row else None

    async def purge_ceremonies(self, now: datetime) -> None:
        await self.conn.execute(
            delete(passkey_ceremonies).where(passkey_ceremonies.c.expires_at <= now)
        )
