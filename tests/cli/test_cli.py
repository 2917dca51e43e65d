"""The ``otpgate`` command as an operator runs it: real processes, real files."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

OTPGATE = str(Path(sys.executable).with_name("otpgate"))
SECRET = "cli-test-secret-key-0123456789-abcdefghijkl"


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("OTPGATE_") or k.startswith("OTPGATE_TEST")
    }
    base.update({"OTPGATE_DATA_DIR": str(tmp_path / "var"), "OTPGATE_LOG_LEVEL": "warning"})
    base.update(extra)
    return base


def run(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [OTPGATE, *args],
        env=env(tmp_path, **extra),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )


def test_a_bad_setting_stops_with_one_line_naming_it(tmp_path: Path) -> None:
    result = run(tmp_path, "doctor", OTPGATE_CODE_LENGTH="4")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "otpgate: invalid setting OTPGATE_CODE_LENGTH: Input should be greater than or equal to 6"
    ]
    assert "Traceback" not in result.stderr + result.stdout


def test_postgres_needs_an_explicit_secret_key(tmp_path: Path) -> None:
    result = run(tmp_path, "serve", OTPGATE_DATABASE_URL="postgresql://postgres@127.0.0.1/x")
    assert result.returncode == 2
    assert "OTPGATE_SECRET_KEY is required" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_limit_rule_stops_serve_with_one_line(tmp_path: Path) -> None:
    result = run(tmp_path, "serve", OTPGATE_LIMIT_SEND_NUMBER="five per minute")
    assert result.returncode == 2
    assert "send_number" in result.stderr
    assert "Traceback" not in result.stderr


def test_doctor_hides_secrets_and_checks_everything(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'var' / 'x.db'}"
    (tmp_path / "var").mkdir()
    before = run(tmp_path, "doctor", OTPGATE_SECRET_KEY=SECRET, OTPGATE_DATABASE_URL=database)
    assert before.returncode == 1
    assert "run `otpgate db upgrade`" in before.stdout
    assert run(tmp_path, "db", "upgrade", OTPGATE_DATABASE_URL=database).returncode == 0
    result = run(
        tmp_path,
        "doctor",
        OTPGATE_SECRET_KEY=SECRET,
        OTPGATE_WEBHOOK_SECRET="webhook-secret-value",
        OTPGATE_DATABASE_URL=database,
    )
    output = result.stdout + result.stderr
    assert SECRET not in output and "webhook-secret-value" not in output
    assert "OTPGATE_SECRET_KEY = ********" in output
    assert "database: ok (schema " in output
    assert "rate limits (in-process memory): ok" in output
    assert "sms: outbox" in output
    assert result.returncode == 0, output


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    result = run(tmp_path, "db", "upgrade", OTPGATE_DATABASE_URL=f"sqlite:///{db}")
    assert result.returncode == 0, result.stderr
    import sqlite3

    with sqlite3.connect(db) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"accounts", "challenges", "sessions", "messages", "events"} <= tables


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[str]]]:
    port = free_port()
    process = subprocess.Popen(
        [OTPGATE, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env(tmp_path, OTPGATE_BASE_URL=f"http://127.0.0.1:{port}", OTPGATE_LOG_LEVEL="info"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        process.kill()
        raise AssertionError(process.communicate()[0])
    yield url, tmp_path, process
    process.terminate()
    process.wait(timeout=20)


def test_serve_upgrades_sqlite_and_logs_no_secrets(
    server: tuple[str, Path, subprocess.Popen[str]],
) -> None:
    url, tmp_path, process = server
    password = "a long and unguessable passphrase"
    with httpx.Client(base_url=url, timeout=10) as client:
        registered = client.post(
            "/api/v1/accounts",
            json={
                "name": "Ada",
                "email": "ada@example.com",
                "password": password,
                "phone": "+14155552671",
            },
        )
        assert registered.status_code == 202, registered.text
        outbox = tmp_path / "var" / "sms-outbox.jsonl"
        deadline = time.monotonic() + 10
        while not outbox.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        message = json.loads(outbox.read_text().splitlines()[-1])
        code = message["body"].rsplit("#", 1)[1]
        verified = client.post(
            f"/api/v1/challenges/{registered.json()['challenge']['id']}/verify", json={"code": code}
        )
        assert verified.status_code == 200
        token = verified.json()["session"]["token"]
        assert (
            client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code
            == 200
        )
        assert client.get("/readyz").status_code == 200
    process.terminate()
    logs = process.communicate(timeout=20)[0]
    assert '"route": "/challenges/{challenge_id}/verify"' in logs  # JSON access log
    for secret in (code, password, token, token.split("_", 1)[1]):
        assert secret not in logs
    assert (tmp_path / "var" / "otpgate.db").exists()
    assert oct((tmp_path / "var" / "secret_key").stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize(("page", "warned"), [("true", True), ("false", False)])
def test_serve_warns_loudly_when_the_dev_inbox_listens_beyond_loopback(
    tmp_path: Path, page: str, warned: bool
) -> None:
    """DESIGN §6: /dev/sms on a server that listens beyond this machine is said out loud.
    (192.0.2.1 is a documentation address: the server can't bind it and stops right away.)"""
    result = run(
        tmp_path, "serve", "--host", "192.0.2.1", "--port", "8999", OTPGATE_DEV_SMS_PAGE=page
    )
    assert result.returncode != 0
    assert ("WARNING: the development SMS inbox (/dev/sms) is ON" in result.stderr) is warned
    assert "Traceback" not in result.stderr
