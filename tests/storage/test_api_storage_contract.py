"""The shop-application ports' contract (``ApiKeys``, ``IdempotencyKeys``, ``NumberPauses``,
``SigningKeys``): the in-memory fakes, SQLite and PostgreSQL alike. The claims are single
statements in SQL; of concurrent claims exactly one wins."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from otpgate.domain.api_keys import ApiKey, Scope
from otpgate.services.api_storage import CodePause, IdempotencyRecord, StoredSigningKey
from otpgate.services.storage import Store, UnitOfWork
from tests.fakes.storage import IntegrityViolation
from tests.storage.builders import T0, at, run

DAY = timedelta(hours=24)


def a_key(n: int) -> ApiKey:
    return ApiKey(f"key_{n}", f"shop app {n}", frozenset({Scope.VERIFY}), at(n))


def a_signing_key(kid: str, created: float, retired: float | None = None) -> StoredSigningKey:
    return StoredSigningKey(
        kid=kid,
        alg="ES256",
        private_sealed=b"sealed-" + kid.encode(),
        public_jwk='{"kty":"EC","kid":"' + kid + '"}',
        created_at=at(created),
        retired_at=None if retired is None else at(retired),
    )


class ApiStorageContract:
    async def test_api_keys_by_secret_hash_listed_oldest_first_and_revoked_once(
        self, uow_store: Store
    ) -> None:
        async def seed(uow: UnitOfWork) -> None:
            await uow.api_keys.insert(a_key(2), "h2")
            await uow.api_keys.insert(a_key(1), "h1")

        await run(uow_store, seed)
        found = await run(uow_store, lambda uow: uow.api_keys.by_secret_hash("h1"))
        assert found is not None and found.id == "key_1" and found.active
        assert await run(uow_store, lambda uow: uow.api_keys.by_secret_hash("nope")) is None
        listed = await run(uow_store, lambda uow: uow.api_keys.list())
        assert [key.id for key in listed] == ["key_1", "key_2"]
        assert listed[0].scopes == frozenset({Scope.VERIFY})
        assert await run(uow_store, lambda uow: uow.api_keys.revoke("key_1", at(50)))
        assert not await run(uow_store, lambda uow: uow.api_keys.revoke("key_1", at(60)))
        assert not await run(uow_store, lambda uow: uow.api_keys.revoke("key_9", at(60)))
        revoked = await run(uow_store, lambda uow: uow.api_keys.get("key_1"))
        assert revoked is not None and revoked.revoked_at == at(50) and not revoked.active
        # A revoked key is still found by its hash: the caller says "revoked", not "unknown".
        again = await run(uow_store, lambda uow: uow.api_keys.by_secret_hash("h1"))
        assert again is not None and not again.active

    async def test_an_api_key_secret_hash_is_unique(self, uow_store: Store) -> None:
        await run(uow_store, lambda uow: uow.api_keys.insert(a_key(1), "same"))
        with pytest.raises((IntegrityError, IntegrityViolation)):
            await run(uow_store, lambda uow: uow.api_keys.insert(a_key(2), "same"))
        assert [k.id for k in await run(uow_store, lambda uow: uow.api_keys.list())] == ["key_1"]

    async def test_an_idempotency_key_is_held_until_its_day_is_over(self, uow_store: Store) -> None:
        def claim(when: datetime, body: str = "b1") -> Awaitable[bool]:
            return run(
                uow_store,
                lambda uow: uow.idempotency.claim(
                    "key_1",
                    "k" * 64,
                    body,
                    when,
                    expired_before=when - DAY,
                    abandoned_before=when - timedelta(seconds=60),
                ),
            )

        assert await claim(T0) is True
        assert await claim(at(1), "b2") is False  # held, first request still running
        await run(uow_store, lambda uow: uow.idempotency.complete("key_1", "k" * 64, "ver_1"))
        record = await run(uow_store, lambda uow: uow.idempotency.get("key_1", "k" * 64))
        assert record == IdempotencyRecord("b1", "ver_1", T0)
        assert await claim(at(3600)) is False  # completed: held for its whole day
        assert await claim(T0 + DAY) is True  # the day is over: taken anew
        fresh = await run(uow_store, lambda uow: uow.idempotency.get("key_1", "k" * 64))
        assert fresh == IdempotencyRecord("b1", None, T0 + DAY)
        # Another API key's same Idempotency-Key is its own.
        other = await run(
            uow_store,
            lambda uow: uow.idempotency.claim(
                "key_2", "k" * 64, "x", at(5), expired_before=at(5) - DAY, abandoned_before=at(0)
            ),
        )
        assert other is True

    async def test_an_abandoned_claim_is_taken_over_and_a_released_one_is_free(
        self, uow_store: Store
    ) -> None:
        def claim(key: str, when: float) -> Awaitable[bool]:
            now = at(when)
            return run(
                uow_store,
                lambda uow: uow.idempotency.claim(
                    "key_1",
                    key,
                    "b",
                    now,
                    expired_before=now - DAY,
                    abandoned_before=now - timedelta(seconds=60),
                ),
            )

        assert await claim("a" * 64, 0) is True
        assert await claim("a" * 64, 59) is False
        assert await claim("a" * 64, 60) is True  # never completed, a minute old: abandoned
        await run(uow_store, lambda uow: uow.idempotency.release("key_1", "a" * 64))
        assert await run(uow_store, lambda uow: uow.idempotency.get("key_1", "a" * 64)) is None
        # A completed claim is not released.
        assert await claim("c" * 64, 0) is True
        await run(uow_store, lambda uow: uow.idempotency.complete("key_1", "c" * 64, "ver_2"))
        await run(uow_store, lambda uow: uow.idempotency.release("key_1", "c" * 64))
        kept = await run(uow_store, lambda uow: uow.idempotency.get("key_1", "c" * 64))
        assert kept is not None and kept.verification_id == "ver_2"

    async def test_of_concurrent_claims_of_one_key_exactly_one_wins(self, uow_store: Store) -> None:
        async def claim(n: int) -> bool:
            async with uow_store.autocommit() as uow:
                return await uow.idempotency.claim(
                    "key_1",
                    "z" * 64,
                    f"b{n}",
                    T0,
                    expired_before=T0 - DAY,
                    abandoned_before=T0 - timedelta(seconds=60),
                )

        results = await asyncio.gather(*(claim(n) for n in range(8)))
        assert sorted(results) == [False] * 7 + [True]

    async def test_a_number_pause_counts_wrong_codes_and_keeps_its_lockout(
        self, uow_store: Store
    ) -> None:
        number = "n" * 64
        assert await run(uow_store, lambda uow: uow.number_pauses.get(number)) is None
        assert await run(uow_store, lambda uow: uow.number_pauses.add_code_failure(number)) == (
            1,
            0,
        )
        assert await run(uow_store, lambda uow: uow.number_pauses.add_code_failure(number)) == (
            2,
            0,
        )
        await run(uow_store, lambda uow: uow.number_pauses.set_code_lockout(number, 0, 1, at(900)))
        assert await run(uow_store, lambda uow: uow.number_pauses.get(number)) == CodePause(
            0, 1, at(900)
        )
        assert await run(uow_store, lambda uow: uow.number_pauses.add_code_failure(number)) == (
            1,
            1,
        )
        # Setting a lockout on a number never counted writes nothing.
        await run(uow_store, lambda uow: uow.number_pauses.set_code_lockout("m" * 64, 0, 1, None))
        assert await run(uow_store, lambda uow: uow.number_pauses.get("m" * 64)) is None

    async def test_concurrent_wrong_codes_for_one_number_are_all_counted(
        self, uow_store: Store
    ) -> None:
        async def fail() -> tuple[int, int]:
            async with uow_store.autocommit() as uow:
                return await uow.number_pauses.add_code_failure("p" * 64)

        streaks = await asyncio.gather(*(fail() for _ in range(10)))
        assert sorted(streak for streak, _ in streaks) == list(range(1, 11))

    async def test_signing_keys_current_is_the_newest_and_retired_ones_stay_published(
        self, uow_store: Store
    ) -> None:
        async def seed(uow: UnitOfWork) -> None:
            for key in (
                a_signing_key("kid_a", 0, retired=100),
                a_signing_key("kid_b", 50),
                a_signing_key("kid_c", 50),  # same second as kid_b: the kid breaks the tie
            ):
                await uow.signing_keys.insert(key)

        await run(uow_store, seed)
        current = await run(uow_store, lambda uow: uow.signing_keys.current())
        assert current is not None and current.kid == "kid_c"
        assert current.private_sealed == b"sealed-kid_c"
        published = await run(uow_store, lambda uow: uow.signing_keys.published(at(99)))
        assert [key.kid for key in published] == ["kid_c", "kid_b", "kid_a"]
        gone = await run(uow_store, lambda uow: uow.signing_keys.published(at(100)))
        assert [key.kid for key in gone] == ["kid_c", "kid_b"]  # retired at (not after) 100
        await run(uow_store, lambda uow: uow.signing_keys.retire_others("kid_c", at(200)))
        after = await run(uow_store, lambda uow: uow.signing_keys.published(at(150)))
        assert [(k.kid, k.retired_at) for k in after] == [
            ("kid_c", None),
            ("kid_b", at(200)),
        ]
        with pytest.raises((IntegrityError, IntegrityViolation)):
            await run(uow_store, lambda uow: uow.signing_keys.insert(a_signing_key("kid_c", 300)))


class TestApiStorage(ApiStorageContract):
    pass
