"""Delivery on the fakes: the real ``DeliveryEngine`` on the in-memory ledger, with scripted
providers. The clock moves and sleeps are fakes that move it: nothing here waits."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from otpgate.domain.accounts import EventType
from otpgate.domain.channels import Channel
from otpgate.domain.delivery import RetryPolicy, Routes
from otpgate.domain.errors import DeliveryError, PermanentDeliveryError
from otpgate.services.delivery import DeliveryEngine, DeliverySettings, InProcessDispatcher
from otpgate.services.ports import OutgoingMessage, Provider
from tests.fakes.ledger import MemoryLedger
from tests.fakes.ports import RecordingMetrics, code_of, make_services
from tests.fakes.storage import MemoryStore
from tests.services.steps import World


@dataclass
class ScriptedProvider:
    """Answers each send with the next entry of ``script``: an error to raise, or None to
    accept (as does every send once the script is used up)."""

    name: str
    script: list[Exception | None] = field(default_factory=list)
    sent: list[tuple[str, str]] = field(default_factory=list)

    async def send(self, to: str, body: str, *, message_id: str, purpose: str) -> str:
        self.sent.append((to, body))
        outcome = self.script.pop(0) if self.script else None
        if outcome is not None:
            raise outcome
        return f"{self.name}-{len(self.sent)}"

    async def check(self) -> str:
        return "ok"

    async def aclose(self) -> None:
        return None


@dataclass
class SilentProvider(ScriptedProvider):
    """Takes the message and never answers."""

    async def send(self, to: str, body: str, *, message_id: str, purpose: str) -> str:
        self.sent.append((to, body))
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


@dataclass
class Line:
    """A world whose messages wait for ``engine``: turned by hand, or by the in-process
    dispatcher the recording one forwards to."""

    world: World
    engine: DeliveryEngine
    ledger: MemoryLedger
    metrics: RecordingMetrics
    slept: list[float]

    async def registered(self) -> OutgoingMessage:
        await self.world.register()
        return self.world.fakes.dispatcher.last()

    def outcomes(self, message: OutgoingMessage) -> list[tuple[str, str]]:
        return [(a.provider, a.outcome) for a in self.ledger.attempts(message.message_id)]

    async def delivery_status(self, message: OutgoingMessage) -> str | None:
        assert message.challenge_id is not None
        return (await self.world.services.challenges.get(message.challenge_id)).delivery_status


def line(
    providers: Sequence[Provider],
    *,
    in_process: bool = False,
    timeout_seconds: float = 10.0,
    retry: RetryPolicy | None = None,
) -> Line:
    """Services on a fresh store, and an engine routing every number through ``providers``.

    ``timeout_seconds=0`` times a provider out as soon as it first waits (no wall-clock wait);
    jitter is its ceiling, so backoffs are 1 s, 2 s, 4 s...
    """
    store = MemoryStore()
    ledger, metrics, slept = MemoryLedger(store), RecordingMetrics(), []
    services, fakes = make_services(store=store)
    engine = DeliveryEngine(
        ledger,
        {p.name: p for p in providers},
        {Channel.SMS: Routes(default=tuple(p.name for p in providers))},
        fakes.clock,
        metrics=metrics,
        settings=DeliverySettings(retry=retry or RetryPolicy(), timeout_seconds=timeout_seconds),
        jitter=lambda low, high: high,
    )
    if in_process:

        async def sleep(seconds: float) -> None:
            slept.append(seconds)
            fakes.clock.advance(seconds)

        fakes.dispatcher.forward = InProcessDispatcher(engine, sleep=sleep)
    return Line(World(services, fakes), engine, ledger, metrics, slept)


async def test_a_message_is_sent_and_its_challenge_says_so() -> None:
    provider = ScriptedProvider("primary")
    on = line([provider])
    message = await on.registered()
    assert await on.delivery_status(message) == "queued"
    assert await on.engine.run(message.message_id, message.body) is None  # no further turn
    assert provider.sent == [(message.to, message.body)]
    assert code_of(provider.sent[0][1]) == on.world.code(message.challenge_id or "")
    assert on.outcomes(message) == [("primary", "sent")]
    assert await on.delivery_status(message) == "sent"
    row = on.ledger.message(message.message_id)
    assert (row.provider_message_id, row.sent_at) == ("primary-1", on.world.clock.now())
    # Running it again sends nothing twice.
    assert await on.engine.run(message.message_id, message.body) is None
    assert len(provider.sent) == 1


async def test_a_temporary_error_is_retried_after_a_backoff() -> None:
    provider = ScriptedProvider("primary", [DeliveryError("busy")])
    on = line([provider], in_process=True)
    start = on.world.clock.now()
    message = await on.registered()  # submitted: the dispatcher takes it from here
    dispatcher = on.world.fakes.dispatcher.forward
    assert isinstance(dispatcher, InProcessDispatcher)
    await dispatcher.drain()
    assert on.slept == [1.0]
    assert (on.world.clock.now() - start).total_seconds() == 1.0
    assert on.outcomes(message) == [("primary", "retry"), ("primary", "sent")]
    assert on.ledger.message(message.message_id).rounds == 1
    assert await on.delivery_status(message) == "sent"
    assert on.metrics.count("sms_retries", provider="primary") == 1


async def test_a_permanent_error_fails_the_message_at_once() -> None:
    refusing = ScriptedProvider("primary", [PermanentDeliveryError("not a mobile number")])
    backup = ScriptedProvider("backup")
    on = line([refusing, backup])
    message = await on.registered()
    assert await on.engine.run(message.message_id, message.body) is None
    assert backup.sent == []  # another provider would not make the number work
    assert on.outcomes(message) == [("primary", "rejected")]
    assert await on.delivery_status(message) == "failed"
    [event] = on.world.events(EventType.SMS_FAILED)
    assert (event.outcome, event.details["reason"]) == ("failed", "not a mobile number")
    assert event.account_id == message.account_id


async def test_a_temporary_error_fails_over_to_the_next_provider() -> None:
    flaky = ScriptedProvider("primary", [DeliveryError("503 from the gateway")])
    backup = ScriptedProvider("backup")
    on = line([flaky, backup])
    message = await on.registered()
    assert await on.engine.run(message.message_id, message.body) is None
    assert on.outcomes(message) == [("primary", "retry"), ("backup", "sent")]
    assert on.metrics.count("sms_failovers", from_provider="primary", to_provider="backup") == 1
    assert await on.delivery_status(message) == "sent"


async def test_a_provider_that_never_answers_times_out_until_the_rounds_run_out() -> None:
    silent = SilentProvider("primary")
    on = line([silent], timeout_seconds=0.0, retry=RetryPolicy(max_rounds=2))
    message = await on.registered()
    delay = await on.engine.run(message.message_id, message.body)
    assert delay == 1.0  # queued again for a second round
    assert on.ledger.message(message.message_id).status == "queued"
    on.world.clock.advance(delay)
    assert await on.engine.run(message.message_id, message.body) is None
    assert on.outcomes(message) == [("primary", "timeout"), ("primary", "timeout")]
    assert len(silent.sent) == 2
    assert await on.delivery_status(message) == "failed"
    [event] = on.world.events(EventType.SMS_FAILED)
    assert event.details["reason"] == "primary did not answer in time"


async def test_a_code_that_expired_before_its_turn_is_abandoned() -> None:
    provider = ScriptedProvider("primary")
    on = line([provider])
    message = await on.registered()
    on.world.clock.advance(300)
    assert await on.engine.run(message.message_id, message.body) is None
    assert provider.sent == []
    assert await on.delivery_status(message) == "abandoned"
