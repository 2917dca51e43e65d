"""SMS delivery rules: the message state machine, backoff, routing and the circuit breaker.

A message, from the moment it is committed with its challenge::

    queued ──claimed──▶ sending ──provider accepted──▶ sent ──receipt──▶ delivered
      ▲                   │  │                           │            └─▶ undelivered | failed
      └──temporary error──┘  ├──permanent error────────▶ failed
         (backoff, maybe     ├──rounds used up─────────▶ failed
          another provider)  └──process died mid-call──▶ unknown  (never re-sent blindly)
    queued | sending ──code expired before a provider took it──▶ abandoned

``sent`` means a provider accepted the message; only a receipt (Twilio's status callback)
moves it on. ``failed``, ``undelivered``, ``abandoned`` and ``unknown`` are final, and so is
``delivered``. Everything here is pure: times come in as arguments.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum


class DeliveryStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    ABANDONED = "abandoned"
    UNKNOWN = "unknown"


# The statuses a worker may still move; every other one is final for delivery (a receipt may
# still turn ``sent`` into ``delivered`` or ``undelivered``).
IN_FLIGHT = frozenset({DeliveryStatus.QUEUED, DeliveryStatus.SENDING})


class AttemptOutcome(StrEnum):
    """What became of one hand-over to one provider."""

    SENDING = "sending"  # in flight (or the process died during the call)
    SENT = "sent"
    RETRY = "retry"  # temporary error: the provider answered, or failed to, in a way worth retrying
    TIMEOUT = "timeout"
    REJECTED = "rejected"  # permanent error: this number will never work
    INTERRUPTED = "interrupted"  # found in flight after its process died


# Receipt statuses a provider may report, and the final status each leads to.
RECEIPT_STATUSES: Mapping[str, DeliveryStatus] = {
    "delivered": DeliveryStatus.DELIVERED,
    "undelivered": DeliveryStatus.UNDELIVERED,
    "failed": DeliveryStatus.FAILED,
}


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try: rounds over the providers, with exponential backoff between rounds."""

    max_rounds: int = 3
    base_seconds: float = 1.0
    max_seconds: float = 30.0

    def backoff(self, rounds_done: int, rand: Callable[[float, float], float]) -> float:
        """Seconds to wait before round ``rounds_done + 1``: full jitter (AWS' "backoff and
        jitter"), so many messages that failed together don't retry in lockstep."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** max(0, rounds_done - 1))
        return rand(0.0, ceiling)


def system_random(low: float, high: float) -> float:
    """Jitter from the process' PRNG; jitter needs spread, not secrecy."""
    return random.uniform(low, high)  # noqa: S311


@dataclass(frozen=True, slots=True)
class Routes:
    """Which providers, in which order, serve a number: the longest matching prefix wins.

    ``Routes.parse("+49:sns,twilio;+1:twilio", default=("twilio", "sns"))``.
    """

    default: tuple[str, ...]
    by_prefix: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @classmethod
    def parse(cls, text: str, default: Sequence[str]) -> Routes:
        """Read ``+PREFIX:provider,provider;...``; ``ValueError`` says what is wrong."""
        entries: list[tuple[str, tuple[str, ...]]] = []
        for part in (p.strip() for p in text.split(";")):
            if not part:
                continue
            prefix, sep, names = part.partition(":")
            prefix = prefix.strip()
            if not sep or not prefix.startswith("+") or not prefix[1:].isdigit():
                raise ValueError(f"{part!r} is not '+<digits>:<provider>,<provider>'")
            providers = tuple(n.strip() for n in names.split(",") if n.strip())
            if not providers:
                raise ValueError(f"{part!r} names no provider")
            entries.append((prefix, providers))
        entries.sort(key=lambda entry: len(entry[0]), reverse=True)
        return cls(default=tuple(default), by_prefix=tuple(entries))

    def providers_for(self, e164: str) -> tuple[str, ...]:
        for prefix, providers in self.by_prefix:
            if e164.startswith(prefix):
                return providers
        return self.default

    @property
    def all_providers(self) -> tuple[str, ...]:
        """Every provider named anywhere, each once, in first-mentioned order."""
        seen: dict[str, None] = dict.fromkeys(self.default)
        for _prefix, providers in self.by_prefix:
            seen.update(dict.fromkeys(providers))
        return tuple(seen)


class BreakerState(IntEnum):
    """The gauge value: 0 closed (in use), 1 half-open (one probe allowed), 2 open (skipped)."""

    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


@dataclass(slots=True)
class CircuitBreaker:
    """One provider's breaker: ``threshold`` consecutive failures open it for ``cooloff``;
    then one probe is let through (half-open): success closes it, failure opens it again.

    Held per process: each worker learns on its own, which needs no shared state and costs at
    most ``threshold`` failures per worker before it stops calling a dead provider.
    """

    threshold: int = 5
    cooloff: timedelta = timedelta(seconds=30)
    failures: int = 0
    opened_at: datetime | None = None
    probing: bool = False

    def state(self, now: datetime) -> BreakerState:
        if self.opened_at is None:
            return BreakerState.CLOSED
        if now - self.opened_at >= self.cooloff:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def allow(self, now: datetime) -> bool:
        """Whether a call may go to this provider now (takes the probe when half-open)."""
        state = self.state(now)
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self.probing:
            self.probing = True
            return True
        return False

    def reopens_at(self) -> datetime | None:
        return None if self.opened_at is None else self.opened_at + self.cooloff

    def succeeded(self) -> None:
        self.failures = 0
        self.opened_at = None
        self.probing = False

    def failed(self, now: datetime) -> None:
        self.failures += 1
        if self.probing or self.failures >= self.threshold:
            self.opened_at = now
        self.probing = False


@dataclass(slots=True)
class Breakers:
    """A breaker per provider name, created on first use."""

    threshold: int = 5
    cooloff: timedelta = timedelta(seconds=30)
    by_provider: dict[str, CircuitBreaker] = field(default_factory=dict)

    def __getitem__(self, provider: str) -> CircuitBreaker:
        breaker = self.by_provider.get(provider)
        if breaker is None:
            breaker = CircuitBreaker(threshold=self.threshold, cooloff=self.cooloff)
            self.by_provider[provider] = breaker
        return breaker
