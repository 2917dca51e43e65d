"""``MemoryLedger``: the ``DeliveryLedger`` port on a ``MemoryStore``'s tables.

It moves the very message rows the outbox wrote, so a challenge's ``delivery_status`` follows
delivery as it does on SQL. Each method is one transaction and every move is conditional on
the row's status, like ``adapters/storage/delivery.py``, which it mirrors statement by
statement (``tests/storage/test_ledger_contract.py`` holds the two to the same behaviour).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from otpgate.domain.accounts import SecurityEvent
from otpgate.domain.delivery import AttemptOutcome, DeliveryStatus
from otpgate.services.ledger import Claimed, LastAttempt, Receipt
from tests.fakes.storage import MemoryStore
from tests.fakes.tables import StoredAttempt, StoredMessage, Tables, add_event, require

_QUEUED, _SENDING = DeliveryStatus.QUEUED.value, DeliveryStatus.SENDING.value


def _claimed(m: StoredMessage) -> Claimed:
    r = m.record
    return Claimed(
        id=r.id,
        channel=r.channel,
        to=r.to,
        purpose=r.purpose,
        created_at=r.created_at,
        expires_at=r.expires_at,
        body_sealed=m.body_sealed,
        challenge_id=r.challenge_id,
        account_id=r.account_id,
        attempts=m.attempts,
        rounds=m.rounds,
    )


def _clip(text: str | None, size: int) -> str | None:
    return None if text is None else text[:size]


def _end_attempt(
    t: Tables,
    attempt_id: int,
    outcome: AttemptOutcome,
    now: datetime,
    error: str | None,
    provider_message_id: str | None = None,
) -> None:
    for index, attempt in enumerate(t.attempts):
        if attempt.id == attempt_id:
            t.attempts[index] = replace(
                attempt,
                outcome=outcome.value,
                finished_at=now,
                error=_clip(error, 300),
                provider_message_id=_clip(provider_message_id, 100),
            )


class MemoryLedger:
    """Implements ``services.ledger.DeliveryLedger``."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    def _status(self, t: Tables, message_id: str, *statuses: str) -> StoredMessage | None:
        m = t.messages.get(message_id)
        return m if m is not None and m.status in statuses else None

    async def claim(self, message_id: str, now: datetime) -> Claimed | None:
        async with self.store.begin() as t:
            if (m := self._status(t, message_id, _QUEUED)) is None:
                return None
            m.status, m.updated_at = _SENDING, now
            return _claimed(m)

    async def reclaim_stale(
        self, message_id: str, now: datetime, stale_before: datetime
    ) -> tuple[Claimed, LastAttempt | None] | None:
        async with self.store.begin() as t:
            m = self._status(t, message_id, _SENDING)
            if m is None or not m.updated_at < stale_before:
                return None
            m.updated_at = now
            mine = [a for a in t.attempts if a.message_id == message_id]
            last = max(mine, key=lambda a: (a.number, a.id), default=None)
            attempt = (
                LastAttempt(last.id, last.provider, AttemptOutcome(last.outcome)) if last else None
            )
            return _claimed(m), attempt

    async def start_attempt(
        self, message_id: str, number: int, provider: str, now: datetime
    ) -> int:
        async with self.store.begin() as t:
            require(message_id in t.messages, "message_attempts.message_id")
            attempt_id = len(t.attempts) + 1
            t.attempts.append(
                StoredAttempt(attempt_id, message_id, number, provider, "sending", started_at=now)
            )
            if (m := t.messages.get(message_id)) is not None:
                m.provider, m.attempts, m.updated_at = provider, number, now
            return attempt_id

    async def end_attempt(
        self, attempt_id: int, outcome: AttemptOutcome, now: datetime, error: str | None = None
    ) -> None:
        async with self.store.begin() as t:
            _end_attempt(t, attempt_id, outcome, now, error)

    async def sent(
        self,
        message_id: str,
        attempt_id: int,
        provider: str,
        provider_message_id: str,
        now: datetime,
    ) -> None:
        async with self.store.begin() as t:
            _end_attempt(t, attempt_id, AttemptOutcome.SENT, now, None, provider_message_id)
            if (m := self._status(t, message_id, _SENDING)) is not None:
                m.status, m.provider = DeliveryStatus.SENT.value, provider
                m.provider_message_id = provider_message_id[:100]
                m.sent_at = m.updated_at = now
                m.body_sealed = m.error = m.next_attempt_at = None

    async def finish(
        self,
        message_id: str,
        status: DeliveryStatus,
        now: datetime,
        *,
        error: str | None,
        event: SecurityEvent | None,
        attempt: tuple[int, AttemptOutcome] | None = None,
        rounds: int | None = None,
    ) -> bool:
        async with self.store.begin() as t:
            if (m := self._status(t, message_id, _QUEUED, _SENDING)) is None:
                return False
            m.status, m.finished_at, m.updated_at = status.value, now, now
            m.body_sealed, m.error, m.next_attempt_at = None, _clip(error, 300), None
            if rounds is not None:
                m.rounds = rounds
            if attempt is not None:
                _end_attempt(t, attempt[0], attempt[1], now, error)
            if event is not None:
                add_event(t, event)
            return True

    async def requeue(
        self, message_id: str, rounds: int, next_attempt_at: datetime, now: datetime, error: str
    ) -> None:
        async with self.store.begin() as t:
            if (m := self._status(t, message_id, _SENDING)) is not None:
                m.status, m.rounds, m.next_attempt_at = _QUEUED, rounds, next_attempt_at
                m.updated_at, m.error = now, _clip(error, 300)

    async def due(self, now: datetime, queued_before: datetime, limit: int) -> Sequence[str]:
        async with self.store.begin() as t:
            due = [
                m
                for m in t.messages.values()
                if m.status == _QUEUED and (m.next_attempt_at or m.updated_at) < queued_before
            ]
            return [m.record.id for m in sorted(due, key=lambda m: m.record.created_at)][:limit]

    async def stale(self, stale_before: datetime, limit: int) -> Sequence[str]:
        async with self.store.begin() as t:
            held = [
                m
                for m in t.messages.values()
                if m.status == _SENDING and m.updated_at < stale_before
            ]
            return [m.record.id for m in sorted(held, key=lambda m: m.updated_at)][:limit]

    async def receipt(
        self,
        provider: str,
        provider_message_id: str,
        status: DeliveryStatus,
        now: datetime,
        error: str | None,
    ) -> Receipt | None:
        named = (provider, provider_message_id, DeliveryStatus.SENT.value)
        async with self.store.begin() as t:
            # The UPDATE moves every row it names and RETURNING gives the first.
            receipts = []
            for m in t.messages.values():
                if (m.provider, m.provider_message_id, m.status) == named:
                    m.status, m.finished_at, m.updated_at = status.value, now, now
                    m.error = _clip(error, 300)
                    r = m.record
                    receipts.append(
                        Receipt(r.id, provider, status, m.sent_at, r.account_id, r.challenge_id)
                    )
            return receipts[0] if receipts else None

    async def add_event(self, event: SecurityEvent) -> None:
        async with self.store.begin() as t:
            add_event(t, event)

    def attempts(self, message_id: str) -> list[StoredAttempt]:
        """The attempts of ``message_id`` as committed, oldest first (for assertions)."""
        return [a for a in self.store.tables.attempts if a.message_id == message_id]

    def message(self, message_id: str) -> StoredMessage:
        """The committed row of ``message_id`` (for assertions)."""
        return self.store.tables.messages[message_id]
