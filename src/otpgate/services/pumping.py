"""SMS-pumping defences that watch rather than decide: limit trips and conversion.

The limits themselves are rules in ``services/limits.py`` (per number, IP, account, prefix,
country and the global ceiling). What this module adds is visibility: every time a limit
refuses a request it is counted by rule and, for the send limits, written to the audit trail;
and sends and confirmations are counted per country and prefix, so pumping (many sends to a
range, no confirmations) shows on a dashboard before it shows on the invoice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from otpgate.domain.accounts import EventType
from otpgate.domain.clock import Clock
from otpgate.domain.errors import RateLimited
from otpgate.domain.phones import country_of, mask
from otpgate.services.audit import security_event
from otpgate.services.limits import (
    SEND_ACCOUNT,
    SEND_IP,
    SEND_NUMBER,
    SEND_NUMBER_NEW,
    SEND_RULES,
    number_prefix,
)
from otpgate.services.ports import Metrics, RateLimiter
from otpgate.services.storage import Store


def conversion_labels(e164: str) -> dict[str, str]:
    """``{"country": "US", "prefix": "+141555"}``: the same prefix the send limit counts."""
    return {"country": country_of(e164), "prefix": number_prefix(e164)}


class WatchedLimiter:
    """A ``RateLimiter`` that counts every refusal (metric ``limit_trips{rule}``) and records
    refused sends as ``rate_limited`` security events. Decisions are the inner limiter's.

    Under a flood every request is refused; one event per rule and key per ``event_every``
    (per process) says so without turning the attack into as many database writes.
    """

    def __init__(
        self,
        inner: RateLimiter,
        store: Store,
        metrics: Metrics,
        clock: Clock,
        event_every: timedelta = timedelta(minutes=1),
    ) -> None:
        self.inner = inner
        self.store = store
        self.metrics = metrics
        self.clock = clock
        self.event_every = event_every
        self._recorded: dict[tuple[str, str], datetime] = {}

    async def hit(self, rule: str, key: str) -> None:
        await self.hit_all([(rule, key)])

    async def hit_all(self, buckets: Sequence[tuple[str, str]]) -> None:
        try:
            await self.inner.hit_all(buckets)
        except RateLimited as refused:
            await self._tripped(refused, buckets)
            raise

    async def test(self, rule: str, key: str) -> None:
        try:
            await self.inner.test(rule, key)
        except RateLimited as refused:
            await self._tripped(refused, [(rule, key)])
            raise

    async def _tripped(self, refused: RateLimited, buckets: Sequence[tuple[str, str]]) -> None:
        rule, key = (refused.rule, refused.key) if refused.rule else buckets[0]
        assert key is not None
        self.metrics.incr("limit_trips", rule=rule)
        if rule in SEND_RULES:
            await self._record(rule, key)

    async def clear(self, rule: str, key: str) -> None:
        await self.inner.clear(rule, key)

    async def ping(self) -> bool:
        return await self.inner.ping()

    async def _record(self, rule: str, key: str) -> None:
        now = self.clock.now()
        last = self._recorded.get((rule, key))
        if last is not None and now - last < self.event_every:
            return
        if len(self._recorded) > 10_000:  # forget the oldest half; a flood of keys stays bounded
            for stale in sorted(self._recorded, key=self._recorded.__getitem__)[:5_000]:
                del self._recorded[stale]
        self._recorded[(rule, key)] = now
        # The key says what was throttled, shown the way an operator may see it: a number is
        # masked, an account or IP goes in its own column.
        shown = {
            SEND_NUMBER: mask(key),
            SEND_NUMBER_NEW: mask(key),
            SEND_IP: None,
            SEND_ACCOUNT: None,
        }.get(rule, key)
        details: dict[str, object] = {"rule": rule}
        if shown is not None:
            details["key"] = shown
        async with self.store.transaction() as uow:
            await uow.audit.add(
                security_event(
                    EventType.RATE_LIMITED,
                    rule,
                    at=now,
                    account_id=key if rule == SEND_ACCOUNT else None,
                    ip=key if rule == SEND_IP else None,
                    details=details,
                )
            )
