"""Storage ports of the shop's applications: API keys, Idempotency-Keys, per-number code
pauses and token signing keys. Reached through the unit of work like every other port
(``uow.api_keys``, ``uow.idempotency``, ``uow.number_pauses``, ``uow.signing_keys``); the SQL
adapters are ``adapters/storage/api_keys.py`` and ``adapters/storage/signing_keys.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from otpgate.domain.api_keys import ApiKey


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    """An Idempotency-Key as stored: the body it came with (hashed), and the verification it
    made (None while the first request is still making it)."""

    request_hash: str
    verification_id: str | None
    created_at: datetime
    # The other id a replayed customer answer names (a registration's account id).
    result: str | None = None


@dataclass(frozen=True, slots=True)
class CodePause:
    """Wrong codes in a row for one number, and the pause they earned (like an account's)."""

    streak: int
    lockouts: int
    locked_until: datetime | None


@dataclass(frozen=True, slots=True)
class StoredSigningKey:
    """A token signing key: the private JWK sealed under the secret key, the public JWK as
    JSON. ``retired_at`` is when a newer key replaced it (None: the current key)."""

    kid: str
    alg: str
    private_sealed: bytes
    public_jwk: str
    created_at: datetime
    retired_at: datetime | None = None


class ApiKeys(Protocol):
    async def insert(self, key: ApiKey, secret_hash: str) -> None: ...

    async def by_secret_hash(self, secret_hash: str) -> ApiKey | None:
        """The key whose secret hashes to ``secret_hash``, revoked or not."""
        ...

    async def get(self, key_id: str) -> ApiKey | None: ...
    async def list(self) -> Sequence[ApiKey]: ...

    async def revoke(self, key_id: str, now: datetime) -> bool:
        """Revoke an active key; False when there is no such active key."""
        ...


class IdempotencyKeys(Protocol):
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
        """Take the key for a new request, atomically: True when nobody holds it, or its last
        use began at or before ``expired_before`` (24 h ago), or its first request never
        finished and began at or before ``abandoned_before``. Of concurrent claims exactly
        one wins."""
        ...

    async def get(self, api_key_id: str, key_hash: str) -> IdempotencyRecord | None: ...

    async def complete(
        self, api_key_id: str, key_hash: str, verification_id: str, result: str | None = None
    ) -> None:
        """Record the verification (or challenge) the claiming request made."""
        ...

    async def release(self, api_key_id: str, key_hash: str) -> None:
        """Give up an unfinished claim (the request was refused): the key may be used again."""
        ...


class NumberPauses(Protocol):
    async def get(self, number_hash: str) -> CodePause | None: ...

    async def add_code_failure(self, number_hash: str) -> tuple[int, int]:
        """One more wrong code in a row: the new streak and the lockouts so far."""
        ...

    async def set_code_lockout(
        self, number_hash: str, streak: int, lockouts: int, locked_until: datetime | None
    ) -> None: ...


class SigningKeys(Protocol):
    async def insert(self, key: StoredSigningKey) -> None: ...

    async def retire_others(self, kid: str, now: datetime) -> None:
        """Mark every current key but ``kid`` retired at ``now``."""
        ...

    async def current(self) -> StoredSigningKey | None:
        """The newest key not retired, if any."""
        ...

    async def published(self, retired_after: datetime) -> Sequence[StoredSigningKey]:
        """Keys that verify tokens still in flight: current ones and those retired after
        ``retired_after``, newest first."""
        ...
