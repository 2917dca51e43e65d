"""The factor ports' contract (``Factors``, ``Passkeys``): the in-memory fake, SQLite and
PostgreSQL alike. Every spend is conditional: it works once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from otpgate.domain.factors import EnrolledFactor, FactorKind, FactorStatus
from otpgate.services.storage import Ceremony, PasskeyCredential, Store, UnitOfWork
from tests.fakes.storage import IntegrityViolation
from tests.storage.builders import T0, an_account, at, given_accounts, run


def a_factor(
    n: int,
    kind: FactorKind,
    status: FactorStatus = FactorStatus.ACTIVE,
    account_id: str = "acc_1",
) -> EnrolledFactor:
    return EnrolledFactor(f"fac_{n}", account_id, kind, f"label {n}", status, at(n))


def a_credential(
    factor_id: str, credential_id: str = "cred1", account_id: str = "acc_1"
) -> PasskeyCredential:
    return PasskeyCredential(
        factor_id=factor_id,
        account_id=account_id,
        credential_id=credential_id,
        public_key=b"cose",
        sign_count=1,
        user_handle="handle",
        transports=("internal", "hybrid"),
    )


class FactorsContract:
    async def test_listed_oldest_first_with_codes_left(self, uow_store: Store) -> None:
        await given_accounts(uow_store, an_account(1), an_account(2))

        async def seed(uow: UnitOfWork) -> None:
            await uow.factors.insert(a_factor(2, FactorKind.BACKUP_CODES))
            await uow.factors.insert(
                a_factor(1, FactorKind.TOTP, FactorStatus.PENDING), secret_sealed=b"s"
            )
            await uow.factors.insert(a_factor(3, FactorKind.PASSKEY, account_id="acc_2"))
            await uow.factors.add_backup_codes("fac_2", ["d1", "d2", "d3"])

        await run(uow_store, seed)
        listed = await run(uow_store, lambda uow: uow.factors.list("acc_1"))
        assert [(f.id, f.kind, f.status, f.remaining) for f in listed] == [
            ("fac_1", FactorKind.TOTP, FactorStatus.PENDING, None),
            ("fac_2", FactorKind.BACKUP_CODES, FactorStatus.ACTIVE, 3),
        ]
        assert await run(uow_store, lambda uow: uow.factors.get("acc_2", "fac_1")) is None

    async def test_a_backup_code_is_spent_once_and_only_from_the_active_set(
        self, uow_store: Store
    ) -> None:
        await given_accounts(uow_store, an_account(1), an_account(2))

        async def seed(uow: UnitOfWork) -> None:
            await uow.factors.insert(a_factor(1, FactorKind.BACKUP_CODES))
            await uow.factors.add_backup_codes("fac_1", ["d1", "d2"])

        await run(uow_store, seed)

        async def use(account: str, digests: list[str]) -> bool:
            return await run(
                uow_store, lambda uow: uow.factors.use_backup_code(account, digests, at(60))
            )

        assert await use("acc_2", ["d1"]) is False  # another account's code
        assert await use("acc_1", ["x", "d1"]) is True
        assert await use("acc_1", ["d1"]) is False
        (codes,) = await run(uow_store, lambda uow: uow.factors.list("acc_1"))
        assert codes.remaining == 1 and codes.last_used_at == at(60)
        assert (
            await run(
                uow_store, lambda uow: uow.factors.delete_kind("acc_1", FactorKind.BACKUP_CODES)
            )
            == 1
        )
        assert await use("acc_1", ["d2"]) is False  # the set and its codes are gone

    async def test_a_totp_step_moves_only_forward(self, uow_store: Store) -> None:
        await given_accounts(uow_store)
        await run(
            uow_store,
            lambda uow: uow.factors.insert(
                a_factor(1, FactorKind.TOTP, FactorStatus.PENDING), secret_sealed=b"sealed"
            ),
        )
        assert await run(uow_store, lambda uow: uow.factors.totp_secret("acc_1")) is None  # pending
        secret = await run(uow_store, lambda uow: uow.factors.totp_secret("acc_1", "fac_1"))
        assert secret is not None and (secret.sealed, secret.last_step) == (b"sealed", None)

        async def step(n: int) -> bool:
            return await run(uow_store, lambda uow: uow.factors.use_totp_step("fac_1", n, at(1)))

        assert await step(10) is True
        assert await step(10) is False and await step(9) is False
        assert await step(11) is True
        assert await run(uow_store, lambda uow: uow.factors.activate("acc_1", "fac_1", at(2)))
        assert not await run(uow_store, lambda uow: uow.factors.activate("acc_1", "fac_1", at(3)))
        active = await run(uow_store, lambda uow: uow.factors.totp_secret("acc_1"))
        assert active is not None and active.last_step == 11

    async def test_a_passkey_registers_once_and_counts_forward(self, uow_store: Store) -> None:
        await given_accounts(uow_store, an_account(1), an_account(2))

        async def seed(uow: UnitOfWork) -> None:
            await uow.factors.insert(a_factor(1, FactorKind.PASSKEY, FactorStatus.PENDING))
            await uow.factors.insert(a_factor(2, FactorKind.PASSKEY, FactorStatus.PENDING, "acc_2"))

        await run(uow_store, seed)
        assert await run(uow_store, lambda uow: uow.passkeys.by_credential("cred1")) is None
        assert await run(uow_store, lambda uow: uow.passkeys.register(a_credential("fac_1"), at(5)))
        again = await run(
            uow_store, lambda uow: uow.passkeys.register(a_credential("fac_1"), at(6))
        )
        assert again is False
        found = await run(uow_store, lambda uow: uow.passkeys.by_credential("cred1"))
        assert found == a_credential("fac_1")
        assert await run(uow_store, lambda uow: uow.passkeys.user_handle("acc_1")) == "handle"
        assert await run(uow_store, lambda uow: uow.passkeys.user_handle("acc_2")) is None

        async def count(old: int, new: int) -> bool:
            return await run(
                uow_store, lambda uow: uow.passkeys.count_used("fac_1", old, new, at(7))
            )

        assert await count(1, 2) is True and await count(1, 3) is False
        with pytest.raises((IntegrityError, IntegrityViolation)):
            await run(
                uow_store,
                lambda uow: uow.passkeys.register(a_credential("fac_2", account_id="acc_2"), at(8)),
            )

    async def test_a_ceremony_is_taken_once_while_it_lives(self, uow_store: Store) -> None:
        await given_accounts(uow_store)
        ceremony = Ceremony("d" * 64, "acc_1", "assert", "ch_1", T0, at(180))
        await run(uow_store, lambda uow: uow.passkeys.add_ceremony(ceremony))

        async def take(purpose: str, target: str, when: datetime, digest: str = "d" * 64) -> Any:
            return await run(
                uow_store, lambda uow: uow.passkeys.take_ceremony(digest, purpose, target, when)
            )

        assert await take("register", "ch_1", at(1)) is None
        assert await take("assert", "ch_2", at(1)) is None
        assert await take("assert", "ch_1", at(180)) is None  # expired
        assert await take("assert", "ch_1", at(1)) == ceremony
        assert await take("assert", "ch_1", at(2)) is None
        stale = Ceremony("e" * 64, "acc_1", "assert", "ch_1", T0, at(10))
        await run(uow_store, lambda uow: uow.passkeys.add_ceremony(stale))
        await run(uow_store, lambda uow: uow.passkeys.purge_ceremonies(at(11)))
        assert await take("assert", "ch_1", at(5), "e" * 64) is None


class TestFactorStores(FactorsContract):
    pass
