"""A whole scaled deployment of its own: PostgreSQL, Redis, ``otpgate serve``, ``otpgate worker``.

The fault tests break one part of it while requests come in. PostgreSQL and Redis are
throwaway servers on their own ports (tests/daemons.py); the SMS provider is a fake on
loopback (tests/sms/fakes.py), so what was really "sent" can be counted.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.browser.server import RELAXED_LIMITS, Server, otpgate_command
from tests.conftest import TEST_SECRET
from tests.daemons import PostgresCluster, RedisServer
from tests.delivery.procs import Worker, wait_for
from tests.texts import code_of

PASSWORD = "a fault is not a failure 2026"
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


class Stack:
    """Everything a scaled otpgate needs, each a real process this test owns."""

    def __init__(self, directory: Path, **settings: str) -> None:
        self.dir = directory
        self.pg = PostgresCluster()
        self.redis = RedisServer()
        self.settings = settings
        self.server: Server | None = None
        self.workers: list[Worker] = []
        self.env: dict[str, str] = {}

    def start(self) -> Stack:
        self.pg.init()
        self.pg.start()
        self.redis.start()
        self.env = {
            "OTPGATE_DATABASE_URL": self.pg.url,
            "OTPGATE_REDIS_URL": self.redis.url,
            "OTPGATE_SECRET_KEY": TEST_SECRET,
            "OTPGATE_DELIVERY": "queue",
            "OTPGATE_SMS_SWEEP_SECONDS": "1",
            **LIMITS,
            **self.settings,
        }
        upgraded = subprocess.run(
            [*otpgate_command(), "db", "upgrade"],
            env=self._process_env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert upgraded.returncode == 0, upgraded.stderr
        self.server = Server(**self.env)
        self.server.start()
        return self

    def _process_env(self) -> dict[str, str]:
        import os

        base = {k: v for k, v in os.environ.items() if not k.startswith("OTPGATE_")}
        return {**base, "OTPGATE_DATA_DIR": str(self.dir / "cli"), **self.env}

    def worker(self, name: str = "worker", **extra: str) -> Worker:
        settings = {
            **self.env,
            "OTPGATE_DATA_DIR": str(self.dir / name),
            "OTPGATE_BASE_URL": self.url,
            **extra,
        }
        worker = Worker(self.dir, name, **settings)
        self.workers.append(worker)
        worker.wait_started()
        return worker

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    def stop(self) -> None:
        for worker in self.workers:
            worker.close()
        if self.server is not None:
            self.server.stop()
        self.redis.close()
        self.pg.close()

    # -- the database, read directly -------------------------------------------------------

    def sql(self, query: str, **params: Any) -> list[dict[str, Any]]:
        import asyncio

        import asyncpg

        async def fetch() -> list[dict[str, Any]]:
            conn = await asyncpg.connect(self.pg.url)
            try:
                return [dict(row) for row in await conn.fetch(query, *params.values())]
            finally:
                await conn.close()

        return asyncio.run(fetch())

    def server_log(self) -> str:
        assert self.server is not None
        return self.server.log()


@contextmanager
def stack(directory: Path, **settings: str) -> Iterator[Stack]:
    running = Stack(directory, **settings)
    try:
        yield running.start()
    finally:
        running.stop()


def problem_or_success(response: httpx.Response, *ok: int) -> str:
    """'ok', or '503' for a problem+json unavailable answer; anything else fails the test."""
    if response.status_code in ok:
        return "ok"
    assert response.status_code == 503, (response.status_code, response.text)
    assert response.headers["content-type"] == "application/problem+json", response.text
    body = response.json()
    assert body["code"] == "unavailable" and "Traceback" not in response.text
    return "503"


def codes_sent(messages: list[dict[str, Any]], to: str) -> list[str]:
    return [code_of(m["body"]) for m in messages if m["to"] == to]


def wait_until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout}s")


__all__ = ["Stack", "codes_sent", "json", "problem_or_success", "stack", "wait_for", "wait_until"]
