"""One cluster (tests/topology/cluster.py) for the module: starting it costs ~15 s."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import backends
from tests.daemons import PG_BIN
from tests.delivery.conftest import ScriptedTwilio
from tests.faults.conftest import twilio_settings
from tests.topology.cluster import Cluster

# Numbers the tests read as shared (one Redis, one PostgreSQL), small enough to reach quickly.
SHARED = {
    "OTPGATE_LIMIT_SEND_NUMBER": "4/hour",
    "OTPGATE_LIMIT_SEND_NUMBER_NEW": "4/hour",
    "OTPGATE_CODE_FAILURE_STREAK_LIMIT": "4",
    "OTPGATE_CODE_MAX_ATTEMPTS": "10",
    "OTPGATE_MAX_SENDS_PER_CHALLENGE": "10",
    "OTPGATE_RESEND_COOLDOWN_SECONDS": "0",
}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if not (PG_BIN / "initdb").exists() or shutil.which("redis-server") is None:
        backends.missing("PostgreSQL and Redis", f"{PG_BIN}/initdb and redis-server")
    if shutil.which("haproxy") is None:
        backends.missing("HAProxy", "Debian's haproxy (.ci/run installs it)")
    directory: Path = tmp_path_factory.mktemp("topology")
    with ScriptedTwilio() as twilio:
        running = Cluster(directory, twilio, **twilio_settings(twilio), **SHARED)
        try:
            yield running.start()
        finally:
            running.stop()
