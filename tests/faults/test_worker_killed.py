"""A worker killed (SIGKILL) in the middle of a send: after a restart the message is sent once
or reconciled, never twice, never lost, counted at the (fake) provider.

Through a real ``otpgate serve``: a customer signs up, the worker calls Twilio, Twilio holds
the call (having taken the message, or not), the worker is killed. A second worker finds the
message left ``sending``, asks Twilio, and either records the message Twilio has or sends it.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.delivery.conftest import ScriptedTwilio
from tests.faults import report
from tests.faults.conftest import twilio_settings
from tests.faults.stack import PASSWORD, stack, wait_until
from tests.texts import code_of


@pytest.mark.parametrize("twilio_took_it", [True, False], ids=["twilio-took-it", "never-arrived"])
def test_a_worker_killed_mid_send_sends_once(
    tmp_path: Path, twilio: ScriptedTwilio, twilio_took_it: bool
) -> None:
    settings = {
        **twilio_settings(twilio),
        "OTPGATE_SMS_SEND_TIMEOUT_SECONDS": "1",
        "OTPGATE_SMS_RECLAIM_AFTER_SECONDS": "2",
    }
    with (
        stack(tmp_path, **settings) as running,
        httpx.Client(base_url=running.url, timeout=30) as client,
    ):
        twilio.mode = "accept_and_hang" if twilio_took_it else "hang"
        # The first worker waits long on Twilio: it is killed while it waits.
        first = running.worker(
            "first",
            OTPGATE_SMS_SEND_TIMEOUT_SECONDS="8",
            OTPGATE_SMS_RECLAIM_AFTER_SECONDS="10",
        )
        phone = "+14155554401"
        registered = client.post(
            "/api/v1/accounts",
            json={"name": "Ada", "email": "kill@example.com", "password": PASSWORD, "phone": phone},
        )
        assert registered.status_code == 202
        wait_until(lambda: len(twilio.requests) == 1, 15, "the worker calling Twilio")
        first.kill()  # mid-call: no chance to record anything
        assert running.sql("SELECT status FROM messages")[0]["status"] == "sending"

        twilio.mode = "ok"  # a blind re-send would now go through, and be counted
        running.worker("second")

        def sent() -> bool:
            return running.sql("SELECT status FROM messages")[0]["status"] == "sent"

        wait_until(sent, 30, "the message settled")
        assert len(twilio.created) == 1  # exactly one SMS, whichever way the first call went
        [message] = twilio.created
        assert message["to"] == phone
        [row] = running.sql("SELECT provider_message_id FROM messages")
        assert row["provider_message_id"] == message["sid"]
        # The one code that went out works.
        verified = client.post(
            f"/api/v1/challenges/{registered.json()['challenge']['id']}/verify",
            json={"code": code_of(message["body"])},
        )
        assert verified.status_code == 200, verified.text
        how = "found at Twilio, not sent again" if twilio_took_it else "sent by the next worker"
        report.note(f"worker SIGKILL mid-send ({how}): 1 message, 1 SMS, 0 lost, 0 doubled")
