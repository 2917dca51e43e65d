"""The port delivery keeps its books through: message rows and one row per attempt.

Each method is one transaction, and every state change is a conditional update on the row's
current status, so two workers (or a worker and the sweep) never both move one message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from otpgate.domain.accounts import SecurityEvent
from otpgate.domain.delivery import AttemptOutcome, DeliveryStatus


@dataclass(frozen=True, slots=True)
class Claimed:
    """A message a worker now holds (status ``sending``), with what it needs to send it."""

    id: str
    channel: str
    to: str
    purpose: str
    created_at: datetime
    expires_at: datetime | None
    body_sealed: bytes | None
    challenge_id: str | None
    account_id: str | None
    attempts: int
    rounds: int


@dataclass(frozen=True, slots=True)
class LastAttempt:
    id: int
    provider: str
    outcome: AttemptOutcome


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a provider's delivery receipt changed (for metrics and the audit trail)."""

    message_id: str
    provider: str
    status: DeliveryStatus
    sent_at: datetime | None
    account_id: str | None
    challenge_id: str | None


class DeliveryLedger(Protocol):
    async def claim(self, message_id: str, now: datetime) -> Claimed | None:
        """``queued`` → ``sending``; None when the message is not (or no longer) queued."""
        ...

    async def reclaim_stale(
        self, message_id: str, now: datetime, stale_before: datetime
    ) -> tuple[Claimed, LastAttempt | None] | None:
        """Take over a message left ``sending`` since before ``stale_before`` (its process
        died); returns it with its last attempt, or None when it is not stale."""
        ...

    async def start_attempt(
        self, message_id: str, number: int, provider: str, now: datetime
    ) -> int:
        """Record an attempt in flight *before* the provider is called; return its id."""
        ...

    async def end_attempt(
        self, attempt_id: int, outcome: AttemptOutcome, now: datetime, error: str | None = None
    ) -> None:
        """Close an attempt that did not send (temporary error, timeout, interrupted)."""
        ...

    async def sent(
        self,
        message_id: str,
        attempt_id: int,
        provider: str,
        provider_message_id: str,
        now: datetime,
    ) -> None:
        """The attempt and the message are ``sent`` (one transaction); the seal is erased."""
        ...

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
        """Give a held or queued message its final ``status`` (erasing the seal), close
        ``attempt`` and add ``event``, all at once; False when it was already final."""
        ...

    async def requeue(
        self, message_id: str, rounds: int, next_attempt_at: datetime, now: datetime, error: str
    ) -> None:
        """``sending`` → ``queued``, to be tried again at ``next_attempt_at``."""
        ...

    async def due(self, now: datetime, queued_before: datetime, limit: int) -> Sequence[str]:
        """Queued messages whose turn was due before ``queued_before`` (their job was lost)."""
        ...

    async def stale(self, stale_before: datetime, limit: int) -> Sequence[str]:
        """Messages left ``sending`` since before ``stale_before``."""
        ...

    async def receipt(
        self,
        provider: str,
        provider_message_id: str,
        status: DeliveryStatus,
        now: datetime,
        error: str | None,
    ) -> Receipt | None:
        """Apply a provider's receipt to the ``sent`` message it names (None: no such message,
        or it already had its final word)."""
        ...

    async def add_event(self, event: SecurityEvent) -> None:
        """Write one line of the audit trail."""
        ...
