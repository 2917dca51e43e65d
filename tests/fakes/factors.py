"""The ``Factors`` and ``Passkeys`` ports in memory, with ``adapters/storage/factors.py``'s
semantics (``tests/storage/test_factors_contract.py`` holds them to it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from otpgate.domain.factors import EnrolledFactor, FactorKind, FactorStatus
from otpgate.services.storage import Ceremony, PasskeyCredential, TotpSecret
from tests.fakes.tables import IntegrityViolation, StoredCode, StoredFactor, Tables, require

_ACTIVE, _PENDING = FactorStatus.ACTIVE.value, FactorStatus.PENDING.value


class _Repository:
    def __init__(self, tables: Tables) -> None:
        self.t = tables


def _enrolled(t: Tables, row: StoredFactor) -> EnrolledFactor:
    kind = FactorKind(row.kind)
    remaining = None
    if kind is FactorKind.BACKUP_CODES:
        # the correlated count of unused codes
        remaining = sum(1 for c in t.backup_codes if c.factor_id == row.id and c.used_at is None)
    return EnrolledFactor(
        id=row.id,
        account_id=row.account_id,
        kind=kind,
        label=row.label,
        status=FactorStatus(row.status),
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        remaining=remaining,
    )


def _passkey(row: StoredFactor) -> PasskeyCredential:
    return PasskeyCredential(
        factor_id=row.id,
        account_id=row.account_id,
        credential_id=row.credential_id or "",
        public_key=row.public_key or b"",
        sign_count=row.sign_count or 0,
        user_handle=row.user_handle or "",
        transports=tuple(t for t in (row.transports or "").split(",") if t),
    )


def _ordered(rows: list[StoredFactor]) -> list[StoredFactor]:
    """``ORDER BY created_at, id``."""
    return sorted(rows, key=lambda r: (r.created_at, r.id))


class MemoryFactors(_Repository):
    async def list(self, account_id: str) -> Sequence[EnrolledFactor]:
        mine = [r for r in self.t.factors.values() if r.account_id == account_id]
        return [_enrolled(self.t, r) for r in _ordered(mine)]

    async def get(self, account_id: str, factor_id: str) -> EnrolledFactor | None:
        row = self.t.factors.get(factor_id)
        return _enrolled(self.t, row) if row and row.account_id == account_id else None

    async def insert(self, factor: EnrolledFactor, *, secret_sealed: bytes | None = None) -> None:
        require(factor.account_id in self.t.accounts, "factors.account_id")
        require(factor.id not in self.t.factors, "factors.id")
        self.t.factors[factor.id] = StoredFactor(
            id=factor.id,
            account_id=factor.account_id,
            kind=factor.kind.value,
            label=factor.label,
            status=factor.status.value,
            created_at=factor.created_at,
            confirmed_at=factor.created_at if factor.is_active else None,
            secret_sealed=secret_sealed,
        )

    async def activate(self, account_id: str, factor_id: str, now: datetime) -> bool:
        row = self.t.factors.get(factor_id)
        if row is None or row.account_id != account_id or row.status != _PENDING:
            return False
        self.t.factors[factor_id] = replace(row, status=_ACTIVE, confirmed_at=now)
        return True

    def _drop(self, factor_id: str) -> None:
        del self.t.factors[factor_id]
        # ON DELETE CASCADE
        self.t.backup_codes = [c for c in self.t.backup_codes if c.factor_id != factor_id]

    async def delete(self, account_id: str, factor_id: str) -> bool:
        row = self.t.factors.get(factor_id)
        if row is None or row.account_id != account_id:
            return False
        self._drop(factor_id)
        return True

    async def delete_kind(self, account_id: str, kind: FactorKind, keep: str | None = None) -> int:
        gone = [
            r.id
            for r in self.t.factors.values()
            if r.account_id == account_id and r.kind == kind.value and r.id != keep
        ]
        for factor_id in gone:
            self._drop(factor_id)
        return len(gone)

    async def totp_secret(self, account_id: str, factor_id: str | None = None) -> TotpSecret | None:
        rows = [
            r
            for r in self.t.factors.values()
            if r.account_id == account_id
            and r.kind == FactorKind.TOTP.value
            and (r.id == factor_id if factor_id is not None else r.status == _ACTIVE)
        ]
        rows = _ordered(rows)
        if not rows or rows[0].secret_sealed is None:
            return None
        row = rows[0]
        return TotpSecret(factor_id=row.id, sealed=row.secret_sealed, last_step=row.totp_last_step)

    async def use_totp_step(self, factor_id: str, step: int, now: datetime) -> bool:
        row = self.t.factors.get(factor_id)
        if row is None or (row.totp_last_step is not None and row.totp_last_step >= step):
            return False
        self.t.factors[factor_id] = replace(row, totp_last_step=step, last_used_at=now)
        return True

    async def add_backup_codes(self, factor_id: str, digests: Sequence[str]) -> None:
        require(factor_id in self.t.factors, "backup_codes.factor_id")
        self.t.backup_codes.extend(StoredCode(factor_id, d) for d in digests)

    async def use_backup_code(self, account_id: str, digests: Sequence[str], now: datetime) -> bool:
        active_sets = {
            r.id
            for r in self.t.factors.values()
            if r.account_id == account_id
            and r.kind == FactorKind.BACKUP_CODES.value
            and r.status == _ACTIVE
        }
        for code in self.t.backup_codes:
            if code.factor_id in active_sets and code.digest in digests and code.used_at is None:
                code.used_at = now
                row = self.t.factors[code.factor_id]
                self.t.factors[code.factor_id] = replace(row, last_used_at=now)
                return True
        return False


class MemoryPasskeys(_Repository):
    def _active(self) -> list[StoredFactor]:
        return [
            r
            for r in self.t.factors.values()
            if r.kind == FactorKind.PASSKEY.value
            and r.status == _ACTIVE
            and r.credential_id is not None
        ]

    async def by_credential(self, credential_id: str) -> PasskeyCredential | None:
        found = [r for r in self._active() if r.credential_id == credential_id]
        return _passkey(found[0]) if found else None

    async def of_account(self, account_id: str) -> Sequence[PasskeyCredential]:
        return [
            _passkey(r) for r in _ordered([r for r in self._active() if r.account_id == account_id])
        ]

    async def user_handle(self, account_id: str) -> str | None:
        rows = _ordered(
            [
                r
                for r in self.t.factors.values()
                if r.account_id == account_id
                and r.kind == FactorKind.PASSKEY.value
                and r.user_handle is not None
            ]
        )
        return rows[0].user_handle if rows else None

    async def register(self, credential: PasskeyCredential, now: datetime) -> bool:
        row = self.t.factors.get(credential.factor_id)
        if (
            row is None
            or row.account_id != credential.account_id
            or row.kind != FactorKind.PASSKEY.value
            or row.status != _PENDING
        ):
            return False
        if any(r.credential_id == credential.credential_id for r in self.t.factors.values()):
            raise IntegrityViolation("factors.credential_id")  # the unique index
        self.t.factors[row.id] = replace(
            row,
            status=_ACTIVE,
            confirmed_at=now,
            credential_id=credential.credential_id,
            public_key=credential.public_key,
            sign_count=credential.sign_count,
            user_handle=credential.user_handle,
            transports=",".join(credential.transports)[:100],
        )
        return True

    async def count_used(self, factor_id: str, old: int, new: int, now: datetime) -> bool:
        row = self.t.factors.get(factor_id)
        if row is None or row.sign_count != old:
            return False
        self.t.factors[factor_id] = replace(row, sign_count=new, last_used_at=now)
        return True

    async def add_ceremony(self, ceremony: Ceremony) -> None:
        require(ceremony.account_id in self.t.accounts, "passkey_ceremonies.account_id")
        require(ceremony.digest not in self.t.ceremonies, "passkey_ceremonies.digest")
        self.t.ceremonies[ceremony.digest] = ceremony

    async def take_ceremony(
        self, digest: str, purpose: str, target_id: str, now: datetime
    ) -> Ceremony | None:
        found = self.t.ceremonies.get(digest)
        if (
            found is None
            or found.purpose != purpose
            or found.target_id != target_id
            or found.expires_at <= now
        ):
            return None
        del self.t.ceremonies[digest]
        return found

    async def purge_ceremonies(self, now: datetime) -> None:
        self.t.ceremonies = {d: c for d, c in self.t.ceremonies.items() if c.expires_at > now}
