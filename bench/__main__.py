"""Latency of the hot paths, in process (no network): the code check and the password step.

    python -m bench [--backend sqlite|postgres] [--n 200]

PostgreSQL uses OTPGATE_TEST_DATABASE_URL's server (a throwaway database is created). The
code check should stay within a small multiple of one row read-and-update; the password step
is dominated by Argon2id by design.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from tests import backends
from tests.harness import Harness

from otpgate.config import Settings
from otpgate.domain.clock import ManualClock
from otpgate.web.app import create_app


def report(name: str, samples: list[float]) -> None:
    samples.sort()
    p50 = statistics.median(samples) * 1000
    p95 = samples[int(len(samples) * 0.95) - 1] * 1000
    rate = len(samples) / sum(samples)
    print(f"{name:<28} n={len(samples):<5} p50={p50:7.2f} ms  p95={p95:7.2f} ms  {rate:8.1f}/s")


def prepare(backend: str) -> tuple[Settings, str | None]:
    """Migrate a fresh database (outside any event loop: Alembic runs its own)."""
    tmp = Path(tempfile.mkdtemp(prefix="otpgate-bench-"))
    values: dict[str, object] = {
        "data_dir": tmp,
        "secret_key": "bench-secret-key-bench-secret-key-0123456789",
        "limit_password_account": "100000/minute",
        "limit_password_ip": "100000/minute",
        "limit_send_number": "100000/minute",
        "limit_send_ip": "100000/minute",
        "limit_send_account": "100000/minute",
        "limit_send_prefix": "100000/minute",
        "limit_send_country": "100000/minute",
        "limit_send_global": "100000/minute",
        "limit_register_ip": "100000/minute",
        "limit_verify_ip": "100000/minute",
        "log_level": "warning",
    }
    server = backends.postgres_server_url()
    db_url = None
    if backend == "postgres":
        if server is None:
            raise SystemExit("set OTPGATE_TEST_DATABASE_URL for the PostgreSQL benchmark")
        db_url = backends.create_postgres_database(server)
        values["database_url"] = db_url
        values["redis_url"] = backends.redis_url()
    else:
        template = backends.make_sqlite_template(tmp)
        values["database_url"] = backends.sqlite_copy(template, tmp).replace("+aiosqlite", "")
    return Settings(**values), db_url  # type: ignore[arg-type]


async def run(backend: str, settings: Settings, n: int) -> None:
    app = create_app(settings, clock=ManualClock())
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")
    h = Harness(app=app, client=client, clock=app.state.runtime.clock, settings=settings)
    try:
        await h.registered_account("bench@example.com", "+14155550199")
        password_times: list[float] = []
        verify_times: list[float] = []
        for _ in range(n):
            started = time.perf_counter()
            response = await h.start_sign_in("bench@example.com")
            password_times.append(time.perf_counter() - started)
            challenge_id = response.json()["challenge"]["id"]
            code = await h.last_code("+14155550199")
            started = time.perf_counter()
            verified = await h.verify(challenge_id, code)
            verify_times.append(time.perf_counter() - started)
            assert verified.status_code == 200
        print(f"backend: {backend}")
        report("POST /sessions (password)", password_times)
        report("POST /challenges/verify", verify_times)
    finally:
        await client.aclose()
        await app.state.runtime.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default=None)
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()
    chosen = [args.backend] if args.backend else ["sqlite"]
    if args.backend is None and os.environ.get("OTPGATE_TEST_DATABASE_URL"):
        chosen.append("postgres")
    for backend in chosen:
        settings, db_url = prepare(backend)
        try:
            asyncio.run(run(backend, settings, args.n))
        finally:
            server = backends.postgres_server_url()
            if db_url and server:
                backends.drop_postgres_database(server, db_url)


if __name__ == "__main__":
    main()
