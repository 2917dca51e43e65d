"""Fixtures for the SMS provider tests: fakes started and stopped per test, clean settings."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from otpgate.config import Settings

from .fakes import FakeSns, FakeTwilio, FakeWebhookReceiver

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "twilio-auth-token-do-not-leak"
API_KEY_SID = "SK" + "2" * 32
API_KEY_SECRET = "twilio-api-key-secret-do-not-leak"
FROM_NUMBER = "+15005550006"
MESSAGING_SERVICE_SID = "MG" + "3" * 32
WEBHOOK_SECRET = "webhook-secret-do-not-leak"
AWS_SECRET = "aws-secret-do-not-leak"
SECRETS = (AUTH_TOKEN, API_KEY_SECRET, WEBHOOK_SECRET, AWS_SECRET)

TO = "+14155550123"
CODE = "493817"
BODY = (
    f"{CODE} is your otpgate code to sign in. It expires in 5 minutes. Never share it."
    f"\n\n@example.test #{CODE}"
)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No OTPGATE_* or real AWS configuration from the developer's shell reaches a test."""
    for name in list(os.environ):
        if name.startswith(("OTPGATE_", "AWS_", "TWILIO_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAOTPGATETEST00000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {"data_dir": tmp_path, "sms_send_timeout_seconds": 5.0}
        return Settings(**(values | overrides))

    return make


@pytest.fixture
def twilio_fake() -> Iterator[FakeTwilio]:
    fake = FakeTwilio({(ACCOUNT_SID, AUTH_TOKEN), (API_KEY_SID, API_KEY_SECRET)})
    with fake:
        yield fake


@pytest.fixture
def webhook_receiver() -> Iterator[FakeWebhookReceiver]:
    with FakeWebhookReceiver(WEBHOOK_SECRET.encode()) as receiver:
        yield receiver


@pytest.fixture
def sns_fake() -> Iterator[FakeSns]:
    with FakeSns() as fake:
        yield fake


@pytest.fixture
def closed_url() -> str:
    """An http URL on which nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
