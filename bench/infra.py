"""What the benchmark runs beside otpgate: its own Redis, a throwaway PostgreSQL database,
and helpers to find free ports and read a process' memory."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import redis
from tests import backends


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def own_redis() -> Iterator[str]:
    """A redis-server of our own on a free loopback port: its counters are ours alone."""
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="otpgate-bench-redis-")
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        for _ in range(100):
            with contextlib.suppress(redis.ConnectionError):
                if client.ping():
                    break
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def redis_commands(url: str) -> int:
    """Commands Redis has processed so far (INFO stats), minus the INFO call itself."""
    info = redis.Redis.from_url(url).info("stats")
    return int(info["total_commands_processed"])


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, migrated database on OTPGATE_TEST_DATABASE_URL's server (SQLAlchemy URL)."""
    server = backends.postgres_server_url()
    if server is None:
        raise SystemExit(
            "set OTPGATE_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres"
        )
    url = backends.create_postgres_database(server)
    try:
        yield url
    finally:
        backends.drop_postgres_database(server, url)


def rss_mib(pid: int) -> float:
    """Resident memory of one process, MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    """Direct child processes (uvicorn's workers)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def environment_without_otpgate() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("OTPGATE_")}
