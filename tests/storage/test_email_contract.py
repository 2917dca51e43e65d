"""The email ports' contract (``EmailLinks``, ``Recoveries``): the in-memory fake, SQLite and
PostgreSQL alike. A link is spent once; a recovery moves only from the state expected."""

from __future__ import annotations

from typing import Any

from otpgate.services.email_storage import EmailLink, LinkPurpose, Recovery, RecoveryStatus
from otpgate.services.storage import Store
from tests.storage.builders import T0, an_account, at, given_accounts, run


def a_link(n: int, purpose: LinkPurpose = LinkPurpose.CONFIRM_EMAIL, **changes: Any) -> EmailLink:
    values: dict[str, Any] = {
        "id": f"lnk_{n}",
        "account_id": "acc_1",
        "purpose": purpose,
        "token_hash": f"{n:064d}",
        "created_at": T0,
        "expires_at": at(100),
        "email": "new@example.com",
        **changes,
    }
    return EmailLink(**values)


class EmailContract:
    async def test_a_link_is_found_and_taken_once_while_it_lives(self, uow_store: Store) -> None:
        await given_accounts(uow_store)
        link = a_link(1)
        await run(uow_store, lambda uow: uow.email_links.add(link))
        purpose = LinkPurpose.CONFIRM_EMAIL

        async def find(when: float, other: LinkPurpose = purpose) -> Any:
            return await run(
                uow_store, lambda uow: uow.email_links.find(link.token_hash, other, at(when))
            )

        async def take(when: float) -> Any:
            return await run(
                uow_store, lambda uow: uow.email_links.take(link.token_hash, purpose, at(when))
            )

        assert await find(1) == link
        assert await find(1, LinkPurpose.CANCEL_RECOVERY) is None
        assert await find(100) is None  # expired
        taken = await take(5)
        assert taken is not None and taken.used_at == at(5)
        assert await take(6) is None and await find(6) is None

    async def test_voiding_spends_the_unused_links_of_one_purpose_or_target(
        self, uow_store: Store
    ) -> None:
        await given_accounts(uow_store)
        links = [
            a_link(1),
            a_link(2, LinkPurpose.CANCEL_RECOVERY, target_id="rec_1"),
            a_link(3, LinkPurpose.FINISH_RECOVERY, target_id="rec_1"),
            a_link(4, LinkPurpose.FINISH_RECOVERY, target_id="rec_2"),
        ]

        async def seed(uow: Any) -> None:
            for link in links:
                await uow.email_links.add(link)
            await uow.email_links.void("acc_1", LinkPurpose.CONFIRM_EMAIL, at(1))
            await uow.email_links.void_target("rec_1", at(1))

        await run(uow_store, seed)
        usable = [
            await run(
                uow_store, lambda uow, k=k: uow.email_links.find(k.token_hash, k.purpose, at(2))
            )
            for k in links
        ]
        assert [u.id if u else None for u in usable] == [None, None, None, "lnk_4"]

    async def test_one_open_recovery_moves_only_from_the_expected_state(
        self, uow_store: Store
    ) -> None:
        await given_accounts(uow_store, an_account(1))
        recovery = Recovery("rec_1", "acc_1", RecoveryStatus.REQUESTED, T0, at(60))
        await run(uow_store, lambda uow: uow.recoveries.add(recovery))
        assert await run(uow_store, lambda uow: uow.recoveries.open_for("acc_1", at(1))) == recovery
        assert await run(uow_store, lambda uow: uow.recoveries.open_for("acc_1", at(60))) is None
        waiting = {"status": "waiting", "ready_at": at(10), "expires_at": at(100)}
        assert (
            await run(
                uow_store,
                lambda uow: uow.recoveries.move("rec_1", RecoveryStatus.WAITING, waiting),  # type: ignore[arg-type]
            )
            is False
        )
        assert (
            await run(
                uow_store,
                lambda uow: uow.recoveries.move("rec_1", RecoveryStatus.REQUESTED, waiting),  # type: ignore[arg-type]
            )
            is True
        )
        moved = await run(uow_store, lambda uow: uow.recoveries.get("rec_1"))
        assert moved is not None
        assert (moved.status, moved.ready_at, moved.expires_at) == (
            RecoveryStatus.WAITING,
            at(10),
            at(100),
        )
        await run(
            uow_store,
            lambda uow: uow.recoveries.move(
                "rec_1", RecoveryStatus.WAITING, {"challenge_id": "ch_1"}
            ),
        )
        found = await run(uow_store, lambda uow: uow.recoveries.for_challenge("ch_1"))
        assert found is not None and found.id == "rec_1"


class TestEmailStores(EmailContract):
    pass
