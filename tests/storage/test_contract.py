"""The storage contract: every ``Store`` passes these tests — the in-memory fake, SQLite and
PostgreSQL alike — so the fake the service tests run on cannot drift from the SQL adapters.

A new implementation joins by subclassing ``StoreContract`` with a ``uow_store`` fixture that
yields an empty, migrated ``Store`` (``conftest.py`` has the three used here). Times are
fixed values, never the wall clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime

import pytest
from sqlalchemy.exc import IntegrityError

from otpgate.adapters.storage.sessions import LISTED
from otpgate.domain.actions import ActionType
from otpgate.domain.addresses import Address
from otpgate.domain.challenges import (
    Challenge,
    ConfirmPhone,
    Decoy,
    ForAccount,
    Purpose,
    SignIn,
    Status,
    StepUp,
    Takeover,
)
from otpgate.domain.errors import Conflict
from otpgate.domain.policy import StreakRule
from otpgate.services.storage import (
    AccountChanges,
    CardChanges,
    Claim,
    Store,
    UnitOfWork,
)
from tests.fakes.storage import IntegrityViolation
from tests.storage.builders import (
    CTX,
    T0,
    a_card,
    a_challenge,
    a_device,
    a_message,
    a_session,
    address_fields,
    an_account,
    an_event,
    at,
    given_accounts,
    given_challenges,
    read_challenge,
    run,
    step_up,
)

STREAK = StreakRule(limit=3, pauses=(900, 1800, *[3600] * 15))


async def claimed_by(
    uow: UnitOfWork, challenge_id: str, now: datetime, *, session_id: str | None = None
) -> Challenge | None:
    """The challenge an attempt was claimed on, or None."""
    claim = await uow.challenges.claim_attempt(
        challenge_id, now, session_id=session_id, streak=STREAK
    )
    return claim.challenge


class StoreContract:
    """What every implementation of the storage ports does; see the module docstring."""

    # -- transactions ------------------------------------------------------------------------

    async def test_a_transaction_commits_or_rolls_back_as_a_whole(self, uow_store: Store) -> None:
        await given_accounts(uow_store, an_account(1))
        with pytest.raises(RuntimeError, match="boom"):
            async with uow_store.transaction() as uow:
                await uow.accounts.insert(an_account(2))
                await uow.accounts.update("acc_1", {"name": "Changed"})
                raise RuntimeError("boom")
        assert await run(uow_store, lambda uow: uow.accounts.get("acc_2")) is None
        kept = await run(uow_store, lambda uow: uow.accounts.get("acc_1"))
        assert kept is not None and kept.name == "Customer 1"
        assert await uow_store.ping() is True

    async def test_a_savepoint_undoes_only_its_own_block(self, uow_store: Store) -> None:
        async with uow_store.transaction() as uow:
            await uow.accounts.insert(an_account(1))
            with pytest.raises(RuntimeError):
                async with uow.savepoint():
                    await uow.accounts.insert(an_account(2))
                    await uow.accounts.update("acc_1", {"name": "Inside"})
                    raise RuntimeError("undo")
            async with uow.savepoint():
                await uow.accounts.insert(an_account(3))
            assert await uow.accounts.get("acc_2") is None
        async with uow_store.transaction() as uow:
            found = [await uow.accounts.get(f"acc_{n}") for n in (1, 2, 3)]
        assert [a.name if a else None for a in found] == ["Customer 1", None, "Customer 3"]

    async def test_concurrent_claims_spend_exactly_the_attempts_there_are(
        self, uow_store: Store
    ) -> None:
        await given_accounts(uow_store)
        await given_challenges(uow_store, a_challenge("ch_1", ForAccount("acc_1"), max_attempts=3))

        async def claim() -> Challenge | None:
            return await run(uow_store, lambda uow: claimed_by(uow, "ch_1", T0))

        async def approve() -> bool:
            return await run(uow_store, lambda uow: uow.challenges.approve("ch_1", T0))

        claims = await asyncio.gather(*(claim() for _ in range(6)))
        assert sorted(c.attempts for c in claims if c is not None) == [1, 2, 3]
        assert sorted(await asyncio.gather(*(approve() for _ in range(4)))) == [False] * 3 + [True]

    # -- accounts ------------------------------------------------------------------------

    async def test_account_insert_and_lookups(self, uow_store: Store) -> None:
        # The streak columns start at zero whatever the value says.
        given = an_account(1, code_fail_streak=3, code_lockouts=2, code_locked_until=at(60))
        await given_accounts(uow_store, given)
        found = await run(uow_store, lambda uow: uow.accounts.get("acc_1"))
        assert found == replace(given, code_fail_streak=0, code_lockouts=0, code_locked_until=None)
        assert (
            await run(uow_store, lambda uow: uow.accounts.get_by_email("c1@example.com")) == found
        )
        assert await run(uow_store, lambda uow: uow.accounts.get_by_email("C1@example.com")) is None
        assert await run(uow_store, lambda uow: uow.accounts.get("acc_9")) is None

    async def test_a_taken_email_is_a_conflict_on_insert_and_update(self, uow_store: Store) -> None:
        await given_accounts(uow_store, an_account(1), an_account(2))
        async with uow_store.transaction() as uow:
            with pytest.raises(Conflict):
                async with uow.savepoint():
                    await uow.accounts.insert(an_account(3, email="c1@example.com"))
            with pytest.raises(Conflict):
                async with uow.savepoint():
                    await uow.accounts.update("acc_2", {"name": "X", "email": "c1@example.com"})
            await uow.accounts.update("acc_1", {"email": "c1@example.com"})  # its own: fine
            await uow.accounts.update("acc_9", {"email": "c2@example.com"})  # no such account
        second = await run(uow_store, lambda uow: uow.accounts.get("acc_2"))
        assert second == an_account(2)
        assert await run(uow_store, lambda uow: uow.accounts.get("acc_3")) is None

    async def test_account_update_sets_the_columns_given(self, uow_store: Store) -> None:
        await given_accounts(uow_store, an_account(1, phone_verified=False))
        changes: AccountChanges = {
            "name": "Ada",
            "email": "ada@example.com",
            "phone": "+14155552699",
            "password_hash": "new-hash",
            "phone_verified": True,
            "phone_verified_at": at(5),
        }
        await run(uow_store, lambda uow: uow.accounts.update("acc_1", changes))
        found = await run(uow_store, lambda uow: uow.accounts.get("acc_1"))
        assert found == replace(
            an_account(1),
            name="Ada",
            email="ada@example.com",
            phone="+14155552699",
            password_hash="new-hash",
            phone_verified=True,
        )

    async def test_claims_count_the_streak_and_pause_at_its_limit(self, uow_store: Store) -> None:
        await given_accounts(uow_store)
        await given_challenges(
            uow_store,
            *(
                a_challenge(f"ch_{n}", ForAccount("acc_1"), max_attempts=5, expires_at=at(5000))
                for n in (1, 2)
            ),
        )
        async with uow_store.transaction() as uow:
            first = await uow.challenges.claim_attempt(
                "ch_1", at(1), session_id=None, streak=STREAK
            )
            second = await uow.challenges.claim_attempt(
                "ch_2", at(2), session_id=None, streak=STREAK
            )
            third = await uow.challenges.claim_attempt(
                "ch_1", at(3), session_id=None, streak=STREAK
            )
            refused = await uow.challenges.claim_attempt(
                "ch_2", at(4), session_id=None, streak=STREAK
            )
        assert first.challenge is not None and first.pause_started is None
        assert second.challenge is not None and second.pause_started is None
        assert third.challenge is not None and third.pause_started == at(3 + 900)
        assert refused == Claim(None, paused_until=at(3 + 900))
        paused = await run(uow_store, lambda uow: uow.accounts.get("acc_1"))
        assert paused is not None
        assert (paused.code_fail_streak, paused.code_lockouts) == (0, 1)
        # After the pause the next pause doubles; a right answer clears everything.
        async with uow_store.transaction() as uow:
            for n in range(3):
                again = await uow.challenges.claim_attempt(
                    "ch_2", at(904 + n), session_id=None, streak=STREAK
                )
        assert again.pause_started == at(906 + 1800)
        await run(uow_store, lambda uow: uow.accounts.reset_streak("acc_1"))
        assert await run(uow_store, lambda uow: uow.accounts.get("acc_1")) == an_account(1)

    async def test_concurrent_claims_on_one_account_stop_at_the_streak_limit(
        self, uow_store: Store
    ) -> None:
        """S43: under concurrency, at most the streak limit of answers is compared."""
        await given_accounts(uow_store)
        await given_challenges(
            uow_store,
            *(a_challenge(f"ch_{n}", ForAccount("acc_1"), max_attempts=5) for n in range(5)),
        )

        async def claim(n: int) -> Claim:
            async with uow_store.autocommit() as uow:
                return await uow.challenges.claim_attempt(
                    f"ch_{n % 5}", at(1), session_id=None, streak=STREAK
                )

        claims = await asyncio.gather(*(claim(n) for n in range(20)))
        assert sum(c.challenge is not None for c in claims) == STREAK.limit
        assert sum(c.pause_started is not None for c in claims) == 1
        assert all(c.paused_until == at(901) for c in claims if c.challenge is None)

    async def test_a_step_up_is_claimed_only_by_its_session(self, uow_store: Store) -> None:
        await given_accounts(uow_store)
        update = step_up(ActionType.UPDATE_PROFILE, {"name": "Ada"}, session_id="se_1")
        await given_challenges(uow_store, a_challenge("ch_1", ForAccount("acc_1"), update))
        async with uow_store.transaction() as uow:
            assert await claimed_by(uow, "ch_1", at(1), session_id="se_2") is None
            assert await claimed_by(uow, "ch_1", at(1)) is None
            claimed = await claimed_by(uow, "ch_1", at(1), session_id="se_1")
        assert claimed is not None and claimed.attempts == 1
        account = await run(uow_store, lambda uow: uow.accounts.get("acc_1"))
        assert account is not None and account.code_fail_streak == 1

    async def test_a_decoy_is_claimed_without_a_streak(self, uow_store: Store) -> None:
        await given_challenges(uow_store, a_challenge("ch_1", Decoy(), ConfirmPhone()))
        async with uow_store.transaction() as uow:
            claimed = await uow.challenges.claim_attempt(
                "ch_1", at(1), session_id=None, streak=STREAK
            )
        assert claimed.challenge is not None and claimed.pause_started is None

    # -- challenges ------------------------------------------------------------------------

    async def test_every_subject_and_intent_round_trips(self, uow_store: Store) -> None:
        await given_accounts(uow_store)
        takeover = Takeover("acc_1", "New Name", "+14155552650", "new-hash")
        challenges = [
            a_challenge("ch_1", ForAccount("acc_1"), SignIn(remember_device=True)),
            a_challenge("ch_2", ForAccount("acc_1"), SignIn()),
            a_challenge("ch_3", ForAccount("acc_1"), ConfirmPhone(), attempts=2, sends=3),
            a_challenge("ch_4", Decoy(), ConfirmPhone()),
            a_challenge("ch_5", takeover, ConfirmPhone()),
            a_challenge("ch_6", ForAccount("acc_1"), step_up(ActionType.UPDATE_PROFILE, {"n": 1})),
            a_challenge("ch_7", ForAccount("acc_1"), ConfirmPhone(), status=Status.APPROVED),
        ]
        await given_challenges(uow_store, *challenges)
        for challenge in challenges:
            assert await read_challenge(uow_store, challenge.id) == challenge
        assert await run(uow_store, lambda uow: uow.challenges.get("ch_9")) is None

    async def test_claim_attempt_spends_one_while_any_is_left(self, uow_store: Store) -> None:
        await given_accounts(uow_store)
        await given_challenges(
            uow_store,
            a_challenge("ch_1", ForAccount("acc_1"), max_attempts=2),
            a_challenge("ch_2", ForAccount("acc_1"), status=Status.APPROVED),
        )
        async with uow_store.transaction() as uow:
            await uow.messages.add(a_message("sms_1", "ch_1", T0, "sent"))
        async with uow_store.transaction() as uow:
            first = await claimed_by(uow, "ch_1", at(10))
            # RETURNING has no delivery subquery: only ``get`` reads delivery_status.
            assert first == a_challenge("ch_1", ForAccount("acc_1"), max_attempts=2, attempts=1)
            second = await claimed_by(uow, "ch_1", at(10))
            assert second is not None and second.attempts == 2
            assert await claimed_by(uow, "ch_1", at(10)) is None
            assert await claimed_by(uow, "ch_2", at(10)) is None
            assert await claimed_by(uow, "ch_9", at(10)) is None
        assert (await read_challenge(uow_store, "ch_1")).attempts == 2

    async def test_claim_attempt_refuses_at_and_after_expiry(self, uow_store: Store) -> None:
        await given_accounts(uow_store)
        await given_challenges(uow_store, a_challenge("ch_1", ForAccount("acc_1")))
        async with uow_store.transaction() as uow:
            assert await claimed_by(uow, "ch_1", at(300)) is None
            assert await claimed_by(uow, "ch_1", at(301)) is None
            claimed = await claimed_by(uow, "ch_1", at(299))
            assert claimed is not None and claimed.attempts == 1

    async def test_approve_and_end_move_only_from_the_expected_status(
        self, uow_store: Store
    ) -> None:
        await given_accounts(uow_store)
        await given_challenges(
            uow_store,
            a_challenge("ch_1", ForAccount("acc_1")),
            a_challenge("ch_2", ForAccount("acc_1")),
        )
        async with uow_store.transaction() as uow:
            assert await uow.challenges.approve("ch_1", at(1)) is True
            assert await uow.challenges.approve("ch_1", at(2)) is False
            assert await uow.challenges.end("ch_1", Status.FAILED, at(2)) is False
            assert await uow.challenges.end("ch_1", Status.CANCELED, at(2), Status.APPROVED)
            assert (
                await uow.challenges.end("ch_1", Status.CANCELED, at(2), Status.APPROVED) is False
            )
            assert await uow.challenges.end("ch_2", Status.FAILED, at(3)) is True
            assert await uow.challenges.end("ch_9", Status.FAILED, at(3)) is False
            assert await uow.challenges.approve("ch_2", at(3)) is False
        assert (await read_challenge(uow_store, "ch_1")).status is Status.CANCELED
        assert (await read_challenge(uow_store, "ch_2")).status is Status.FAILED

    async def test_ending_scrubs_new_password_hashes_and_takeovers(self, uow_store: Store) -> None:
        await given_accounts(uow_store)
        password = step_up(ActionType.CHANGE_PASSWORD, {"password_hash": "argon2-new"})
        profile = step_up(ActionType.UPDATE_PROFILE, {"name": "New"})
        takeover = Takeover("acc_1", "New Name", "+14155552650", "argon2-taken")
        await given_challenges(
            uow_store,
            a_challenge("ch_pw", ForAccount("acc_1"), password),
            a_challenge("ch_pr", ForAccount("acc_1"), profile),
            a_challenge("ch_to", takeover, ConfirmPhone()),
            a_challenge("ch_pw2", ForAccount("acc_1"), password),
        )
        async with uow_store.transaction() as uow:
            assert await uow.challenges.approve("ch_pw", at(1))
            assert await uow.challenges.approve("ch_pr", at(1))
            assert await uow.challenges.end("ch_to", Status.APPROVED, at(1))
            await uow.challenges.cancel_pending("acc_1", Purpose.STEP_UP, at(2))
        for challenge_id in ("ch_pw", "ch_pw2"):
            ended = await read_challenge(uow_store, challenge_id)
            assert ended.intent == StepUp("se_1", replace(password.action, payload="{}"))
            assert "argon2-new" not in repr(ended)
        assert (await read_challenge(uow_store, "ch_pr")).intent == profile
        ended_takeover = await read_challenge(uow_store, "ch_to")
        assert ended_takeover.subject == Takeover("", "", "", "")
        assert ended_takeover.status is Status.APPROVED

    async def test_replace_code_only_if_nobody_resent_since(self, uow_store: Store) -> None:
        await given_accounts(uow_store)
        await given_challenges(
            uow_store,
            a_challenge("ch_1", ForAccount("acc_1"), attempts=2),
            a_challenge("ch_2", ForAccount("acc_1"), status=Status.FAILED),
        )
        async with uow_store.transaction() as uow:
            assert await uow.challenges.replace_code("ch_1", "e" * 64, 1, at(30), at(330))
            assert not await uow.challenges.replace_code("ch_1", "f" * 64, 1, at(31), at(331))
            assert not await uow.challenges.replace_code("ch_2", "f" * 64, 1, at(31), at(331))
            assert not await uow.challenges.replace_code("ch_9", "f" * 64, 1, at(31), at(331))
        renewed = await read_challenge(uow_store, "ch_1")
        assert renewed == a_challenge(
            "ch_1",
            ForAccount("acc_1"),
            attempts=2,  # a resend does not give attempts back
            code_digest="e" * 64,
            sends=2,
            last_sent_at=at(30),
            expires_at=at(330),
        )

    async def test_cancel_pending_ends_the_accounts_pending_of_one_purpose(
        self, uow_store: Store
    ) -> None:
        await given_accounts(uow_store, an_account(1), an_account(2))
        takeover = Takeover("acc_1", "N", "+14155552650", "h")
        await given_challenges(
            uow_store,
            a_challenge("ch_1", ForAccount("acc_1"), SignIn()),
            a_challenge("ch_2", ForAccount("acc_1"), SignIn(), expires_at=at(-1)),
            a_challenge("ch_3", ForAccount("acc_1"), ConfirmPhone()),
            a_challenge("ch_4", ForAccount("acc_2"), SignIn()),
            a_challenge("ch_5", ForAccount("acc_1"), SignIn(), status=Status.APPROVED),
            a_challenge("ch_6", takeover, ConfirmPhone()),
            a_challenge("ch_7", Decoy(), SignIn()),
        )
        async with uow_store.transaction() as uow:
            await uow.challenges.cancel_pending("acc_1", Purpose.SIGN_IN, at(5))
            await uow.challenges.cancel_pending("acc_1", Purpose.VERIFY_PHONE, at(5))
            await uow.challenges.cancel_pending("acc_1", Purpose.VERIFY_PHONE, at(6))
        statuses = {
            cid: (await read_challenge(uow_store, cid)).status
            for cid in ("ch_1", "ch_2", "ch_3", "ch_4", "ch_5", "ch_6", "ch_7")
        }
        assert statuses == {
            "ch_1": Status.CANCELED,
            "ch_2": Status.CANCELED,  # overdue but still pending: canceled too
            "ch_3": Status.CANCELED,
            "ch_4": Status.PENDING,
            "ch_5": Status.APPROVED,
            "ch_6": Status.PENDING,  # a takeover is bound to no account id
            "ch_7": Status.PENDING,
        }

    async def test_expire_overdue_returns_what_it_expired(self, uow_store: Store) -> None:
        await given_accounts(uow_store, an_account(1), an_account(2))
        password = step_up(ActionType.CHANGE_PASSWORD, {"password_hash": "argon2-new"})
        await given_challenges(
            uow_store,
            a_challenge("ch_1", ForAccount("acc_1"), expires_at=at(100)),
            a_challenge("ch_2", ForAccount("acc_1"), password, expires_at=at(50)),
            a_challenge("ch_3", ForAccount("acc_1"), expires_at=at(101)),
            a_challenge("ch_4", ForAccount("acc_1"), expires_at=at(10), status=Status.FAILED),
            a_challenge("ch_5", ForAccount("acc_2"), expires_at=at(10)),
        )
        async with uow_store.transaction() as uow:
            await uow.messages.add(a_message("sms_1", "ch_1", T0, "sent"))
        expired = await run(uow_store, lambda uow: uow.challenges.expire_overdue("acc_1", at(100)))
        assert sorted(expired, key=lambda c: c.id) == [
            a_challenge("ch_1", ForAccount("acc_1"), expires_at=at(100), status=Status.EXPIRED),
            a_challenge(
                "ch_2",
                ForAccount("acc_1"),
                StepUp("se_1", replace(password.action, payload="{}")),
                expires_at=at(50),
                status=Status.EXPIRED,
            ),
        ]
        again = await run(uow_store, lambda uow: uow.challenges.expire_overdue("acc_1", at(100)))
        assert list(again) == []
        assert (await read_challenge(uow_store, "ch_3")).status is Status.PENDING
        assert (await read_challenge(uow_store, "ch_4")).status is Status.FAILED
        assert (await read_challenge(uow_store, "ch_5")).status is Status.PENDING

    async def test_get_reads_the_status_of_the_newest_message(self, uow_store: Store) -> None:
        await given_accounts(uow_store)
        await given_challenges(
            uow_store,
            a_challenge("ch_1", ForAccount("acc_1")),
            a_challenge("ch_2", ForAccount("acc_1")),
        )
        assert (await read_challenge(uow_store, "ch_1")).delivery_status is None
        async with uow_store.transaction() as uow:
            await uow.messages.add(a_message("sms_m", "ch_1", at(30), "sent"))
            await uow.messages.add(a_message("sms_z", "ch_1", at(0), "failed"))  # older
            await uow.messages.add(a_message("sms_n", "ch_2", at(60), "queued"))
            await uow.messages.add(a_message("sms_x", None, at(90), "failed"))
        assert (await read_challenge(uow_store, "ch_1")).delivery_status == "sent"
        assert (await read_challenge(uow_store, "ch_2")).delivery_status == "queued"
        async with uow_store.transaction() as uow:
            # At the same moment the greatest id wins (sms_y > sms_p > sms_n).
            await uow.messages.add(a_message("sms_y", "ch_2", at(60), "delivered"))
            await uow.messages.add(a_message("sms_p", "ch_2", at(60), "failed"))
        assert (await read_challenge(uow_store, "ch_2")).delivery_status == "delivered"

    async def test_rows_naming_missing_rows_are_refused(self, uow_store: Store) -> None:
        refused = (IntegrityError, IntegrityViolation)
        writes: list[Callable[[UnitOfWork], Awaitable[None]]] = [
            lambda uow: uow.challenges.insert(a_challenge("ch_1", ForAccount("acc_9")), CTX),
            lambda uow: uow.messages.add(a_message("sms_1", "ch_9", T0, "queued")),
            lambda uow: uow.sessions.insert_session(a_session(1, "acc_9"), "h1", None),
            lambda uow: uow.sessions.insert_device(a_device(1, "acc_9"), "h1"),
            lambda uow: uow.audit.add(an_event("acc_9", "ok")),
            lambda uow: uow.wallet.insert_address("acc_9", "adr_1", address_fields(), False, T0),
        ]
        for write in writes:
            with pytest.raises(refused):
                await run(uow_store, write)
        # A card's insert maps every integrity error to Conflict.
        with pytest.raises(Conflict):
            await run(uow_store, lambda uow: uow.wallet.insert_card(a_card(1, "acc_9"), T0))

    # -- sessions and devices ----------------------------------------------------------------

    async def test_a_session_round_trips_by_token_hash(self, uow_store: Store) -> None:
        await given_accounts(uow_store)
        bare = a_session(1, ip=None, user_agent=None, revoked_at=at(1))
        async with uow_store.transaction() as uow:
            await uow.sessions.insert_session(a_session(2), "hash-2", "dv_1")
            await uow.sessions.insert_session(bare, "hash-1", None)
        async with uow_store.transaction() as uow:
            # A missing ip or user agent reads back empty; a new session is never revoked.
            assert await uow.sessions.session_by_token_hash("hash-1") == replace(
                bare, ip="", user_agent="", revoked_at=None
            )
            assert await uow.sessions.session_by_token_hash("hash-2") == a_session(2)
            assert await uow.sessions.session_by_token_hash("hash-9") is None
            await uow.sessions.touch_session("se_2", at(500))
            await uow.sessions.touch_session("se_9", at(500))
        touched = await run(uow_store, lambda uow: uow.sessions.session_by_token_hash("hash-2"))
        assert touched == a_session(2, last_seen_at=at(500))

    async def test_a_customer_is_read_with_its_session_in_one_go(self, uow_store: Store) -> None:
        await given_accounts(uow_store, an_account(1), an_account(2))
        async with uow_store.transaction() as uow:
            await uow.sessions.insert_session(a_session(1), "hash-1", None)
            await uow.sessions.insert_session(a_session(2, account_id="acc_2"), "hash-2", None)
        async with uow_store.autocommit() as uow:
            found = await uow.sessions.customer_by_token_hash("hash-2")
            missing = await uow.sessions.customer_by_token_hash("hash-9")
        assert found == (a_session(2, account_id="acc_2"), an_account(2))
        assert missing is None

    async def test_revoking_sessions(self, uow_store: Store) -> None:
        await given_accounts(uow_store, an_account(1), an_account(2))
        async with uow_store.transaction() as uow:
            for n in range(1, 5):
                await uow.sessions.insert_session(a_session(n), f"hash-{n}", None)
            await uow.sessions.insert_session(a_session(5, expires_at=at(-1)), "hash-5", None)
            await uow.sessions.insert_session(a_session(6, "acc_2"), "hash-6", None)
        async with uow_store.transaction() as uow:
            assert await uow.sessions.revoke_session("se_1", at(10)) is True
            assert await uow.sessions.revoke_session("se_1", at(11)) is False
            assert await uow.sessions.revoke_session("se_9", at(11)) is False
            assert await uow.sessions.revoke_account_session("acc_2", "se_2", at(12)) is False
            assert await uow.sessions.revoke_account_session("acc_1", "se_2", at(12)) is True
            assert await uow.sessions.revoke_account_session("acc_1", "se_2", at(13)) is False
            # Every unrevoked session but the one kept, the expired se_5 included.
            assert await uow.sessions.revoke_sessions("acc_1", at(14), keep="se_3") == 2
            assert await uow.sessions.revoke_sessions("acc_1", at(15), keep="se_3") == 0
        async with uow_store.transaction() as uow:
            found = {n: await uow.sessions.session_by_token_hash(f"hash-{n}") for n in range(1, 7)}
        revoked = {n: s.revoked_at for n, s in found.items() if s is not None}
        assert revoked == {1: at(10), 2: at(12), 3: None, 4: at(14), 5: at(14), 6: None}
        async with uow_store.transaction() as uow:
            assert await uow.sessions.revoke_sessions("acc_1", at(20)) == 1

    async def test_listed_sessions_are_live_newest_first_and_capped(self, uow_store: Store) -> None:
        await given_accounts(uow_store, an_account(1), an_account(2))
        async with uow_store.transaction() as uow:
            for n in range(1, LISTED + 2):
                await uow.sessions.insert_session(a_session(n), f"hash-{n}", None)
            await uow.sessions.insert_session(a_session(900, expires_at=at(200)), "h-900", None)
            await uow.sessions.insert_session(a_session(901), "h-901", None)
            await uow.sessions.insert_session(a_session(902, "acc_2"), "h-902", None)
            await uow.sessions.revoke_session("se_901", at(1))
        listed = await run(uow_store, lambda uow: uow.sessions.list_sessions("acc_1", at(200)))
        assert [s.id for s in listed] == [f"se_{n}" for n in range(LISTED + 1, 1, -1)]
        few = await run(uow_store, lambda uow: uow.sessions.list_sessions("acc_2", at(200)))
        assert [s.id for s in few] == ["se_902"]

    async def test_a_device_round_trips_and_is_revoked_once(self, uow_store: Store) -> None:
        await given_accounts(uow_store, an_account(1), an_account(2))
        used = a_device(1, last_used_at=at(5), revoked_at=at(6), user_agent=None)
        async with uow_store.transaction() as uow:
            await uow.sessions.insert_device(used, "dev-1")
            await uow.sessions.insert_device(a_device(2), "dev-2")
            await uow.sessions.insert_device(a_device(3, expires_at=at(-1)), "dev-3")
            await uow.sessions.insert_device(a_device(4, "acc_2"), "dev-4")
        async with uow_store.transaction() as uow:
            fresh = replace(used, last_used_at=None, revoked_at=None)
            assert await uow.sessions.device_by_token_hash("dev-1") == fresh
            assert await uow.sessions.device_by_token_hash("dev-9") is None
            await uow.sessions.touch_device("dv_1", at(40))
            assert await uow.sessions.revoke_device("acc_2", "dv_1", at(41)) is False
            assert await uow.sessions.revoke_device("acc_1", "dv_1", at(41)) is True
            assert await uow.sessions.revoke_device("acc_1", "dv_1", at(42)) is False
            # The expired dv_3 counts: it was not revoked.
            assert await uow.sessions.revoke_devices("acc_1", at(43)) == 2
            assert await uow.sessions.revoke_devices("acc_1", at(44)) == 0
        assert await run(uow_store, lambda uow: uow.sessions.device_by_token_hash("dev-1")) == (
            replace(used, last_used_at=at(40), revoked_at=at(41))
        )
        other = await run(uow_store, lambda uow: uow.sessions.device_by_token_hash("dev-4"))
        assert other is not None and other.revoked_at is None

    async def test_listed_devices_are_live_newest_first_and_capped(self, uow_store: Store) -> None:
        await given_accounts(uow_store, an_account(1))
        async with uow_store.transaction() as uow:
            for n in range(1, LISTED + 2):
                await uow.sessions.insert_device(a_device(n), f"dev-{n}")
            await uow.sessions.insert_device(a_device(900, expires_at=at(1000)), "dev-900")
            await uow.sessions.insert_device(a_device(901), "dev-901")
            await uow.sessions.revoke_device("acc_1", "dv_901", at(1))
        listed = await run(uow_store, lambda uow: uow.sessions.list_devices("acc_1", at(1000)))
        assert [d.id for d in listed] == [f"dv_{n}" for n in range(LISTED + 1, 1, -1)]

    # -- audit ---------------------------------------------------------------------------

    async def test_events_are_numbered_and_listed_newest_first(self, uow_store: Store) -> None:
        await given_accounts(uow_store, an_account(1), an_account(2))
        async with uow_store.transaction() as uow:
            for n in range(1, 6):
                await uow.audit.add(an_event("acc_1", f"a{n}", details={"n": n, "pair": (n, n)}))
                await uow.audit.add(an_event("acc_2" if n % 2 else None, f"b{n}"))
        async with uow_store.transaction() as uow:
            newest = await uow.audit.list("acc_1", 2)
            older = await uow.audit.list("acc_1", 10, before_id=newest[-1].id)
            others = await uow.audit.list("acc_2", 10)
        assert [e.id for e in newest] == [9, 7]
        assert [(e.id, e.outcome) for e in older] == [(5, "a3"), (3, "a2"), (1, "a1")]
        assert [e.id for e in others] == [10, 6, 2]
        # Details are JSON (a tuple comes back a list); an event keeps who, what, when.
        assert newest[0] == an_event(
            "acc_1", "a5", id=9, details={"n": 5, "pair": [5, 5]}, ip=None, user_agent=None
        )

    async def test_an_event_keeps_its_request_context(self, uow_store: Store) -> None:
        await given_accounts(uow_store)
        async with uow_store.transaction() as uow:
            await uow.audit.add(an_event("acc_1", "x", ip="203.0.113.7", user_agent="ua/1"))
            await uow.audit.add(an_event("acc_1", "y", ip="", user_agent=""))
        listed = await run(uow_store, lambda uow: uow.audit.list("acc_1", 5))
        assert [(e.ip, e.user_agent) for e in listed] == [(None, None), ("203.0.113.7", "ua/1")]

    # -- the wallet ----------------------------------------------------------------------

    async def test_addresses_list_default_first_then_oldest(self, uow_store: Store) -> None:
        await given_accounts(uow_store, an_account(1), an_account(2))
        async with uow_store.transaction() as uow:
            await uow.wallet.insert_address(
                "acc_1", "adr_1", address_fields("1 A St"), False, at(1)
            )
            await uow.wallet.insert_address("acc_1", "adr_2", address_fields("2 B St"), True, at(2))
            await uow.wallet.insert_address(
                "acc_1", "adr_3", address_fields("3 C St"), False, at(3)
            )
            await uow.wallet.insert_address("acc_2", "adr_4", address_fields("4 D St"), True, at(4))
            await uow.wallet.insert_address("acc_1", "adr_5", address_fields("5 E St"), True, at(0))
        listed = await run(uow_store, lambda uow: uow.wallet.list_addresses("acc_1"))
        # The new default took the flag without bumping the old default's version.
        assert listed == [
            Address("adr_5", "acc_1", address_fields("5 E St"), True, 1),
            Address("adr_1", "acc_1", address_fields("1 A St"), False, 1),
            Address("adr_2", "acc_1", address_fields("2 B St"), False, 1),
            Address("adr_3", "acc_1", address_fields("3 C St"), False, 1),
        ]
        async with uow_store.transaction() as uow:
            assert await uow.wallet.get_address("acc_2", "adr_1") is None
            assert await uow.wallet.get_address("acc_1", "adr_9") is None
            assert await uow.wallet.get_address("acc_2", "adr_4") == Address(
                "adr_4", "acc_2", address_fields("4 D St"), True, 1
            )

    async def test_address_updates_are_conditional_on_the_version(self, uow_store: Store) -> None:
        await given_accounts(uow_store, an_account(1), an_account(2))
        async with uow_store.transaction() as uow:
            await uow.wallet.insert_address("acc_1", "adr_1", address_fields("1 A St"), True, at(1))
            await uow.wallet.insert_address(
                "acc_1", "adr_2", address_fields("2 B St"), False, at(2)
            )
        new = address_fields("9 New St")
        async with uow_store.transaction() as uow:
            # Stale, foreign or missing: False, and nothing changes (not even the default).
            assert not await uow.wallet.update_address("acc_1", "adr_2", 2, new, True, at(5))
            assert not await uow.wallet.update_address("acc_2", "adr_2", 1, new, True, at(5))
            assert not await uow.wallet.update_address("acc_1", "adr_9", 1, new, True, at(5))
            assert await uow.wallet.list_addresses("acc_1") == [
                Address("adr_1", "acc_1", address_fields("1 A St"), True, 1),
                Address("adr_2", "acc_1", address_fields("2 B St"), False, 1),
            ]
            assert await uow.wallet.update_address("acc_1", "adr_2", 1, new, True, at(5))
            assert not await uow.wallet.update_address("acc_1", "adr_2", 1, new, True, at(6))
        assert await run(uow_store, lambda uow: uow.wallet.list_addresses("acc_1")) == [
            Address("adr_2", "acc_1", new, True, 2),
            Address("adr_1", "acc_1", address_fields("1 A St"), False, 1),
        ]

    async def test_address_deletes_are_conditional_and_unlink_cards(self, uow_store: Store) -> None:
        await given_accounts(uow_store)
        async with uow_store.transaction() as uow:
            await uow.wallet.insert_address("acc_1", "adr_1", address_fields(), True, at(1))
            await uow.wallet.insert_card(a_card(1, billing_address_id="adr_1"), at(2))
            await uow.wallet.update_address("acc_1", "adr_1", 1, address_fields(), True, at(3))
        async with uow_store.transaction() as uow:
            assert not await uow.wallet.delete_address("acc_1", "adr_1", 1)
            assert not await uow.wallet.delete_address("acc_2", "adr_1", 2)
            assert await uow.wallet.delete_address("acc_1", "adr_1", 2)
            assert not await uow.wallet.delete_address("acc_1", "adr_1", 2)
        assert await run(uow_store, lambda uow: uow.wallet.list_addresses("acc_1")) == []
        # billing_address_id is ON DELETE SET NULL: the card stays, at its version.
        card = await run(uow_store, lambda uow: uow.wallet.get_card("acc_1", "pm_1"))
        assert card == a_card(1)

    async def test_cards_list_default_first_and_refuse_duplicates(self, uow_store: Store) -> None:
        await given_accounts(uow_store, an_account(1), an_account(2))
        async with uow_store.transaction() as uow:
            await uow.wallet.insert_card(a_card(1, is_default=True, version=7), at(1))
            await uow.wallet.insert_card(a_card(2), at(2))
            await uow.wallet.insert_card(a_card(3, is_default=True), at(3))
            await uow.wallet.insert_card(a_card(4, "acc_2", fingerprint="fp-1"), at(4))
            with pytest.raises(Conflict):
                async with uow.savepoint():
                    await uow.wallet.insert_card(
                        a_card(5, fingerprint="fp-2", is_default=True), at(5)
                    )
        # A new card is at version 1; the refused one took nothing, not even the default.
        assert await run(uow_store, lambda uow: uow.wallet.list_cards("acc_1")) == [
            a_card(3, is_default=True),
            a_card(1),
            a_card(2),
        ]
        async with uow_store.transaction() as uow:
            assert await uow.wallet.get_card("acc_2", "pm_4") == a_card(
                4, "acc_2", fingerprint="fp-1"
            )
            assert await uow.wallet.get_card("acc_2", "pm_1") is None

    async def test_card_updates_are_conditional_on_the_version(self, uow_store: Store) -> None:
        await given_accounts(uow_store, an_account(1), an_account(2))
        async with uow_store.transaction() as uow:
            await uow.wallet.insert_address("acc_1", "adr_1", address_fields(), True, at(1))
            await uow.wallet.insert_card(a_card(1, is_default=True), at(1))
            await uow.wallet.insert_card(a_card(2), at(2))
        changes: CardChanges = {"exp_month": 1, "exp_year": 2031, "billing_address_id": "adr_1"}
        async with uow_store.transaction() as uow:
            assert not await uow.wallet.update_card("acc_1", "pm_2", 2, {"is_default": True}, at(3))
            assert not await uow.wallet.update_card("acc_2", "pm_2", 1, {"is_default": True}, at(3))
            assert await uow.wallet.list_cards("acc_1") == [a_card(1, is_default=True), a_card(2)]
            assert await uow.wallet.update_card("acc_1", "pm_2", 1, changes, at(4))
            assert await uow.wallet.update_card("acc_1", "pm_2", 2, {"is_default": True}, at(5))
            assert not await uow.wallet.update_card("acc_1", "pm_2", 2, {"exp_month": 2}, at(6))
        updated = a_card(
            2, exp_month=1, exp_year=2031, billing_address_id="adr_1", is_default=True, version=3
        )
        assert await run(uow_store, lambda uow: uow.wallet.list_cards("acc_1")) == [
            updated,
            a_card(1),
        ]

    async def test_card_deletes_are_conditional_on_the_version(self, uow_store: Store) -> None:
        await given_accounts(uow_store, an_account(1), an_account(2))
        async with uow_store.transaction() as uow:
            await uow.wallet.insert_card(a_card(1), at(1))
            await uow.wallet.update_card("acc_1", "pm_1", 1, {"exp_month": 3}, at(2))
        async with uow_store.transaction() as uow:
            assert not await uow.wallet.delete_card("acc_1", "pm_1", 1)
            assert not await uow.wallet.delete_card("acc_2", "pm_1", 2)
            assert await uow.wallet.delete_card("acc_1", "pm_1", 2)
            assert not await uow.wallet.delete_card("acc_1", "pm_1", 2)
        assert await run(uow_store, lambda uow: uow.wallet.list_cards("acc_1")) == []


class TestStores(StoreContract):
    """The contract on the in-memory fake, on SQLite and on PostgreSQL (the ``uow_store``
    fixture of ``tests/storage/conftest.py``)."""
