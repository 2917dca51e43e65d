"""What the delivery engine needs besides the ledger and the providers: its metrics, the
providers that can be asked about a message, and its numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from otpgate.domain.delivery import RetryPolicy
from otpgate.services.ports import Metrics


class DeliveryMetrics(Metrics, Protocol):
    def observe(self, name: str, value: float, **labels: str) -> None:
        """Record ``value`` in the histogram ``name``."""
        ...

    def gauge(self, name: str, value: float, **labels: str) -> None:
        """Set the gauge ``name``."""
        ...


@runtime_checkable
class Lookup(Protocol):
    """A provider that can say whether it already has a message (to reconcile a cut-off call)."""

    async def find(self, to: str, body: str) -> str | None:
        """The provider's id of a message to ``to`` with exactly ``body``, or None."""
        ...


class NoDeliveryMetrics:
    def incr(self, name: str, **labels: str) -> None:
        return None

    def observe(self, name: str, value: float, **labels: str) -> None:
        return None

    def gauge(self, name: str, value: float, **labels: str) -> None:
        return None


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """The engine's numbers (every one an ``OTPGATE_SMS_*`` setting)."""

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout_seconds: float = 10.0
    # A message ``sending`` for longer than this lost its process (a live one finishes a call
    # within its timeout): it is reconciled, never simply sent again.
    reclaim_after_seconds: float = 60.0
    # A ``queued`` message whose turn was due this long ago lost its job: the sweep re-runs it.
    sweep_grace_seconds: float = 10.0
    sweep_batch: int = 100
