"""examples/verify_payment.py runs as documented against a real ``otpgate serve``; the serving
process' relay delivers the verification's events to a webhook receiver meanwhile."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.browser.server import Server, otpgate_command
from tests.webhook_receiver import Receiver, new_secret

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "verify_payment.py"


def cli(server: Server, *args: str) -> dict[str, object]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("OTPGATE_")}
    # The operator's command runs with the server's own settings.
    env.update(server.settings)
    env.update({"OTPGATE_DATA_DIR": str(server.dir / "data"), "OTPGATE_LOG_LEVEL": "warning"})
    done = subprocess.run(
        [*otpgate_command(), *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_the_payment_example_approves_against_a_real_server() -> None:
    with (
        Receiver(new_secret()) as receiver,
        Server(
            OTPGATE_EVENTS_WEBHOOK_URL=receiver.url,
            OTPGATE_EVENTS_WEBHOOK_SECRET=receiver.secret,
            OTPGATE_EVENTS_WEBHOOK_POLL_SECONDS="0.2",
        ) as server,
    ):
        key = cli(server, "api-keys", "create", "--name", "shop-checkout")
        assert str(key["secret"]).startswith("otk_") and str(key["id"]).startswith("key_")
        to = server.new_phone()
        run = subprocess.run(
            [
                sys.executable,
                str(EXAMPLE),
                "--base-url",
                server.url,
                "--key-id",
                str(key["id"]),
                "--api-key",
                str(key["secret"]),
                "--to",
                to,
                "--outbox",
                str(server.outbox),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env={k: v for k, v in os.environ.items() if not k.startswith("OTPGATE_")},
        )
        assert run.returncode == 0, run.stdout + run.stderr
        assert "texted +1 ••• ••• ••" in run.stdout
        assert "approved: Pay €1250.00 to ACME GmbH" in run.stdout
        [sms] = server.messages(to)
        assert 'code to "Pay €1250.00 to ACME GmbH".' in sms["body"]
        events = receiver.wait_for(5)
        assert sorted(event["type"] for event in events) == [
            "api_key.created",
            "code.approved",
            "code.sent",
            "verification.approved",
            "verification.created",
        ]
        assert str(key["secret"]) not in " ".join(body.decode() for body in receiver.raw())
