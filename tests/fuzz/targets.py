"""The real servers the fuzz suite sends its cases to, started once per run (``conftest.py``).

One ``otpgate serve`` on SQLite (embedded mode), and one on PostgreSQL + Redis: a fresh database
on the test PostgreSQL, and a Redis server of its own (its counts never mix with other runs').
Each has an account of its own, signed in, whose token the cases carry; a case that signs that
session out gets a fresh one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests import backends
from tests.browser.server import RELAXED_LIMITS, Server
from tests.conftest import TEST_SECRET
from tests.daemons import RedisServer
from tests.texts import code_of

OWNER = {"name": "Fuzz Owner", "email": "fuzz.owner@example.com"}
PASSWORD = "fuzzing is a kind of testing 2026"
LIMITS = {
    **RELAXED_LIMITS,
    **{
        f"OTPGATE_LIMIT_{name}": "100000/minute"
        for name in (
            "SEND_NUMBER",
            "SEND_ACCOUNT",
            "SEND_PREFIX",
            "SEND_COUNTRY",
            "SEND_GLOBAL",
            "PASSWORD_ACCOUNT",
            "PASSWORD_CHANGE",
        )
    },
}


@dataclass
class Target:
    name: str
    server: Server
    token: str = ""
    phone: str = ""
    requests: int = 0
    server_errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def sign_up(self) -> None:
        self.phone = self.server.new_phone()
        body = {**OWNER, "password": PASSWORD, "phone": self.phone}
        registered = httpx.post(f"{self.url}/api/v1/accounts", json=body, timeout=10).json()
        self._verify(registered["challenge"]["id"], 1)

    def sign_in(self) -> None:
        """A fresh session for the owner (a case signed the last one out)."""
        # Counted before asking: the code may be delivered before the answer is read.
        sent = len(self.server.messages(self.phone))
        started = httpx.post(
            f"{self.url}/api/v1/sessions",
            json={"email": OWNER["email"], "password": PASSWORD},
            timeout=10,
        )
        assert started.status_code == 202, started.text
        self._verify(started.json()["challenge"]["id"], sent + 1)

    def _verify(self, challenge_id: str, count: int) -> None:
        message = self.server.wait_for_message(self.phone, count)
        verified = httpx.post(
            f"{self.url}/api/v1/challenges/{challenge_id}/verify",
            json={"code": code_of(message["body"])},
            timeout=10,
        )
        assert verified.status_code == 200, verified.text
        self.token = verified.json()["session"]["token"]

    def count(self, status: int) -> None:
        self.requests += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status >= 500:
            self.server_errors += 1

    def still_signed_in(self) -> bool:
        me = httpx.get(f"{self.url}/api/v1/me", headers=self.headers(), timeout=10)
        return me.status_code == 200


TARGETS: list[Target] = []
MISSING: list[str] = []
_cleanup: list[Any] = []


def start() -> None:
    """Start the servers (called from ``pytest_configure``, before the schema is loaded)."""
    sqlite = Server(**LIMITS)
    _cleanup.append(sqlite.stop)
    sqlite.start()
    TARGETS.append(Target("sqlite", sqlite))
    server_url, redis_url = backends.postgres_server_url(), backends.redis_url()
    if server_url is None or redis_url is None:
        MISSING.append("PostgreSQL and Redis (OTPGATE_TEST_DATABASE_URL, OTPGATE_TEST_REDIS_URL)")
    else:
        database = backends.create_postgres_database(server_url)
        _cleanup.append(lambda: backends.drop_postgres_database(server_url, database))
        redis = RedisServer()
        _cleanup.append(redis.close)
        redis.start()
        postgres = Server(
            **LIMITS,
            OTPGATE_DATABASE_URL=database.replace("+asyncpg", ""),
            OTPGATE_REDIS_URL=redis.url,
            OTPGATE_SECRET_KEY=TEST_SECRET,
            OTPGATE_DELIVERY="inline",
        )
        _cleanup.append(postgres.stop)
        postgres.start()
        TARGETS.append(Target("postgres", postgres))
    for target in TARGETS:
        target.sign_up()


def stop() -> None:
    while _cleanup:
        _cleanup.pop()()


def summary() -> str:
    lines = [
        f"{t.name}: {t.requests} requests, {t.server_errors} server errors, "
        f"statuses {json.dumps(dict(sorted(t.statuses.items())))}"
        for t in TARGETS
    ]
    return "\n".join(lines)
