"""In-process SMS delivery: send committed messages off the request path, record every attempt.

The request that opened a challenge has already committed the message row (status
``queued``); this dispatcher only hands it to a provider, with a timeout, retries with backoff
on temporary errors, failover across the configured providers, and gives up visibly: the row's
status and error say what happened, and a security event records a failure. A message whose
code has expired is abandoned, never sent late.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence

from otpgate.domain.accounts import EventType, SecurityEvent
from otpgate.domain.clock import Clock
from otpgate.domain.errors import DeliveryError, PermanentDeliveryError
from otpgate.services.ports import Metrics, NoMetrics, OutgoingSms, SmsProvider, Store

log = logging.getLogger("otpgate.delivery")

Sleep = Callable[[float], Awaitable[None]]


class InProcessDispatcher:
    """Implements the ``SmsDispatcher`` port with tasks on the running event loop."""

    def __init__(
        self,
        store: Store,
        providers: Sequence[SmsProvider],
        clock: Clock,
        *,
        metrics: Metrics | None = None,
        timeout_seconds: float = 10.0,
        max_rounds: int = 3,
        backoff_seconds: float = 0.5,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not providers:
            raise ValueError("at least one SMS provider is needed")
        self.store = store
        self.providers = list(providers)
        self.clock = clock
        self.metrics = metrics or NoMetrics()
        self.timeout_seconds = timeout_seconds
        self.max_rounds = max_rounds
        self.backoff_seconds = backoff_seconds
        self.sleep = sleep
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, message: OutgoingSms) -> None:
        """Schedule delivery; returns at once (the request never waits on a provider)."""
        task = asyncio.get_running_loop().create_task(self._deliver(message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait until every submitted message has been delivered or given up on."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self, grace_seconds: float = 5.0) -> None:
        """Let deliveries in flight finish for a moment, then cancel the rest."""
        if not self._tasks:
            return
        _done, pending = await asyncio.wait(list(self._tasks), timeout=grace_seconds)
        for task in pending:
            task.cancel()

    async def _deliver(self, message: OutgoingSms) -> None:
        attempts = 0
        last_error = "not attempted"
        try:
            for round_number in range(self.max_rounds):
                for provider in self.providers:
                    if self.clock.now() >= message.expires_at:
                        await self._finish(message, "abandoned", None, attempts, "code expired")
                        return
                    attempts += 1
                    await self._record(message, "sending", provider.name, attempts)
                    try:
                        provider_id = await asyncio.wait_for(
                            provider.send(
                                message.to,
                                message.body,
                                message_id=message.message_id,
                                purpose=message.purpose,
                            ),
                            self.timeout_seconds,
                        )
                    except PermanentDeliveryError as exc:
                        await self._finish(message, "failed", provider.name, attempts, exc.detail)
                        return
                    except (DeliveryError, TimeoutError) as exc:
                        last_error = (
                            exc.detail if isinstance(exc, DeliveryError) else "provider timed out"
                        )
                        self.metrics.incr("sms_retries", provider=provider.name)
                        continue
                    await self._finish(message, "sent", provider.name, attempts, None, provider_id)
                    return
                if round_number + 1 < self.max_rounds:
                    # Exponential backoff with full jitter, so many failed sends don't retry
                    # against a struggling provider in lockstep.
                    await self.sleep(random.uniform(0, self.backoff_seconds * 2**round_number))  # noqa: S311
            await self._finish(message, "failed", None, attempts, last_error)
        except Exception:  # the task must never die silently: log and mark the message
            log.exception("sms delivery crashed", extra={"message_id": message.message_id})
            await self._finish(message, "failed", None, attempts, "internal error")

    async def _record(self, message: OutgoingSms, status: str, provider: str, attempts: int) -> None:
        async with self.store.transaction() as tx:
            await tx.update_sms(
                message.message_id,
                status=status,
                now=self.clock.now(),
                provider=provider,
                attempts=attempts,
            )

    async def _finish(
        self,
        message: OutgoingSms,
        status: str,
        provider: str | None,
        attempts: int,
        error: str | None,
        provider_message_id: str | None = None,
    ) -> None:
        now = self.clock.now()
        async with self.store.transaction() as tx:
            await tx.update_sms(
                message.message_id,
                status=status,
                now=now,
                provider=provider,
                provider_message_id=provider_message_id,
                error=error,
                attempts=attempts,
            )
            if status != "sent":
                await tx.add_event(
                    SecurityEvent(
                        type=EventType.SMS_FAILED,
                        outcome=status,
                        account_id=message.account_id,
                        details={
                            "message_id": message.message_id,
                            "challenge_id": message.challenge_id,
                            "reason": error or status,
                        },
                        created_at=now,
                    )
                )
        self.metrics.incr("sms_messages", provider=provider or "none", status=status)
