"""Fault tests run whole deployments of their own (tests/faults/stack.py): a PostgreSQL cluster
and a Redis server each test starts, breaks and stops, so they need PostgreSQL 15's and
Redis' binaries (CI has both; OTPGATE_TEST_REQUIRE_ALL=1 makes their absence a failure)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests import backends
from tests.daemons import PG_BIN
from tests.delivery.conftest import ScriptedTwilio
from tests.faults import report
from tests.sms.conftest import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER


@pytest.fixture(autouse=True)
def _needs_servers() -> None:
    if not (PG_BIN / "initdb").exists() or shutil.which("redis-server") is None:
        backends.missing("PostgreSQL and Redis", f"{PG_BIN}/initdb and redis-server")


@pytest.fixture
def twilio() -> Iterator[ScriptedTwilio]:
    with ScriptedTwilio() as fake:
        yield fake


def twilio_settings(twilio: ScriptedTwilio) -> dict[str, str]:
    return {
        "OTPGATE_SMS_PROVIDER": "twilio",
        "OTPGATE_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "OTPGATE_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "OTPGATE_TWILIO_FROM": FROM_NUMBER,
        "OTPGATE_TWILIO_API_BASE": twilio.url,
    }


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if report.LINES:
        terminalreporter.write_sep("-", "faults: what happened, what was lost")
        for line in report.LINES:
            terminalreporter.write_line(line)
