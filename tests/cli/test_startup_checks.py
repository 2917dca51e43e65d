"""Start-up and ``otpgate doctor`` as an operator meets them (issue 15 point 20): one line for
every bad setting, a database that does not answer is a warning and 503s, a PostgreSQL schema
never upgraded stops ``serve`` with one line, and the doctor says why (also as JSON)."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from otpgate import __version__
from tests.backends import (
    create_empty_postgres_database,
    drop_postgres_database,
    missing,
    postgres_server_url,
)
from tests.cli.test_cli import OTPGATE, SECRET, env, free_port, run

# Nothing listens on port 1 of this machine: a refused connection, at once.
UNREACHABLE = "postgresql://otpgate:hunter2-db-password@127.0.0.1:1/otpgate"


@pytest.mark.parametrize(
    "url",
    [
        "mysql://root@localhost/shop",
        "not a url",
        "postgresql://u:pw@db:port/x",
        "sqlite://host/x.db",
    ],
)
def test_a_malformed_or_unsupported_database_url_is_one_line(tmp_path: Path, url: str) -> None:
    for command in ("serve", "doctor"):
        result = run(tmp_path, command, OTPGATE_DATABASE_URL=url)
        assert result.returncode == 2
        [line] = result.stderr.strip().splitlines()
        assert line.startswith("otpgate: invalid setting OTPGATE_DATABASE_URL: ")
        assert url not in line  # never echoed: it may hold a password
        assert "Traceback" not in result.stderr + result.stdout


def test_doctor_says_why_the_database_fails_and_speaks_json(tmp_path: Path) -> None:
    text = run(tmp_path, "doctor", OTPGATE_DATABASE_URL=UNREACHABLE, OTPGATE_SECRET_KEY=SECRET)
    assert text.returncode == 1
    assert "database: NOT REACHABLE (ConnectionRefusedError: " in text.stdout
    assert "hunter2-db-password" not in text.stdout + text.stderr

    result = run(
        tmp_path, "doctor", "--json", OTPGATE_DATABASE_URL=UNREACHABLE, OTPGATE_SECRET_KEY=SECRET
    )
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    checks = {check["name"]: check for check in report["checks"]}
    assert checks["database"]["ok"] is False
    assert checks["database"]["detail"].startswith("NOT REACHABLE (ConnectionRefusedError")
    assert checks["rate limits (in-process memory)"] == {
        "name": "rate limits (in-process memory)",
        "ok": True,
        "detail": "ok",
    }
    assert report["settings"]["OTPGATE_SECRET_KEY"] == "********"
    assert report["settings"]["OTPGATE_DATABASE_URL"] == (
        "postgresql://otpgate:***@127.0.0.1:1/otpgate"
    )
    assert "hunter2-db-password" not in result.stdout


def test_an_unreachable_database_at_start_up_is_a_warning_then_503s(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [OTPGATE, "serve", "--port", str(port)],
        env=env(
            tmp_path,
            OTPGATE_DATABASE_URL=UNREACHABLE,
            OTPGATE_SECRET_KEY=SECRET,
            OTPGATE_BASE_URL=f"http://127.0.0.1:{port}",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError("the server did not start")
        answer = httpx.post(
            f"{url}/api/v1/sessions",
            json={"email": "ada@example.com", "password": "a long passphrase here"},
            timeout=10,
        )
        assert answer.status_code == 503
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == "unavailable"
        assert httpx.get(f"{url}/readyz", timeout=10).status_code == 503
    finally:
        process.terminate()
        output = process.communicate(timeout=20)[0]
    assert "WARNING: the database at postgresql://otpgate:***@127.0.0.1:1/otpgate" in output
    assert "requests answer 503 until it does" in output
    assert "Traceback" not in output and "hunter2-db-password" not in output


def test_serve_refuses_a_postgres_schema_never_upgraded(tmp_path: Path) -> None:
    server = postgres_server_url()
    if server is None:
        missing("PostgreSQL", "OTPGATE_TEST_DATABASE_URL")
        return
    url = create_empty_postgres_database(server)
    plain = "postgresql://" + url.split("://", 1)[1]
    try:
        result = run(
            tmp_path,
            "serve",
            "--port",
            str(free_port()),
            OTPGATE_DATABASE_URL=plain,
            OTPGATE_SECRET_KEY=SECRET,
        )
        assert result.returncode == 2
        [line] = result.stderr.strip().splitlines()
        assert line.startswith("otpgate: the database has no schema yet, this version needs")
        assert "run `otpgate db upgrade` first" in line
        doctor = json.loads(
            run(
                tmp_path, "doctor", "--json", OTPGATE_DATABASE_URL=plain, OTPGATE_SECRET_KEY=SECRET
            ).stdout
        )
        database = next(c for c in doctor["checks"] if c["name"] == "database")
        assert not database["ok"] and "run `otpgate db upgrade`" in database["detail"]
    finally:
        drop_postgres_database(server, url)


def test_start_up_says_what_it_runs_on_in_one_screen(tmp_path: Path) -> None:
    """Point 19: version, database kind, Redis, SMS providers and delivery, data directory,
    base URL; never a password; loud when the development pages show codes. (192.0.2.1 is a
    documentation address: the server can't bind it and stops right away.)"""
    result = run(
        tmp_path,
        "serve",
        "--host",
        "192.0.2.1",
        "--port",
        "8999",
        OTPGATE_DATABASE_URL=UNREACHABLE,
        OTPGATE_SECRET_KEY=SECRET,
        OTPGATE_REDIS_URL="redis://:hunter3-redis-password@127.0.0.1:1/2",
        OTPGATE_DEV_SMS_PAGE="true",
        OTPGATE_DELIVERY="inline",
        OTPGATE_LOG_FORMAT="console",
    )
    output = result.stderr
    assert "hunter2-db-password" not in output and "hunter3-redis-password" not in output
    assert output.splitlines()[1] == f"otpgate {__version__}"  # after the database warning
    for line in (
        "  database       PostgreSQL otpgate@127.0.0.1:1/otpgate",
        "  redis          Redis at 127.0.0.1:1/2 (rate limits shared by every process)",
        "  SMS providers  outbox (outbox file ",
        "  delivery       inline",
        f"  data directory {(tmp_path / 'var').resolve()}",
        "  base URL       http://127.0.0.1:8000",
        "  !!! WARNING: DEVELOPMENT PAGES ARE ON: /dev/sms shows EVERY CODE SENT !!!",
    ):
        assert any(got.startswith(line) for got in output.splitlines()), line
    assert "Traceback" not in output


def test_start_up_is_one_json_record_in_the_json_log(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "serve",
        "--host",
        "192.0.2.1",
        "--port",
        "8999",
        OTPGATE_DEV_SMS_PAGE="true",
        OTPGATE_LOG_FORMAT="json",
        OTPGATE_LOG_LEVEL="info",
    )
    records = [
        json.loads(line)
        for line in (result.stdout + result.stderr).splitlines()
        if line.startswith("{")
    ]
    [starting] = [r for r in records if r["event"] == "starting"]
    assert starting["version"] == __version__
    assert starting["database"].startswith("SQLite at ")
    assert starting["base_url"] == "http://127.0.0.1:8000"
    assert any("EVERY CODE SENT" in r["event"] and r["level"] == "warning" for r in records)
