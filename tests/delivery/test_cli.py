"""``otpgate sms test`` and ``otpgate worker`` from the command line."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from otpgate.cli import app
from tests.sms.fakes import FakeWebhookReceiver

from .conftest import ACCOUNT_SID, AUTH_TOKEN, WEBHOOK_SECRET, ScriptedTwilio

TO = "+14155552671"


def _run(tmp_path: Path, *args: str, **env: str) -> tuple[int, str]:
    base = {"OTPGATE_DATA_DIR": str(tmp_path), "OTPGATE_BRAND": "Shop"}
    result = CliRunner().invoke(app, list(args), env=base | env)
    return result.exit_code, result.output


def test_sms_test_fails_over_and_says_what_each_provider_did(
    tmp_path: Path, twilio: ScriptedTwilio, receiver: FakeWebhookReceiver
) -> None:
    twilio.mode = "server_error"
    status, output = _run(
        tmp_path,
        "sms",
        "test",
        "+1 (415) 555-2671",
        OTPGATE_SMS_PROVIDERS="twilio,webhook",
        OTPGATE_TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        OTPGATE_TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        OTPGATE_TWILIO_FROM="+15005550006",
        OTPGATE_TWILIO_API_BASE=twilio.url,
        OTPGATE_WEBHOOK_URL=receiver.url,
        OTPGATE_WEBHOOK_SECRET=WEBHOOK_SECRET,
    )

    assert status == 0, output
    failed, sent = output.splitlines()
    assert failed == "twilio: failed: twilio answered HTTP 500 (error 20500)"
    assert sent.startswith("webhook: sent (provider id wh_")
    [message] = receiver.messages
    assert message["to"] == TO
    assert message["purpose"] == "test"
    assert not re.search(r"\d{6}", message["body"])  # no code, nothing to confuse with one
    assert AUTH_TOKEN not in output and WEBHOOK_SECRET not in output


def test_sms_test_exits_non_zero_when_nothing_accepted_it(
    tmp_path: Path, receiver: FakeWebhookReceiver
) -> None:
    receiver.mode = "client_error"
    status, output = _run(
        tmp_path,
        "sms",
        "test",
        TO,
        OTPGATE_SMS_PROVIDER="webhook",
        OTPGATE_WEBHOOK_URL=receiver.url,
        OTPGATE_WEBHOOK_SECRET=WEBHOOK_SECRET,
    )
    assert status == 1
    assert output == "webhook: refused for this number: webhook answered HTTP 400\n"


def test_sms_test_refuses_a_number_that_gets_no_sms(tmp_path: Path) -> None:
    status, output = _run(tmp_path, "sms", "test", "+19005550123")
    assert status == 2
    assert "Premium-rate" in output


def test_the_worker_needs_the_queue(tmp_path: Path) -> None:
    status, output = _run(tmp_path, "worker")
    assert status == 2
    assert "OTPGATE_DELIVERY=queue" in output


def test_bad_delivery_settings_stop_with_one_line(tmp_path: Path) -> None:
    status, output = _run(tmp_path, "worker", OTPGATE_SMS_ROUTES="+49:carrier-pigeon")
    assert status == 2
    assert output.strip() == (
        "otpgate: invalid settings: OTPGATE_SMS_ROUTES: 'carrier-pigeon' is not one of "
        "outbox, twilio, sns, webhook"
    )
    status, output = _run(tmp_path, "worker", OTPGATE_DELIVERY="queue")
    assert status == 2
    assert "needs a PostgreSQL" in output
