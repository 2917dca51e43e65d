"""The delivery ledger's contract: ``MemoryLedger`` and ``SqlDeliveryLedger`` (SQLite and
PostgreSQL) move the outbox's rows the same way, so the delivery tests on the fakes say what
the engine does on a database. A new ledger joins by subclassing ``LedgerContract`` with
``uow_store`` and ``ledger`` fixtures over the same rows.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from otpgate.domain.accounts import EventType, SecurityEvent
from otpgate.domain.challenges import ForAccount
from otpgate.domain.delivery import AttemptOutcome, DeliveryStatus
from otpgate.services.ledger import Claimed, DeliveryLedger, LastAttempt, Receipt
from otpgate.services.storage import Store
from tests.storage.builders import (
    T0,
    a_challenge,
    a_message,
    an_account,
    at,
    given_accounts,
    given_challenges,
    read_challenge,
    run,
)


async def given_messages(store: Store, *messages: tuple[str, float]) -> None:
    """Queued messages of challenge ``ch_1``, each ``(id, created at second)``."""
    await given_accounts(store, an_account(1))
    await given_challenges(store, a_challenge("ch_1", ForAccount("acc_1")))
    async with store.transaction() as uow:
        for message_id, second in messages:
            await uow.messages.add(a_message(message_id, "ch_1", at(second), "queued"))


def claimed(message_id: str, second: float = 0, **changes: Any) -> Claimed:
    """What claiming the message ``a_message`` built looks like."""
    value = Claimed(
        id=message_id,
        channel="sms",
        to="+14155552601",
        purpose="sign_in",
        created_at=at(second),
        expires_at=at(second + 300),
        body_sealed=b"sealed",
        challenge_id="ch_1",
        account_id="acc_1",
        attempts=0,
        rounds=0,
    )
    return replace(value, **changes)


async def delivery_status(store: Store) -> str | None:
    return (await read_challenge(store, "ch_1")).delivery_status


class LedgerContract:
    async def test_claim_takes_a_queued_message_once(
        self, uow_store: Store, ledger: DeliveryLedger
    ) -> None:
        await given_messages(uow_store, ("sms_1", 0))
        assert await ledger.claim("sms_1", at(1)) == claimed("sms_1")
        assert await delivery_status(uow_store) == "sending"
        assert await ledger.claim("sms_1", at(2)) is None
        assert await ledger.claim("sms_9", at(2)) is None

    async def test_attempts_are_numbered_and_the_last_one_is_reclaimed(
        self, uow_store: Store, ledger: DeliveryLedger
    ) -> None:
        await given_messages(uow_store, ("sms_1", 0), ("sms_2", 0))
        await ledger.claim("sms_1", at(1))
        await ledger.claim("sms_2", at(1))
        first = await ledger.start_attempt("sms_1", 1, "twilio", at(1))
        other = await ledger.start_attempt("sms_2", 1, "twilio", at(1))
        await ledger.end_attempt(first, AttemptOutcome.RETRY, at(2), "busy")
        second = await ledger.start_attempt("sms_1", 2, "sns", at(3))
        assert (first, other, second) == (1, 2, 3)
        # Not stale yet: updated at 3, only what is older than 3 is.
        assert await ledger.reclaim_stale("sms_1", at(70), stale_before=at(3)) is None
        found = await ledger.reclaim_stale("sms_1", at(70), stale_before=at(4))
        assert found == (
            claimed("sms_1", attempts=2),
            LastAttempt(3, "sns", AttemptOutcome.SENDING),
        )
        # Reclaiming touched it: it is not stale again at once.
        assert await ledger.reclaim_stale("sms_1", at(71), stale_before=at(60)) is None
        await ledger.end_attempt(second, AttemptOutcome.TIMEOUT, at(72), "slow")
        again = await ledger.reclaim_stale("sms_1", at(200), stale_before=at(100))
        assert again is not None and again[1] == LastAttempt(3, "sns", AttemptOutcome.TIMEOUT)
        assert await ledger.reclaim_stale("sms_9", at(200), stale_before=at(300)) is None
        # The last attempt is the highest number, not the latest row.
        await ledger.start_attempt("sms_2", 5, "sns", at(4))
        await ledger.start_attempt("sms_2", 4, "twilio", at(5))
        found = await ledger.reclaim_stale("sms_2", at(200), stale_before=at(100))
        assert found is not None and found[1] == LastAttempt(4, "sns", AttemptOutcome.SENDING)

    async def test_sent_then_a_receipt_gives_the_final_word(
        self, uow_store: Store, ledger: DeliveryLedger
    ) -> None:
        await given_messages(uow_store, ("sms_1", 0))
        await ledger.claim("sms_1", at(1))
        attempt = await ledger.start_attempt("sms_1", 1, "twilio", at(1))
        await ledger.sent("sms_1", attempt, "twilio", "SM123", at(2))
        assert await delivery_status(uow_store) == "sent"
        assert await ledger.claim("sms_1", at(3)) is None
        assert await ledger.receipt("sns", "SM123", DeliveryStatus.DELIVERED, at(4), None) is None
        assert (
            await ledger.receipt("twilio", "SM999", DeliveryStatus.DELIVERED, at(4), None) is None
        )
        receipt = await ledger.receipt("twilio", "SM123", DeliveryStatus.DELIVERED, at(5), None)
        assert receipt == Receipt(
            "sms_1", "twilio", DeliveryStatus.DELIVERED, at(2), "acc_1", "ch_1"
        )
        assert await delivery_status(uow_store) == "delivered"
        # Final: a second receipt changes nothing.
        assert await ledger.receipt("twilio", "SM123", DeliveryStatus.FAILED, at(6), "x") is None
        assert await delivery_status(uow_store) == "delivered"

    async def test_finish_is_final_and_writes_its_event(
        self, uow_store: Store, ledger: DeliveryLedger
    ) -> None:
        await given_messages(uow_store, ("sms_1", 0), ("sms_2", 0))
        event = SecurityEvent(
            type=EventType.SMS_FAILED, outcome="failed", account_id="acc_1", created_at=at(3)
        )
        await ledger.claim("sms_1", at(1))
        attempt = await ledger.start_attempt("sms_1", 1, "twilio", at(1))
        done = await ledger.finish(
            "sms_1",
            DeliveryStatus.FAILED,
            at(3),
            error="rejected",
            event=event,
            attempt=(attempt, AttemptOutcome.REJECTED),
            rounds=1,
        )
        assert done is True
        assert not await ledger.finish(
            "sms_1", DeliveryStatus.ABANDONED, at(4), error="x", event=event
        )
        # A queued message may be finished too (it expired before any turn).
        assert await ledger.finish("sms_2", DeliveryStatus.ABANDONED, at(5), error="x", event=None)
        events = await run(uow_store, lambda uow: uow.audit.list("acc_1", 10))
        assert [(e.type, e.outcome) for e in events] == [(EventType.SMS_FAILED, "failed")]
        assert await delivery_status(uow_store) == "abandoned"  # sms_2: same moment, greater id

    async def test_requeue_due_and_stale(self, uow_store: Store, ledger: DeliveryLedger) -> None:
        await given_messages(uow_store, ("sms_c", 0), ("sms_a", 1), ("sms_b", 2), ("sms_d", 3))
        # Due when its turn (next_attempt_at, else updated_at) is before queued_before.
        assert await ledger.due(at(10), queued_before=at(2), limit=10) == ["sms_c", "sms_a"]
        assert await ledger.due(at(10), queued_before=at(10), limit=2) == ["sms_c", "sms_a"]
        await ledger.claim("sms_c", at(20))
        await ledger.claim("sms_a", at(15))
        await ledger.claim("sms_b", at(25))
        assert await ledger.stale(stale_before=at(21), limit=10) == ["sms_a", "sms_c"]
        assert await ledger.stale(stale_before=at(30), limit=1) == ["sms_a"]
        await ledger.requeue("sms_c", 1, next_attempt_at=at(60), now=at(21), error="busy")
        await ledger.requeue("sms_d", 1, next_attempt_at=at(0), now=at(21), error="busy")  # queued
        assert await ledger.due(at(30), queued_before=at(59), limit=10) == ["sms_d"]
        assert await ledger.due(at(70), queued_before=at(61), limit=10) == ["sms_c", "sms_d"]
        assert await ledger.claim("sms_c", at(70)) == claimed("sms_c", rounds=1)
        assert await ledger.stale(stale_before=at(30), limit=10) == ["sms_a", "sms_b"]

    async def test_add_event_writes_the_trail(
        self, uow_store: Store, ledger: DeliveryLedger
    ) -> None:
        await given_accounts(uow_store, an_account(1))
        event = SecurityEvent(
            type=EventType.SMS_FAILED, outcome="undelivered", account_id="acc_1", created_at=T0
        )
        await ledger.add_event(event)
        listed = await run(uow_store, lambda uow: uow.audit.list("acc_1", 10))
        assert listed == [replace(event, id=1)]


class TestLedgers(LedgerContract):
    """On the fake and on both SQL engines (fixtures in ``tests/storage/conftest.py``)."""
