"""API keys of the shop's applications: create (the secret shown once), list, revoke, and
authenticate a request (S45).

Every request looks its key up in the database, by the secret's hash: there is no cache in
any process, so a key revoked on one node is refused by every node from the next request on.
The lookup is one indexed read, cheaper than the verification it guards.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from otpgate.domain.accounts import EventType
from otpgate.domain.api_keys import (
    ApiKey,
    Scope,
    check_name,
    looks_like_api_key,
    new_api_key_id,
    new_api_key_secret,
    parse_scopes,
    secret_hash,
)
from otpgate.domain.clock import Clock
from otpgate.domain.errors import ApiKeyNotFound, InsufficientScope, InvalidApiKey
from otpgate.services.audit import audit
from otpgate.services.principal import ApiClient
from otpgate.services.storage import Store


@dataclass(frozen=True, slots=True)
class CreatedKey:
    """A new key and its secret: the only time the secret exists outside the caller's hands."""

    key: ApiKey
    secret: str


class ApiKeyService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def create(self, name: str, scopes: Sequence[str] = ()) -> CreatedKey:
        """A new active key named ``name`` with ``scopes`` (``verify`` when none are given)."""
        now = self.clock.now()
        key = ApiKey(
            id=new_api_key_id(),
            name=check_name(name),
            scopes=parse_scopes(tuple(scopes)),
            created_at=now,
        )
        secret = new_api_key_secret()
        async with self.store.transaction() as uow:
            await uow.api_keys.insert(key, secret_hash(secret))
            await audit(
                uow,
                EventType.API_KEY_CREATED,
                "ok",
                at=now,
                api_key_id=key.id,
                name=key.name,
                scopes=sorted(scope.value for scope in key.scopes),
            )
        return CreatedKey(key=key, secret=secret)

    async def list(self) -> Sequence[ApiKey]:
        """Every key, revoked ones too, oldest first (never a secret: none is stored)."""
        async with self.store.transaction() as uow:
            return await uow.api_keys.list()

    async def revoke(self, key_id: str) -> ApiKey:
        """Revoke ``key_id`` at once; ``ApiKeyNotFound`` when no such active key exists."""
        now = self.clock.now()
        async with self.store.transaction() as uow:
            if not await uow.api_keys.revoke(key_id, now):
                raise ApiKeyNotFound("No active API key has that id.")
            key = await uow.api_keys.get(key_id)
            assert key is not None
            await audit(
                uow, EventType.API_KEY_REVOKED, "ok", at=now, api_key_id=key.id, name=key.name
            )
        return key

    async def authenticate(self, secret: str | None, scope: Scope) -> ApiClient:
        """The application behind ``Authorization: Bearer otk_...``, if its key is active and
        has ``scope``; ``InvalidApiKey`` or ``InsufficientScope`` otherwise."""
        if not secret or not looks_like_api_key(secret):
            raise InvalidApiKey()
        digest = secret_hash(secret)
        async with self.store.transaction() as uow:
            key = await uow.api_keys.by_secret_hash(digest)
        # Looking up by the hash leaks nothing through timing: nobody can steer SHA-256 output
        # towards a stored hash, so no comparison of secrets happens here at all.
        if key is None or not key.active:
            raise InvalidApiKey()
        if scope not in key.scopes:
            raise InsufficientScope(scope.value)
        return ApiClient(key_id=key.id, name=key.name, scopes=frozenset(key.scopes))
