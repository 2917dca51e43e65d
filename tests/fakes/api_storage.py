"""The shop-application ports in memory (``services/api_storage.py``): API keys,
Idempotency-Keys, number pauses and signing keys, with ``adapters/storage/api_keys.py`` and
``signing_keys.py``'s exact semantics (``tests/storage/test_api_storage_contract.py`` runs
one set of tests on these and on both SQL engines)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from otpgate.domain.api_keys import ApiKey
from otpgate.services.api_storage import CodePause, IdempotencyRecord, StoredSigningKey
from tests.fakes.tables import Tables, require


class _Repository:
    def __init__(self, tables: Tables) -> None:
        self.t = tables


class MemoryApiKeys(_Repository):
    async def insert(self, key: ApiKey, secret_hash: str) -> None:
        require(key.id not in self.t.api_keys, "api_keys.id")
        taken = any(stored == secret_hash for _, stored in self.t.api_keys.values())
        require(not taken, "api_keys.secret_hash")  # UNIQUE
        self.t.api_keys[key.id] = (key, secret_hash)

    async def by_secret_hash(self, secret_hash: str) -> ApiKey | None:
        found = [key for key, stored in self.t.api_keys.values() if stored == secret_hash]
        return found[0] if found else None

    async def get(self, key_id: str) -> ApiKey | None:
        row = self.t.api_keys.get(key_id)
        return row[0] if row else None

    async def list(self) -> Sequence[ApiKey]:
        return sorted((key for key, _ in self.t.api_keys.values()), key=lambda k: k.created_at)

    async def revoke(self, key_id: str, now: datetime) -> bool:
        row = self.t.api_keys.get(key_id)
        if row is None or row[0].revoked_at is not None:  # WHERE revoked_at IS NULL
            return False
        self.t.api_keys[key_id] = (replace(row[0], revoked_at=now), row[1])
        return True


class MemoryIdempotencyKeys(_Repository):
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
        held = self.t.idempotency.get((api_key_id, key_hash))
        if held is not None:
            # ON CONFLICT DO UPDATE ... WHERE created_at <= expired_before OR (unfinished AND
            # created_at <= abandoned_before)
            expired = held.created_at <= expired_before
            abandoned = held.verification_id is None and held.created_at <= abandoned_before
            if not (expired or abandoned):
                return False
        self.t.idempotency[(api_key_id, key_hash)] = IdempotencyRecord(request_hash, None, now)
        return True

    async def get(self, api_key_id: str, key_hash: str) -> IdempotencyRecord | None:
        return self.t.idempotency.get((api_key_id, key_hash))

    async def complete(self, api_key_id: str, key_hash: str, verification_id: str) -> None:
        held = self.t.idempotency.get((api_key_id, key_hash))
        if held is not None:  # an UPDATE of no row does nothing
            self.t.idempotency[(api_key_id, key_hash)] = replace(
                held, verification_id=verification_id
            )

    async def release(self, api_key_id: str, key_hash: str) -> None:
        held = self.t.idempotency.get((api_key_id, key_hash))
        if held is not None and held.verification_id is None:
            del self.t.idempotency[(api_key_id, key_hash)]


class MemoryNumberPauses(_Repository):
    async def get(self, number_hash: str) -> CodePause | None:
        return self.t.number_pauses.get(number_hash)

    async def add_code_failure(self, number_hash: str) -> tuple[int, int]:
        held = self.t.number_pauses.get(number_hash) or CodePause(0, 0, None)
        updated = replace(held, streak=held.streak + 1)
        self.t.number_pauses[number_hash] = updated
        return updated.streak, updated.lockouts

    async def set_code_lockout(
        self, number_hash: str, streak: int, lockouts: int, locked_until: datetime | None
    ) -> None:
        if number_hash in self.t.number_pauses:  # UPDATE ... WHERE number_hash = ...
            self.t.number_pauses[number_hash] = CodePause(streak, lockouts, locked_until)


class MemorySigningKeys(_Repository):
    async def insert(self, key: StoredSigningKey) -> None:
        require(key.kid not in self.t.signing_keys, "signing_keys.kid")
        self.t.signing_keys[key.kid] = key

    async def retire_others(self, kid: str, now: datetime) -> None:
        for other, key in list(self.t.signing_keys.items()):
            if other != kid and key.retired_at is None:
                self.t.signing_keys[other] = replace(key, retired_at=now)

    def _newest_first(self, keys: list[StoredSigningKey]) -> list[StoredSigningKey]:
        # ORDER BY created_at DESC, kid DESC
        return sorted(keys, key=lambda k: (k.created_at, k.kid), reverse=True)

    async def current(self) -> StoredSigningKey | None:
        live = [key for key in self.t.signing_keys.values() if key.retired_at is None]
        newest = self._newest_first(live)
        return newest[0] if newest else None

    async def published(self, retired_after: datetime) -> Sequence[StoredSigningKey]:
        return self._newest_first(
            [
                key
                for key in self.t.signing_keys.values()
                if key.retired_at is None or key.retired_at > retired_after
            ]
        )
