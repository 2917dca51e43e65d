"""Round trips per request: PostgreSQL (through a counting wire proxy) and Redis (its own
server's command counter), for each measured case, one request at a time.

    python -m bench.roundtrips [--n 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from tests.texts import wrong_code

from bench import infra, seed
from bench.pgproxy import CountingProxy, RedisCountingProxy
from otpgate.config import Settings
from otpgate.logs import configure_logging
from otpgate.web.app import create_app

SECRET = "bench-secret-key-bench-secret-key-0123456789"
# Every limit raised far above the load, each rule keeping its usual number of windows.
RAISED_LIMITS = {
    "limit_password_account": "100000/30seconds;100000/15minutes;100000/hour",
    "limit_password_ip": "100000/minute;100000/hour;100000/day",
    "limit_password_change": "100000/15minutes;100000/hour",
    "limit_send_number": "100000/15minutes;100000/day",
    "limit_send_ip": "100000/15minutes;100000/day",
    "limit_send_account": "100000/hour;100000/day",
    "limit_send_prefix": "100000/hour",
    "limit_send_country": "100000/hour",
    "limit_send_global": "1000000/minute",
    "limit_register_ip": "100000/hour;100000/day",
    "limit_verify_ip": "100000/minute;100000/hour",
}
BENCH_SETTINGS: dict[str, Any] = {
    "secret_key": SECRET,
    "resend_cooldown_seconds": 0,
    "max_sends_per_challenge": 10,
    "code_max_attempts": 10,
    "log_level": "warning",
    "delivery": __import__("os").environ.get("BENCH_DELIVERY", "queue"),
    **RAISED_LIMITS,
}


def via_proxy(url: str, port: int) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))


def measure(n: int) -> dict[str, dict[str, float]]:
    """Counts per request for every case (databases made outside the event loop: Alembic)."""
    with infra.postgres_database() as db_url, infra.own_redis() as redis_url:
        return asyncio.run(_measure(db_url, redis_url, n))


async def _measure(db_url: str, redis_url: str, n: int) -> dict[str, dict[str, float]]:
    configure_logging("warning")  # the measured requests, not their log lines
    upstream = urlsplit(db_url)
    proxy = CountingProxy(upstream.hostname or "127.0.0.1", upstream.port or 5432)
    await proxy.start()
    redis_upstream = urlsplit(redis_url)
    redis_proxy = RedisCountingProxy("127.0.0.1", redis_upstream.port or 6379)
    await redis_proxy.start()
    settings = Settings(
        data_dir=Path(tempfile.mkdtemp(prefix="otpgate-bench-")),
        database_url=via_proxy(db_url, proxy.port).replace("+asyncpg", ""),
        redis_url=f"redis://127.0.0.1:{redis_proxy.port}/0",
        **BENCH_SETTINGS,
    )
    app = create_app(settings)
    runtime = app.state.runtime
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("198.51.100.7", 5000)),
        base_url="http://bench",
    )
    try:
        return await _cases(runtime, client, proxy, redis_proxy, n, db_url)
    finally:
        await client.aclose()
        await runtime.aclose()
        await proxy.stop()
        await redis_proxy.stop()


async def _cases(
    runtime: Any,
    client: httpx.AsyncClient,
    proxy: CountingProxy,
    redis_proxy: CountingProxy,
    n: int,
    db_url: str,
) -> dict[str, dict[str, float]]:
    # One extra wrong-code challenge warms the pools (Redis' per-connection CLIENT SETINFO and
    # the script load are not what a request costs).
    accounts = await seed.accounts(runtime, 3 * n + 1)
    wrong_ones = await seed.challenges(runtime, accounts[: n + 1])
    right_ones = await seed.challenges(runtime, accounts[n + 1 : 2 * n + 1])
    tokens = await seed.sessions(runtime, accounts[2 * n + 1 :])
    resend_ones = await seed.challenges(runtime, accounts[2 * n + 1 :])
    await runtime.dispatcher.drain()

    cases: dict[str, Callable[[int], Awaitable[httpx.Response]]] = {
        "code check (wrong)": lambda i: client.post(
            f"/api/v1/challenges/{wrong_ones[i].challenge_id}/verify",
            json={"code": wrong_code(wrong_ones[i].code)},
        ),
        "code check (right)": lambda i: client.post(
            f"/api/v1/challenges/{right_ones[i].challenge_id}/verify",
            json={"code": right_ones[i].code},
        ),
        "GET /me": lambda i: client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {tokens[i]}"}
        ),
        "resend": lambda i: client.post(f"/api/v1/challenges/{resend_ones[i].challenge_id}/resend"),
        "sign-in (password + SMS)": lambda i: client.post(
            "/api/v1/sessions",
            json={"email": f"bench{2 * n + 1 + i}@example.com", "password": seed.PASSWORD},
        ),
    }
    await cases["code check (wrong)"](n)
    await cases["GET /me"](0)
    results: dict[str, dict[str, float]] = {}
    for name, call in cases.items():
        statuses: dict[int, int] = {}
        proxy.reset()
        redis_proxy.reset()
        wal_before = await wal_position(db_url)
        for i in range(n):
            response = await call(i)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            await runtime.dispatcher.drain()
        wal_bytes = await wal_position(db_url) - wal_before
        redis_calls = redis_proxy.round_trips
        results[name] = {
            "postgres": proxy.round_trips / n,
            "redis": redis_calls / n,
            # The whole cluster's WAL: only meaningful on a server nobody else writes to.
            "wal_bytes": wal_bytes / n,
            "statuses": statuses,  # type: ignore[dict-item]
        }
    return results


async def wal_position(db_url: str) -> int:
    """The server's WAL insert position in bytes (PostgreSQL's pg_current_wal_insert_lsn)."""
    import asyncpg

    conn = await asyncpg.connect(db_url.replace("+asyncpg", ""))
    try:
        value: int = await conn.fetchval(
            "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint"
        )
        return value
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=30)
    args = parser.parse_args()
    results = measure(args.n)
    for name, row in results.items():
        pg, rd = row["postgres"], row["redis"]
        wal = row["wal_bytes"]
        statuses = row["statuses"]
        print(f"{name:<28} postgres {pg:5.1f}  redis {rd:4.1f}  WAL {wal:7.0f} B  {statuses}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
