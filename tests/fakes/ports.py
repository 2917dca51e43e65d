"""Fakes of the ports services need besides storage, and ``make_services`` to wire them.

- ``FakeHasher``: SHA-256, not Argon2 (a use-case test must not spend 50 ms per password);
  ``burn`` only counts, so tests can see that an unknown account cost a dummy verify.
- ``MemoryLimiter``: the rate-limit rules in the settings' notation ("5/30seconds;10/hour"),
  counted on the test clock. The real ``LimitsRateLimiter`` with its memory storage is
  not used: the ``limits`` library reads the wall clock (``time.time()``) for its windows,
  so a test could only see a window pass by sleeping through it.
- ``RecordingDispatcher``: keeps every submitted message; reads the code from the body's
  last line, ``@host #123456``.
- ``RecordingMetrics``: counts, and satisfies the delivery engine's metrics port too.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from otpgate.adapters.ratelimit import parse_rules
from otpgate.domain.clock import Clock, ManualClock
from otpgate.domain.errors import RateLimited
from otpgate.domain.policy import seconds_until
from otpgate.services.config import ServiceConfig
from otpgate.services.container import Services, build_services
from otpgate.services.deps import Deps
from otpgate.services.limits import ALL_RULES
from otpgate.services.ports import Dispatcher, OutgoingMessage, Sealer
from otpgate.services.signing import Jose
from tests.fakes.storage import MemoryStore

CODE_LINE = re.compile(r"^@[^ ]+ #(\d+)$")


class FakeHasher:
    """Implements ``PasswordHasher`` fast and deterministically (never for production)."""

    PREFIX = "fake$"

    def __init__(self) -> None:
        self.burned = 0

    async def hash(self, password: str) -> str:
        return self.PREFIX + hashlib.sha256(password.encode()).hexdigest()

    async def verify(self, password_hash: str, password: str) -> bool:
        return hmac.compare_digest(password_hash, await self.hash(password))

    async def burn(self, password: str) -> None:
        self.burned += 1

    def needs_rehash(self, password_hash: str) -> bool:
        return False


class MemoryLimiter:
    """Implements ``RateLimiter``: each rule allows ``amount`` hits per window of the clock
    (a moving window, as the real limiter's), and a refused hit is not counted. Rules left
    out are unlimited; a rule name the services do not know is a bug (``KeyError``)."""

    def __init__(self, clock: Clock, rules: Mapping[str, str] | None = None) -> None:
        unknown = set(rules or {}) - set(ALL_RULES)
        if unknown:
            raise KeyError(f"no such rate-limit rule: {', '.join(sorted(unknown))}")
        self.clock = clock
        self.rules = parse_rules(rules or {})
        self.hits: list[tuple[str, str]] = []
        self._seen: dict[tuple[str, str, int], list[datetime]] = {}

    async def hit(self, rule: str, key: str) -> None:
        self.hits.append((rule, key))
        self._check(rule, key, count=True)

    async def test(self, rule: str, key: str) -> None:
        self._check(rule, key, count=False)

    async def hit_all(self, buckets: Sequence[tuple[str, str]]) -> None:
        # adapters/ratelimit.py: all buckets are counted, or none is.
        for rule, key in buckets:
            self._check(rule, key, count=False)
        for rule, key in buckets:
            await self.hit(rule, key)

    def _check(self, rule: str, key: str, *, count: bool) -> None:
        if rule not in ALL_RULES:
            raise KeyError(rule)
        now = self.clock.now()
        for index, item in enumerate(self.rules.get(rule, ())):
            window = timedelta(seconds=item.get_expiry())
            seen = [t for t in self._seen.get((rule, key, index), []) if now - t < window]
            self._seen[(rule, key, index)] = seen
            if len(seen) >= item.amount:
                wait = seconds_until(seen[0] + window, now)
                raise RateLimited(wait, f"Too many attempts. Try again in {wait} seconds.")
            if count:
                seen.append(now)

    async def clear(self, rule: str, key: str) -> None:
        for seen in (k for k in list(self._seen) if k[:2] == (rule, key)):
            del self._seen[seen]

    async def ping(self) -> bool:
        return True


class RecordingDispatcher:
    """Implements ``Dispatcher``: keeps what was submitted, and passes it on to ``forward``
    (a real dispatcher, for tests of delivery) when given."""

    def __init__(self, forward: Dispatcher | None = None) -> None:
        self.submitted: list[OutgoingMessage] = []
        self.forward = forward

    def submit(self, message: OutgoingMessage) -> None:
        self.submitted.append(message)
        if self.forward is not None:
            self.forward.submit(message)

    def to(self, number: str) -> list[OutgoingMessage]:
        return [m for m in self.submitted if m.to == number]

    def last(self, to: str | None = None) -> OutgoingMessage:
        sent = self.submitted if to is None else self.to(to)
        assert sent, f"nothing was submitted to {to or 'anyone'}"
        return sent[-1]

    def last_code(self, to: str | None = None) -> str:
        return code_of(self.last(to).body)


def code_of(body: str) -> str:
    """The code from the origin-bound last line of an SMS body, ``@host #123456``."""
    match = CODE_LINE.match(body.splitlines()[-1])
    assert match, f"the message does not end with an origin-bound code line: {body!r}"
    return match.group(1)


@dataclass
class RecordingMetrics:
    """Implements ``Metrics`` and the delivery engine's ``DeliveryMetrics``."""

    counts: Counter[tuple[str, frozenset[tuple[str, str]]]] = field(default_factory=Counter)
    gauges: dict[tuple[str, frozenset[tuple[str, str]]], float] = field(default_factory=dict)

    def incr(self, name: str, **labels: str) -> None:
        self.counts[(name, frozenset(labels.items()))] += 1

    def observe(self, name: str, value: float, **labels: str) -> None:
        self.incr(name, **labels)

    def gauge(self, name: str, value: float, **labels: str) -> None:
        self.gauges[(name, frozenset(labels.items()))] = value

    def count(self, name: str, **labels: str) -> int:
        """How often ``name`` was counted with at least these labels."""
        wanted = set(labels.items())
        return sum(n for (key, got), n in self.counts.items() if key == name and wanted <= got)


@dataclass
class Fakes:
    store: MemoryStore
    hasher: FakeHasher
    limiter: MemoryLimiter
    dispatcher: RecordingDispatcher
    clock: ManualClock
    metrics: RecordingMetrics


def make_services(
    clock: ManualClock | None = None,
    *,
    limits: Mapping[str, str] | None = None,
    store: MemoryStore | None = None,
    forward: Dispatcher | None = None,
    sealer: Sealer | None = None,
    jose: Jose | None = None,
    **config: Any,
) -> tuple[Services, Fakes]:
    """The real use cases on fakes: ``build_services`` with every port in memory.

    ``config`` are ``ServiceConfig`` fields; ``limits`` rate-limit rules by name (none by
    default); ``store`` and ``forward`` let a delivery test share the store with its ledger
    and hand messages to a real dispatcher.
    """
    clock = clock or ManualClock()
    fakes = Fakes(
        store=store or MemoryStore(),
        hasher=FakeHasher(),
        limiter=MemoryLimiter(clock, limits),
        dispatcher=RecordingDispatcher(forward),
        clock=clock,
        metrics=RecordingMetrics(),
    )
    deps = Deps(
        store=fakes.store,
        hasher=fakes.hasher,
        limiter=fakes.limiter,
        dispatcher=fakes.dispatcher,
        clock=clock,
        config=ServiceConfig(**config),
        metrics=fakes.metrics,
        sealer=sealer,
        jose=jose,
    )
    return build_services(deps), fakes
