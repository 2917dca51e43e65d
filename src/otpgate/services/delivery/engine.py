"""Delivery: hand committed messages to their channel's providers, record every attempt, give
up visibly.

The request that opened a challenge has already committed its message (``queued``, body
sealed, see ``services/outbox.py``). A *turn* (``DeliveryEngine.run``) claims the message,
tries the providers its channel's route names in order — skipping any whose circuit breaker is open,
each call bounded by a timeout and recorded as an attempt *before* it is made — and ends in one
of three ways: ``sent``; a final ``failed`` / ``abandoned``; or back to ``queued`` with a delay
(exponential backoff with full jitter) that the caller turns into the next turn. Who runs turns
is the mode's business: ``InProcessDispatcher`` (embedded) uses tasks on the event loop; the
durable queue (``adapters/queue.py``) uses procrastinate jobs drained by ``otpgate worker``
(``dispatcher.py`` has the embedded one).

No duplicate SMS when a process dies mid-send: the attempt row says ``sending`` before the
provider is called, so a later turn that finds the message still ``sending`` (after
``reclaim_after``) knows a call may have gone out, and reconciles instead of re-sending:

- a provider that takes an idempotency key (the webhook) gets the message again with the same
  key, and its receiver drops the repeat;
- a provider that can be asked (Twilio: ``find`` looks for the number's recent message with
  this very body, which holds a one-time code) settles it: found, the message is ``sent``
  with the provider's id; not found, long after the call, it never went out and is sent now;
- any other provider (SNS, the outbox), or a lookup that fails: the message is ``unknown`` and
  nothing is sent — a customer who got nothing asks for a new code, which is better than two
  codes nobody can tell apart, or a bill for both.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

import structlog

from otpgate.domain.accounts import EventType
from otpgate.domain.channels import Channel
from otpgate.domain.clock import Clock
from otpgate.domain.delivery import (
    RECEIPT_STATUSES,
    AttemptOutcome,
    Breakers,
    DeliveryStatus,
    Routes,
    system_random,
)
from otpgate.domain.errors import DeliveryError, PermanentDeliveryError
from otpgate.services.audit import security_event
from otpgate.services.delivery.ports import (
    DeliveryMetrics,
    DeliverySettings,
    Lookup,
    NoDeliveryMetrics,
)
from otpgate.services.ledger import Claimed, DeliveryLedger, LastAttempt
from otpgate.services.ports import Provider, Sealer
from otpgate.services.pumping import conversion_labels

log = structlog.get_logger("otpgate.delivery")

Jitter = Callable[[float, float], float]


def _expired(message: Claimed, now: datetime) -> bool:
    return message.expires_at is not None and now >= message.expires_at


class DeliveryEngine:
    """Delivery turns, reconciliation, the sweep and provider receipts (mode-independent)."""

    def __init__(
        self,
        ledger: DeliveryLedger,
        providers: Mapping[str, Provider],
        routes: Mapping[Channel, Routes],
        clock: Clock,
        *,
        sealer: Sealer | None = None,
        metrics: DeliveryMetrics | None = None,
        settings: DeliverySettings | None = None,
        breakers: Breakers | None = None,
        jitter: Jitter = system_random,
    ) -> None:
        # Provider names are unique across channels ("twilio" texts, a voice provider is
        # another name), so one breaker and one metrics label per provider.
        missing = [
            f"{channel.value} provider {name}"
            for channel, table in routes.items()
            for name in table.all_providers
            if name not in providers
        ]
        if missing:
            raise ValueError(f"not configured: {', '.join(missing)}")
        self.ledger = ledger
        self.providers = dict(providers)
        self.routes = routes
        self.clock = clock
        self.sealer = sealer
        self.metrics: DeliveryMetrics = metrics or NoDeliveryMetrics()
        self.settings = settings or DeliverySettings()
        self.breakers = breakers or Breakers()
        self.jitter = jitter
        for name in self.providers:  # every breaker on the dashboard from the start
            self._breaker_gauge(name)

    # -- one turn ------------------------------------------------------------------------

    async def run(self, message_id: str, body: str | None = None) -> float | None:
        """Take one turn at ``message_id``; return seconds until the next turn, or None.

        ``body`` may be passed by an in-process caller that still holds it; otherwise it is
        unsealed from the row. A message another turn holds is left alone, unless it has been
        held so long that its process must have died: then it is reconciled.
        """
        now = self.clock.now()
        message = await self.ledger.claim(message_id, now)
        if message is None:
            return await self.reconcile(message_id)
        return await self._turn(message, body, self._route(message))

    async def _turn(self, message: Claimed, body: str | None, order: Sequence[str]) -> float | None:
        if _expired(message, self.clock.now()):
            await self._finish(
                message, DeliveryStatus.ABANDONED, "the code expired before it was sent"
            )
            return None
        if body is None:
            body = self._unseal(message)
            if body is None:
                await self._finish(
                    message, DeliveryStatus.FAILED, "the message body is not available"
                )
                return None
        attempts = message.attempts
        last_error = "no provider available"
        previous: str | None = None
        tried = False
        for name in order:
            now = self.clock.now()
            breaker = self.breakers[name]
            if not breaker.allow(now):
                self._breaker_gauge(name)
                continue
            if _expired(message, now):
                await self._finish(
                    message, DeliveryStatus.ABANDONED, "the code expired before it was sent"
                )
                return None
            if previous is not None:
                self.metrics.incr("sms_failovers", from_provider=previous, to_provider=name)
            tried = True
            attempts += 1
            outcome, detail = await self._attempt(message, body, name, attempts)
            self._breaker_gauge(name)
            if outcome is AttemptOutcome.SENT or outcome is AttemptOutcome.REJECTED:
                return None
            last_error, previous = detail, name
        return await self._after_round(message, tried, last_error)

    async def _attempt(
        self, message: Claimed, body: str, name: str, number: int
    ) -> tuple[AttemptOutcome, str]:
        provider = self.providers[name]
        breaker = self.breakers[name]
        attempt_id = await self.ledger.start_attempt(message.id, number, name, self.clock.now())
        try:
            async with asyncio.timeout(self.settings.timeout_seconds):
                provider_id = await provider.send(
                    message.to, body, message_id=message.id, purpose=message.purpose
                )
        except PermanentDeliveryError as exc:
            breaker.succeeded()  # the provider works; the number does not
            await self._finish(
                message,
                DeliveryStatus.FAILED,
                exc.detail,
                provider=name,
                attempt=(attempt_id, AttemptOutcome.REJECTED),
            )
            return AttemptOutcome.REJECTED, exc.detail
        except (DeliveryError, TimeoutError) as exc:
            outcome = (
                AttemptOutcome.TIMEOUT if isinstance(exc, TimeoutError) else AttemptOutcome.RETRY
            )
            detail = (
                exc.detail if isinstance(exc, DeliveryError) else f"{name} did not answer in time"
            )
        except Exception as exc:  # noqa: BLE001 - a provider bug must not end the turn: fail over
            outcome, detail = (
                AttemptOutcome.RETRY,
                f"{name} failed unexpectedly ({type(exc).__name__})",
            )
            log.error("sms provider crashed", message_id=message.id, provider=name, error=detail)
        else:
            breaker.succeeded()
            await self._sent(message, attempt_id, name, provider_id or message.id)
            return AttemptOutcome.SENT, ""
        now = self.clock.now()
        breaker.failed(now)
        await self.ledger.end_attempt(attempt_id, outcome, now, detail)
        self.metrics.incr("sms_retries", provider=name)
        log.warning(
            "sms attempt failed",
            message_id=message.id,
            provider=name,
            attempt=number,
            outcome=outcome.value,
            error=detail,
        )
        return outcome, detail

    async def _after_round(self, message: Claimed, tried: bool, last_error: str) -> float | None:
        now = self.clock.now()
        rounds = message.rounds + (1 if tried else 0)
        if tried and rounds >= self.settings.retry.max_rounds:
            await self._finish(message, DeliveryStatus.FAILED, last_error, rounds=rounds)
            return None
        if tried:
            delay = self.settings.retry.backoff(rounds, self.jitter)
        else:
            # Every breaker is open: wait for the first to let a probe through.
            reopen = [
                when
                for name in self._route(message)
                if (when := self.breakers[name].reopens_at()) is not None
            ]
            delay = max(0.05, (min(reopen) - now).total_seconds()) if reopen else 1.0
        next_at = now + timedelta(seconds=delay)
        if message.expires_at is not None and next_at >= message.expires_at:
            await self._finish(
                message,
                DeliveryStatus.ABANDONED,
                f"the code expires before the next try ({last_error})",
            )
            return None
        await self.ledger.requeue(message.id, rounds, next_at, now, last_error)
        return delay

    # -- recovery ------------------------------------------------------------------------

    async def reconcile(self, message_id: str) -> float | None:
        """Settle a message left ``sending`` by a process that died; see the module doc."""
        now = self.clock.now()
        stale_before = now - timedelta(seconds=self.settings.reclaim_after_seconds)
        found = await self.ledger.reclaim_stale(message_id, now, stale_before)
        if found is None:
            return None
        message, last = found
        if last is None or last.outcome is not AttemptOutcome.SENDING:
            # It died between calls: nothing was in flight, so the next turn is safe.
            await self.ledger.requeue(message.id, message.rounds, now, now, "resumed")
            return 0.0
        provider = self.providers.get(last.provider)
        others = self._route(message)
        # If it goes out again, it goes through the same provider first.
        order = (last.provider, *(name for name in others if name != last.provider))
        if provider is not None and getattr(provider, "idempotent", False):
            # Same idempotency key: the receiver drops a repeat.
            await self.ledger.end_attempt(
                last.id, AttemptOutcome.INTERRUPTED, now, "the sending process stopped mid-call"
            )
            return await self._turn(message, None, order)
        body = self._unseal(message)
        if isinstance(provider, Lookup) and body is not None:
            try:
                async with asyncio.timeout(self.settings.timeout_seconds):
                    provider_id = await provider.find(message.to, body)
            except (DeliveryError, TimeoutError):
                await self._unknown(message, last)  # can't tell
                return None
            if provider_id is not None:
                log.info("sms found at the provider", message_id=message.id, provider=last.provider)
                await self._sent(message, last.id, last.provider, provider_id)
                return None
            # Long after the call, the provider has no such message: it never went out.
            await self.ledger.end_attempt(
                last.id,
                AttemptOutcome.INTERRUPTED,
                now,
                f"the sending process stopped mid-call; {last.provider} has no such message",
            )
            return await self._turn(message, body, order)
        await self._unknown(message, last)
        return None

    async def _unknown(self, message: Claimed, last: LastAttempt) -> None:
        reason = (
            f"the process sending through {last.provider} stopped mid-call; "
            "not sent again, to avoid a duplicate"
        )
        await self._finish(
            message,
            DeliveryStatus.UNKNOWN,
            reason,
            provider=last.provider,
            attempt=(last.id, AttemptOutcome.INTERRUPTED),
        )

    async def sweep(self) -> list[tuple[str, float]]:
        """Find work whose runner was lost; return ``(message_id, delay)`` turns to schedule.

        Messages left ``sending`` are reconciled here; queued messages whose turn is overdue
        (the process died between commit and enqueue, or its job was lost) are returned.
        """
        now = self.clock.now()
        settings = self.settings
        turns: list[tuple[str, float]] = []
        stale_before = now - timedelta(seconds=settings.reclaim_after_seconds)
        for message_id in await self.ledger.stale(stale_before, settings.sweep_batch):
            delay = await self.reconcile(message_id)
            if delay is not None:
                turns.append((message_id, delay))
        queued_before = now - timedelta(seconds=settings.sweep_grace_seconds)
        for message_id in await self.ledger.due(now, queued_before, settings.sweep_batch):
            turns.append((message_id, 0.0))
        return turns

    # -- receipts ------------------------------------------------------------------------

    async def receipt(
        self, provider: str, provider_message_id: str, status: str, error_code: str | None
    ) -> bool:
        """Apply a provider's delivery receipt; False when it changes nothing (unknown id,
        an interim status such as ``sent``, or a message that already had its final word)."""
        final = RECEIPT_STATUSES.get(status)
        if final is None:
            return False
        now = self.clock.now()
        error = f"{provider} reported {status}" + (f" (error {error_code})" if error_code else "")
        done = await self.ledger.receipt(
            provider,
            provider_message_id,
            final,
            now,
            None if final is DeliveryStatus.DELIVERED else error,
        )
        if done is None:
            return False
        self.metrics.incr("sms_receipts", provider=provider, status=final.value)
        if final is DeliveryStatus.DELIVERED and done.sent_at is not None:
            seconds = max(0.0, (now - done.sent_at).total_seconds())
            self.metrics.observe("sms_delivery_seconds", seconds, provider=provider)
        if final is not DeliveryStatus.DELIVERED:
            await self.ledger.add_event(
                security_event(
                    EventType.SMS_FAILED,
                    final.value,
                    at=now,
                    account_id=done.account_id,
                    details={
                        "message_id": done.message_id,
                        "challenge_id": done.challenge_id,
                        "provider": provider,
                        "reason": error,
                    },
                )
            )
        log.info("sms receipt", message_id=done.message_id, provider=provider, status=final.value)
        return True

    # -- bookkeeping ---------------------------------------------------------------------

    def _route(self, message: Claimed) -> Sequence[str]:
        """The providers to try for ``message``, in order: its channel's route for its ``to``."""
        return self.routes[Channel(message.channel)].providers_for(message.to)

    def _unseal(self, message: Claimed) -> str | None:
        if message.body_sealed is None or self.sealer is None:
            return None
        try:
            return self.sealer.open(message.body_sealed, message.id)
        except Exception:  # noqa: BLE001 - a wrong key or a damaged row: fail the message
            log.error("sms body does not unseal", message_id=message.id)
            return None

    async def _sent(
        self, message: Claimed, attempt_id: int, provider: str, provider_id: str
    ) -> None:
        now = self.clock.now()
        await self.ledger.sent(message.id, attempt_id, provider, provider_id, now)
        self.metrics.incr("sms_messages", provider=provider, status=DeliveryStatus.SENT.value)
        self.metrics.incr("sms_sent", **conversion_labels(message.to))
        self.metrics.observe(
            "sms_queue_seconds",
            max(0.0, (now - message.created_at).total_seconds()),
            provider=provider,
        )
        log.info(
            "sms sent", message_id=message.id, provider=provider, attempts=message.attempts + 1
        )

    async def _finish(
        self,
        message: Claimed,
        status: DeliveryStatus,
        reason: str,
        *,
        provider: str | None = None,
        attempt: tuple[int, AttemptOutcome] | None = None,
        rounds: int | None = None,
    ) -> None:
        now = self.clock.now()
        event = security_event(
            EventType.SMS_FAILED,
            status.value,
            at=now,
            account_id=message.account_id,
            details={
                "message_id": message.id,
                "challenge_id": message.challenge_id,
                "reason": reason,
            },
        )
        if await self.ledger.finish(
            message.id, status, now, error=reason, event=event, attempt=attempt, rounds=rounds
        ):
            self.metrics.incr("sms_messages", provider=provider or "none", status=status.value)
            log.warning(
                "sms not delivered", message_id=message.id, status=status.value, reason=reason
            )

    def _breaker_gauge(self, provider: str) -> None:
        state = self.breakers[provider].state(self.clock.now())
        self.metrics.gauge("sms_breaker_state", float(state.value), provider=provider)
