"""Token signing keys: which key signs, which keys are published, and rotation (S47).

Keys live in the database (``uow.signing_keys``), the private half sealed under the secret
key with the messages' AES-GCM sealer, so every node signs and verifies alike. One key is
*current* (the newest not retired) and signs every new token; ``rotate`` adds a new current
key and retires the others. A retired key stays in the JWKS for ``retention`` after it was
retired, which must outlast every token it signed (approval tokens live 5 minutes; the
default retention is a day, so verifiers that cache the JWKS keep working too); then it is
dropped from the JWKS (its row stays, for the record).

The JOSE work itself (key generation, compact JWS) is the ``Jose`` port, implemented with
joserfc in ``adapters/jose.py``. The OpenID Connect provider signs its ID tokens here too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, Protocol

from otpgate.domain.clock import Clock
from otpgate.domain.errors import Unavailable
from otpgate.domain.tokens import new_id
from otpgate.services.api_storage import StoredSigningKey
from otpgate.services.ports import Sealer
from otpgate.services.storage import Store, UnitOfWork


class Jose(Protocol):
    """JOSE keys and signatures (one algorithm: ES256)."""

    alg: str

    def generate(self, kid: str) -> tuple[str, str]:
        """A new key pair for ``kid``: (private JWK as JSON, public JWK as JSON)."""
        ...

    def sign(self, private_jwk: str, claims: Mapping[str, Any]) -> str:
        """A compact JWS of ``claims`` with ``alg``, ``typ`` and the key's ``kid`` in its header."""
        ...


def _context(kid: str) -> str:
    # The sealer's associated data: a sealed key copied onto another row does not open.
    return f"signing-key:{kid}"


class TokenSigner:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        jose: Jose | None,
        sealer: Sealer | None,
        retention: timedelta,
    ) -> None:
        self.store = store
        self.clock = clock
        self.jose = jose
        self.sealer = sealer
        self.retention = retention
        # A kid's private key never changes: opened once per process, kept by kid.
        self._opened: dict[str, str] = {}

    def _ready(self) -> tuple[Jose, Sealer]:
        if self.jose is None or self.sealer is None:
            raise Unavailable("Token signing is not configured.")
        return self.jose, self.sealer

    async def sign(self, uow: UnitOfWork, claims: Mapping[str, Any]) -> str:
        """Sign ``claims`` with the current key, in ``uow`` (a first key is made if none is)."""
        jose, sealer = self._ready()
        key = await uow.signing_keys.current() or await self._add(uow, retire=False)
        private = self._opened.get(key.kid)
        if private is None:
            private = sealer.open(key.private_sealed, _context(key.kid))
            self._opened[key.kid] = private
        return jose.sign(private, claims)

    async def current_key(self, uow: UnitOfWork) -> tuple[str, str]:
        """(kid, private JWK as JSON) of the current key, for a signer that runs outside the
        event loop's awaits (Authlib's ID token encoder is synchronous)."""
        _jose, sealer = self._ready()
        key = await uow.signing_keys.current() or await self._add(uow, retire=False)
        private = self._opened.get(key.kid)
        if private is None:
            private = sealer.open(key.private_sealed, _context(key.kid))
            self._opened[key.kid] = private
        return key.kid, private

    async def jwks(self) -> dict[str, Any]:
        """The JSON Web Key Set: every key whose tokens may still be in flight."""
        now = self.clock.now()
        async with self.store.transaction() as uow:
            keys = await uow.signing_keys.published(now - self.retention)
            if not keys:
                keys = [await self._add(uow, retire=False)]
        return {"keys": [json.loads(key.public_jwk) for key in keys]}

    async def rotate(self) -> StoredSigningKey:
        """Add a new current key; the former ones are retired (published for ``retention``)."""
        async with self.store.transaction() as uow:
            return await self._add(uow, retire=True)

    async def keys(self) -> Sequence[StoredSigningKey]:
        """The keys still published, newest first (for ``otpgate keys list``)."""
        async with self.store.transaction() as uow:
            return await uow.signing_keys.published(self.clock.now() - self.retention)

    async def _add(self, uow: UnitOfWork, *, retire: bool) -> StoredSigningKey:
        jose, sealer = self._ready()
        now = self.clock.now()
        kid = new_id("sk")
        private, public = jose.generate(kid)
        key = StoredSigningKey(
            kid=kid,
            alg=jose.alg,
            private_sealed=sealer.seal(private, _context(kid)),
            public_jwk=public,
            created_at=now,
        )
        await uow.signing_keys.insert(key)
        if retire:
            await uow.signing_keys.retire_others(kid, now)
        self._opened[kid] = private
        return key
