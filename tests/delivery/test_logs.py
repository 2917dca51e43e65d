"""No secret in any log line: a real ``otpgate serve`` at debug level, a full journey, and a
scan of everything it printed for the codes, the bodies, the password and the tokens."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.browser.server import Server
from tests.harness import PASSWORD
from tests.texts import wrong_code


def test_a_full_journey_logs_json_with_request_ids_and_no_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTHONUNBUFFERED", "1")  # every line on disk before we read
    secrets: list[str] = [PASSWORD]
    with Server(OTPGATE_LOG_LEVEL="debug", OTPGATE_LOG_FORMAT="json") as server:
        phone = server.new_phone()
        with httpx.Client(base_url=server.url, timeout=10) as client:
            registered = client.post(
                "/api/v1/accounts",
                json={
                    "name": "Ada Lovelace",
                    "email": "ada@example.com",
                    "password": PASSWORD,
                    "phone": phone,
                },
            ).json()
            challenge = registered["challenge"]["id"]
            code = server.wait_for_code(phone, 1)
            wrong = wrong_code(code)
            assert client.post(f"/api/v1/challenges/{challenge}/verify", json={"code": wrong})
            verified = client.post(f"/api/v1/challenges/{challenge}/verify", json={"code": code})
            assert verified.status_code == 200, verified.text
            secrets += [code, verified.json()["session"]["token"]]

            started = client.post(
                "/api/v1/sessions",
                json={"email": "ada@example.com", "password": PASSWORD, "remember_device": True},
            )
            assert started.status_code == 202, started.text
            sign_in = started.json()["challenge"]["id"]
            code = server.wait_for_code(phone, 2)
            done = client.post(
                f"/api/v1/challenges/{sign_in}/verify",
                json={"code": code, "remember_device": True},
            ).json()
            secrets += [code, done["session"]["token"], done["device_token"]]
        secrets += [message["body"] for message in server.messages(phone)]
        output = server.log()

    lines = [line for line in output.splitlines() if line.strip()]
    assert lines
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert any(record.get("event") == "sms sent" for record in records)
    assert any("request_id" in record for record in records)
    for secret in secrets:
        assert secret not in output, f"a secret ({len(secret)} chars) appears in the log"
