"""``Idempotency-Key`` for the customer API's requests that send a message: registering,
signing in and resending (issue 15 point 15), on the verification API's store and rules.

The key is claimed atomically before anything is counted or sent; the same key and request
within 24 hours answer the challenge the first request opened and send nothing; the same key
with another request is ``idempotency_key_reused``; one still running is
``idempotency_key_in_use``; a request that was refused (a limit, a wrong password) releases its
key so the retry can carry it. Keys are kept per endpoint (scope ``customer:<endpoint>``).

What is stored of the request is an HMAC under the server key, never a plain hash: a
registration's body holds a password.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from otpgate.domain.actions import canonical_json
from otpgate.domain.challenges import Challenge
from otpgate.domain.errors import ChallengeNotFound, IdempotencyKeyInUse, IdempotencyKeyReused
from otpgate.services.deps import Deps
from otpgate.services.verifications import ABANDONED_AFTER, IDEMPOTENCY_WINDOW, idempotency_hash

T = TypeVar("T")
# What a finished request leaves for its replays: the challenge, and another id to repeat.
Ids = tuple[str, str | None]


@dataclass(frozen=True, slots=True)
class Replayed:
    """An earlier request with this key answered already: its challenge as it is now."""

    challenge: Challenge
    result: str | None


class CustomerIdempotency:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def _request_hash(self, endpoint: str, request: Mapping[str, object]) -> str:
        body = canonical_json({"endpoint": endpoint, "request": dict(request)}).encode()
        return hmac.new(self.deps.config.code_keys[0], body, hashlib.sha256).hexdigest()

    async def run(
        self,
        endpoint: str,
        key: str | None,
        request: Mapping[str, object],
        work: Callable[[], Awaitable[T]],
        ids: Callable[[T], Ids | None],
        *,
        before_replay: Callable[[], Awaitable[None]] | None = None,
    ) -> T | Replayed:
        """``work()`` once per key and request; ``ids(result)`` names what a replay answers
        (None: nothing to replay, e.g. a trusted browser's session, so the key is let go).

        ``before_replay``: what a request whose key is taken must pass before its answer
        (replayed, or reused with another body) is given, e.g. the password throttle: that
        answer tells whether the body matched, and a sign-in's body holds a password."""
        if key is None:
            return await work()
        scope = f"customer:{endpoint}"
        key_hash = idempotency_hash(key)
        request_hash = self._request_hash(endpoint, request)
        now = self.deps.clock.now()
        async with self.deps.store.transaction() as uow:
            claimed = await uow.idempotency.claim(
                scope,
                key_hash,
                request_hash,
                now,
                expired_before=now - IDEMPOTENCY_WINDOW,
                abandoned_before=now - ABANDONED_AFTER,
            )
        if not claimed:
            if before_replay is not None:
                await before_replay()
            return await self._replay(scope, key_hash, request_hash)
        try:
            result = await work()
        except BaseException:
            async with self.deps.store.transaction() as uow:
                await uow.idempotency.release(scope, key_hash)
            raise
        named = ids(result)
        async with self.deps.store.transaction() as uow:
            if named is None:
                await uow.idempotency.release(scope, key_hash)
            else:
                await uow.idempotency.complete(scope, key_hash, named[0], named[1])
        return result

    async def _replay(self, scope: str, key_hash: str, request_hash: str) -> Replayed:
        async with self.deps.store.transaction() as uow:
            record = await uow.idempotency.get(scope, key_hash)
            found = (
                await uow.challenges.get(record.verification_id)
                if record is not None and record.verification_id is not None
                else None
            )
        if record is None:
            raise IdempotencyKeyInUse()  # released meanwhile: the other request was refused
        if not hmac.compare_digest(record.request_hash, request_hash):
            raise IdempotencyKeyReused()
        if record.verification_id is None:
            raise IdempotencyKeyInUse()
        if found is None:
            raise ChallengeNotFound()
        return Replayed(challenge=found, result=record.result)
