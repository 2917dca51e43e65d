"""The development outbox can't be written (disk full, or its directory is a file): a clear
error on a failed message, and a server that goes on serving; not a crash.

Embedded mode (``otpgate serve`` on SQLite, delivery in process), where the outbox lives.
``/dev/full`` answers every write with ENOSPC, as a full disk does.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.browser.server import Server
from tests.faults import report
from tests.faults.stack import PASSWORD, wait_until


@pytest.mark.parametrize("fault", ["disk-full", "not-a-directory"])
def test_an_unwritable_outbox_fails_the_message_clearly(tmp_path: Path, fault: str) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    outbox, reason = {
        "disk-full": ("/dev/full", "No space left on device"),
        "not-a-directory": (str(blocker / "sms.jsonl"), f"File exists ({blocker})"),
    }[fault]
    with (
        Server(
            OTPGATE_SMS_OUTBOX=outbox,
            OTPGATE_SMS_MAX_ROUNDS="2",
            OTPGATE_SMS_RETRY_BASE_SECONDS="0.1",
            OTPGATE_SMS_RETRY_MAX_SECONDS="0.2",
            OTPGATE_LOG_LEVEL="info",
            OTPGATE_LOG_FORMAT="json",
        ) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
    ):
        registered = client.post(
            "/api/v1/accounts",
            json={
                "name": "Ada",
                "email": "full@example.com",
                "password": PASSWORD,
                "phone": server.new_phone(),
            },
        )
        assert registered.status_code == 202, registered.text
        url = f"/api/v1/challenges/{registered.json()['challenge']['id']}"

        def failed() -> bool:
            return client.get(url).json()["delivery_status"] == "failed"

        wait_until(failed, 20, "the message failed")
        log = server.log()
        assert f"outbox file not writable: {reason}" in log  # the reason, said plainly
        assert "Traceback" not in log
        # The server goes on: another request is answered, and the customer can ask again.
        assert client.get("/healthz").status_code == 200
        again = client.post(f"{url}/resend")
        assert again.status_code in (202, 429), again.text
        report.note(
            f"outbox {fault}: the message failed with 'outbox file not writable: "
            f"{reason.split(' (')[0]}', "
            "the server kept serving; nothing was sent, and it says so"
        )
