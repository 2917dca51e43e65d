"""A hypothesis state machine over the challenge life cycle, against the API (DESIGN §4).

Rules: open a sign-in (which supersedes the account's pending sign-in) or a step-up; resend;
enter a wrong code, a stale one (from before a resend) or the right one; let time pass. A
model predicts every answer exactly, and after every step each challenge, read back through
the API, must agree with it:

- S2/S5/S10/S11: a code works only within its lifetime, only the newest works, the attempt
  count carries over resends, and the sixth answer is refused even when right;
- S3: a challenge is approved at most once; terminal states are final;
- S12: ten wrong answers in a row pause every code of the account, growing 15 -> 30 -> 60 min;
- S16/S44: at most five sends per challenge, each one a message, each message counted.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import text

from otpgate.config import Settings
from otpgate.domain.clock import ManualClock
from otpgate.web.app import create_app
from tests import backends
from tests.harness import Harness, auth
from tests.texts import wrong_code

T = TypeVar("T")
RELAXED = {
    f"limit_{name}": "100000/minute"
    for name in (
        "send_number",
        "send_ip",
        "send_account",
        "send_prefix",
        "send_country",
        "send_global",
        "password_account",
        "password_ip",
        "register_ip",
        "verify_ip",
    )
}
# What the runs went through: the test asserts the life cycle was really walked.
SEEN: Counter[str] = Counter()
TTL, COOLDOWN, MAX_LIFE, MAX_SENDS, MAX_ATTEMPTS, STREAK = 300, 30, 900, 5, 5, 10


@dataclass
class Model:
    """What one challenge should be."""

    id: str
    purpose: str
    created: datetime
    last_sent: datetime
    expires: datetime
    code: str
    stale: list[str] = field(default_factory=list)
    status: str = "pending"  # as stored; ``shown`` is what a reader sees
    attempts: int = 0
    sends: int = 1

    def shown(self, now: datetime) -> str:
        if self.status == "pending" and now >= self.expires:
            return "expired"
        return self.status


class ChallengeLifeCycle(RuleBasedStateMachine):
    challenges = Bundle("challenges")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.h = self.build()
        if self.h.settings.is_postgres:
            self.run(truncate(self.h))
        self.models: dict[str, Model] = {}
        self.streak = self.lockouts = self.names = 0
        self.paused_until: datetime | None = None
        self.account = self.run(self.h.registered_account("machine@example.com"))
        self.phone, self.token = self.account["phone"], self.account["token"]

    def build(self) -> Harness:
        raise NotImplementedError  # the test sets it, with the backend's settings

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    @property
    def now(self) -> datetime:
        return self.h.clock.now()

    @property
    def paused(self) -> bool:
        return self.paused_until is not None and self.now < self.paused_until

    def teardown(self) -> None:
        self.run(self.h.client.aclose())
        self.run(self.h.runtime.aclose())
        self.loop.close()

    def headers(self, model: Model) -> dict[str, str] | None:
        return auth(self.token) if model.purpose == "step_up" else None

    # -- opening challenges ----------------------------------------------------------------

    def _opened(self, response: httpx.Response, purpose: str) -> Model:
        assert response.status_code == 202, response.text
        now = self.now
        model = Model(
            id=response.json()["challenge"]["id"],
            purpose=purpose,
            created=now,
            last_sent=now,
            expires=now + timedelta(seconds=TTL),
            code=self.run(self.h.last_code(self.phone)),
        )
        self.models[model.id] = model
        return model

    @rule(target=challenges)
    def sign_in(self) -> Any:
        """S12: a paused account gets no code; else the new sign-in supersedes the pending one."""
        response = self.run(self.h.start_sign_in("machine@example.com"))
        if self.paused:
            assert response.status_code == 429, response.text
            assert response.json()["code"] == "code_lockout"
            return multiple()
        for model in self.models.values():
            if model.purpose == "sign_in" and model.status == "pending":
                model.status = "canceled"
        return self._opened(response, "sign_in")

    @rule(target=challenges)
    def step_up(self) -> Model:
        self.names += 1
        response = self.run(
            self.h.client.patch(
                "/api/v1/me", json={"name": f"Ada {self.names}"}, headers=auth(self.token)
            )
        )
        return self._opened(response, "step_up")

    # -- answers ---------------------------------------------------------------------------

    def _refusal(self, model: Model) -> tuple[int, str] | None:
        """How a challenge that can take no answer now says so."""
        refusals = {
            "approved": (409, "challenge_used"),
            "failed": (410, "challenge_failed"),
            "canceled": (410, "challenge_canceled"),
            "expired": (410, "challenge_expired"),
        }
        shown = model.shown(self.now)
        if shown in refusals:
            return refusals[shown]
        if model.attempts >= MAX_ATTEMPTS:
            return 410, "challenge_failed"
        return None

    def _answer(self, model: Model, code: str, right: bool) -> None:
        response = self.run(
            self.h.verify(model.id, code, token=self.token if self.headers(model) else None)
        )
        expected = self._refusal(model)
        if model.shown(self.now) == "expired":
            model.status = "expired"  # a verify records the expiry it finds
        if expected is None and self.paused:
            expected = (429, "code_lockout")  # S12: not even compared
        if expected is not None:
            SEEN[expected[1]] += 1
            assert (response.status_code, response.json()["code"]) == expected, response.text
            return
        model.attempts += 1  # S11: counted before the comparison, kept across resends
        if right:
            assert response.status_code == 200, response.text
            model.status = "approved"
            SEEN["approved"] += 1
            self.streak, self.lockouts, self.paused_until = 0, 0, None
            return
        self.streak += 1
        if self.streak >= STREAK:
            pause = min(900 * 2**self.lockouts, 3600)  # 15 -> 30 -> 60 minutes
            self.streak, self.lockouts = 0, self.lockouts + 1
            self.paused_until = self.now + timedelta(seconds=pause)
            SEEN["paused"] += 1
        if model.attempts >= MAX_ATTEMPTS:
            SEEN["failed"] += 1
            model.status = "failed"  # S10: the fifth wrong answer ends it
            assert (response.status_code, response.json()["code"]) == (410, "challenge_failed")
        else:
            assert response.status_code == 400, response.text
            body = response.json()
            assert body["code"] == "invalid_code"
            assert body["attempts_remaining"] == MAX_ATTEMPTS - model.attempts

    @rule(model=challenges)
    def right(self, model: Model) -> None:
        self._answer(model, model.code, right=True)

    @rule(model=challenges, times=st.integers(1, 6))
    def wrong(self, model: Model, times: int) -> None:
        for _ in range(times):
            self._answer(model, wrong_code(model.code), right=False)

    @rule(model=challenges)
    def stale_code(self, model: Model) -> None:
        """S5: after a resend the old code is only a wrong one."""
        old = [code for code in model.stale if code != model.code]
        if old:
            self._answer(model, old[-1], right=False)

    # -- resending and time ----------------------------------------------------------------

    @rule(model=challenges, wait=st.sampled_from([0, 31]))
    def resend(self, model: Model, wait: int) -> None:
        self.h.clock.advance(wait)
        response = self.run(
            self.h.client.post(f"/api/v1/challenges/{model.id}/resend", headers=self.headers(model))
        )
        now = self.now
        expected = self._refusal(model)  # a resend reads an expiry, it does not record it
        if expected is None and now >= model.created + timedelta(seconds=MAX_LIFE - 1):
            expected = (410, "challenge_expired")
        if expected is None and model.sends >= MAX_SENDS:
            expected = (409, "resend_limit_reached")
        if expected is None and now < model.last_sent + timedelta(seconds=COOLDOWN):
            expected = (429, "resend_too_soon")
        if expected is not None:
            SEEN[expected[1]] += 1
            assert (response.status_code, response.json()["code"]) == expected, response.text
            return
        assert response.status_code == 202, response.text
        SEEN["resent"] += 1
        model.sends += 1
        model.last_sent = now
        model.expires = min(
            now + timedelta(seconds=TTL), model.created + timedelta(seconds=MAX_LIFE)
        )
        model.stale.append(model.code)
        model.code = self.run(self.h.last_code(self.phone))

    @rule(seconds=st.sampled_from([1, 29, 31, 120, 301, 600, 901]))
    def time_passes(self, seconds: int) -> None:
        self.h.clock.advance(seconds)

    # -- what must always hold ---------------------------------------------------------------

    @invariant()
    def the_api_agrees_with_the_model(self) -> None:
        now = self.now
        for model in self.models.values():
            response = self.run(
                self.h.client.get(f"/api/v1/challenges/{model.id}", headers=self.headers(model))
            )
            assert response.status_code == 200, response.text
            data = response.json()
            assert data["status"] == model.shown(now), (model, data)
            assert data["attempts_remaining"] == MAX_ATTEMPTS - model.attempts, (model, data)
            expires = datetime.fromisoformat(data["expires_at"])
            assert expires == model.expires, (model, data)
            # S2: a code lives at most its lifetime, and the challenge at most 15 minutes.
            assert expires <= model.created + timedelta(seconds=MAX_LIFE)
            assert expires <= model.last_sent + timedelta(seconds=TTL)
        if not self.models:
            return
        rows = self.run(
            self.h.rows(
                "SELECT challenge_id, count(*) AS n FROM messages "
                "WHERE challenge_id IS NOT NULL GROUP BY challenge_id"
            )
        )
        sent = {row["challenge_id"]: row["n"] for row in rows}
        for model in self.models.values():
            # S16/S44: one message per send, never more than five.
            assert sent.get(model.id, 0) == model.sends <= MAX_SENDS, model


async def truncate(h: Harness) -> None:
    async with h.runtime.store.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {backends.TABLES} CASCADE"))


def test_the_challenge_life_cycle_holds_its_invariants(
    make_settings: Callable[..., Settings], sqlite_template: Path, backend: str, tmp_path: Path
) -> None:
    """DESIGN §4 under arbitrary sequences of sends, resends, answers and waiting."""
    SEEN.clear()
    runs = iter(range(10_000))

    def build(_machine: ChallengeLifeCycle) -> Harness:
        directory = tmp_path / f"run{next(runs)}"
        directory.mkdir()
        overrides: dict[str, Any] = {
            **RELAXED,
            "data_dir": directory,
            "sms_outbox": directory / "sms-outbox.jsonl",
        }
        if backend == "sqlite":
            url = backends.sqlite_copy(sqlite_template, directory)
            overrides["database_url"] = url.replace("sqlite+aiosqlite", "sqlite", 1)
        configured = make_settings(**overrides)
        clock = ManualClock(datetime.now(UTC).replace(microsecond=0))
        app = create_app(configured, clock=clock, limiter_prefix="m" + secrets.token_hex(6))
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("203.0.113.7", 50000)),
            base_url="http://testserver",
        )
        return Harness(app=app, client=client, clock=clock, settings=configured)

    machine = type("Machine", (ChallengeLifeCycle,), {"build": build})
    run_state_machine_as_test(
        machine,
        settings=settings(
            # Bounded: a run signs up (Argon2) and walks 35 steps with a read-back after each.
            max_examples=10 if backend == "sqlite" else 8,
            stateful_step_count=35,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        ),
    )
    walked = {"approved", "challenge_used", "challenge_canceled", "challenge_expired", "resent"}
    walked |= {"failed", "challenge_failed", "paused", "code_lockout", "resend_too_soon"}
    assert walked <= set(SEEN), dict(SEEN)  # the runs really went through the life cycle
