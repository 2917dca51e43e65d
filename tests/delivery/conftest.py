"""Fixtures for delivery: the vendor fakes of tests/sms, an app wired to them, a clock-moving sleep.

The app comes from the shared ``make_harness`` (SQLite, and PostgreSQL + Redis when configured),
with real Twilio / SNS / webhook providers pointed at local fakes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

from otpgate.domain.clock import ManualClock
from tests.harness import Harness
from tests.sms.conftest import ACCOUNT_SID, AUTH_TOKEN, AWS_SECRET, FROM_NUMBER, WEBHOOK_SECRET
from tests.sms.fakes import FakeSns, FakeTwilio, FakeWebhookReceiver, Request, json_answer

__all__ = ["ACCOUNT_SID", "AUTH_TOKEN", "WEBHOOK_SECRET"]

BuildHarness = Callable[..., Any]


@pytest.fixture(autouse=True)
def _aws_test_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """boto3 reads its credentials from the environment: fake ones, never the developer's."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAOTPGATETEST00000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "TWILIO_EDGE", "TWILIO_REGION"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def twilio() -> Iterator[ScriptedTwilio]:
    with ScriptedTwilio() as fake:
        yield fake


@pytest.fixture
def sns() -> Iterator[FakeSns]:
    with FakeSns() as fake:
        yield fake


@pytest.fixture
def receiver() -> Iterator[FakeWebhookReceiver]:
    with FakeWebhookReceiver(WEBHOOK_SECRET.encode()) as fake:
        yield fake


def provider_settings(
    twilio: FakeTwilio | None = None,
    sns: FakeSns | None = None,
    receiver: FakeWebhookReceiver | None = None,
) -> dict[str, Any]:
    """Settings that point every given provider at its fake."""
    values: dict[str, Any] = {}
    if twilio is not None:
        values |= {
            "twilio_account_sid": ACCOUNT_SID,
            "twilio_auth_token": AUTH_TOKEN,
            "twilio_from": FROM_NUMBER,
            "twilio_api_base": twilio.url,
        }
    if sns is not None:
        values |= {"sns_endpoint_url": sns.url, "sns_region": sns.region}
    if receiver is not None:
        values |= {"webhook_url": receiver.url, "webhook_secret": WEBHOOK_SECRET}
    return values


class ClockSleep:
    """A backoff sleep that moves the test clock instead of waiting, and remembers delays."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.clock.advance(seconds)


@pytest.fixture
def wired(
    make_harness: BuildHarness,
    clock: ManualClock,
    twilio: FakeTwilio,
    sns: FakeSns,
    receiver: FakeWebhookReceiver,
) -> BuildHarness:
    """``await wired(sms_providers="twilio,sns", ...)``: a harness on the fakes whose backoff
    sleeps move the clock, and whose jitter always takes the longest wait (deterministic)."""

    async def build(**overrides: Any) -> Harness:
        values = provider_settings(twilio, sns, receiver) | {"sms_send_timeout_seconds": 2.0}
        options = {"sleep": ClockSleep(clock), "jitter": lambda low, high: high}
        h: Harness = await make_harness(app_options=options, **(values | overrides))
        return h

    return build


class ScriptedTwilio(FakeTwilio):
    """Twilio whose next message creates answer as ``script`` says, then as ``mode``.

    It also lists a number's messages (``GET .../Messages.json?To=...``, newest first) from
    those it created, and has one more mode, ``accept_and_hang``: it creates the message and
    then holds the answer, like a Twilio that took the message while the caller died.
    """

    def __init__(self) -> None:
        super().__init__({(ACCOUNT_SID, AUTH_TOKEN)})
        self.script: list[str] = []
        self.created: list[dict[str, str]] = []  # sid, to, body of every message it took
        self.list_fails = False

    def answer(self, request: Request) -> Any:
        path, _, query = request.path.partition("?")
        listing = request.method == "GET" and path.endswith("/Messages.json")
        if not listing or request.basic_auth not in self.credentials:
            return super().answer(request)
        if self.list_fails:
            return json_answer(503, {"code": 20503, "message": "Service unavailable"})
        to = dict(parse_qsl(query)).get("To")
        found = [
            {"sid": m["sid"], "to": m["to"], "body": m["body"], "status": "sent"}
            for m in reversed(self.created)
            if m["to"] == to
        ]
        return json_answer(
            200, {"messages": found, "next_page_uri": None, "page": 0, "page_size": 50, "uri": path}
        )

    def _create(self, account_sid: str, form: dict[str, str]) -> Any:
        if self.script:
            self.mode = self.script.pop(0)
        if self.mode == "accept_and_hang":
            self.messages.append(form)
            self._took("SM" + uuid.uuid4().hex, form)
            return None
        answer = super()._create(account_sid, form)
        if answer is not None and answer[0] == 201:
            self._took(json.loads(answer[2])["sid"], form)
        return answer

    def _took(self, sid: str, form: dict[str, str]) -> None:
        self.created.append({"sid": sid, "to": form["To"], "body": form["Body"]})


def metric(h: Harness, name: str, **labels: str) -> float:
    """A sample from the app's Prometheus registry (0 when never recorded)."""
    value = h.runtime.metrics.registry.get_sample_value(name, labels)
    return value or 0.0


async def attempts(h: Harness) -> list[tuple[str, str]]:
    rows = await h.rows("SELECT provider, outcome FROM message_attempts ORDER BY id")
    return [(row["provider"], row["outcome"]) for row in rows]


async def delivery_status(h: Harness, challenge_id: str) -> str:
    response = await h.client.get(f"/api/v1/challenges/{challenge_id}")
    assert response.status_code == 200, response.text
    status: str = response.json()["delivery_status"]
    return status


def as_dict(value: Any) -> dict[str, Any]:
    """A JSON column read through raw SQL: a dict on PostgreSQL, text on SQLite."""
    if isinstance(value, dict):
        return value
    loaded: dict[str, Any] = json.loads(value)
    return loaded
