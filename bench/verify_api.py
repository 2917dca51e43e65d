"""Throughput of the verification API against a real ``otpgate serve`` (one process):
``POST /verifications`` (create: limits, challenge, SMS to the outbox) and ``POST .../check``
(the right code: attempt, approval, a signed ES256 token).

    python -m bench.verify_api [--backend sqlite|postgres] [--n 300] [--concurrency 8]

A bounded loop on loopback only; PostgreSQL (with Redis) uses OTPGATE_TEST_DATABASE_URL's
server and OTPGATE_TEST_REDIS_URL, in a throwaway database, delivery inline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import time
from typing import Any

import httpx
from tests import backends
from tests.browser.server import Server, otpgate_command
from tests.texts import code_of

UNLIMITED = "1000000/minute"
LIMITS = {
    f"OTPGATE_LIMIT_{name}": UNLIMITED
    for name in (
        "SEND_NUMBER",
        "SEND_IP",
        "SEND_ACCOUNT",
        "SEND_PREFIX",
        "SEND_COUNTRY",
        "SEND_GLOBAL",
        "VERIFY_IP",
        "VERIFY_KEY",
        "VERIFY_KEY_CHECK",
    )
}


def api_key(server: Server) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTPGATE_")}
    env.update(server.settings)
    env["OTPGATE_DATA_DIR"] = str(server.dir / "data")
    done = subprocess.run(
        [*otpgate_command(), "api-keys", "create", "--name", "bench"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    secret: str = json.loads(done.stdout)["secret"]
    return secret


async def timed(
    n: int, concurrency: int, request: Any
) -> tuple[float, list[httpx.Response], list[float]]:
    """Run ``request(i)`` for i < n, ``concurrency`` at once: wall time, answers, latencies."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)
    answers: list[httpx.Response] = []
    latencies: list[float] = []

    async def worker() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            started = time.perf_counter()
            answers.append(await request(i))
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, answers, latencies


def line(name: str, n: int, seconds: float, latencies: list[float]) -> str:
    latencies.sort()
    p50 = latencies[len(latencies) // 2] * 1000
    p95 = latencies[int(len(latencies) * 0.95) - 1] * 1000
    return f"{name:<34} n={n:<5} {n / seconds:8.1f} req/s  p50={p50:6.1f} ms  p95={p95:6.1f} ms"


async def measure(server: Server, key: str, n: int, concurrency: int) -> list[str]:
    numbers = [f"+1415555{2000 + i:04d}" for i in range(n)]
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as client:
        # Warm up (first signing key, connection pools).
        warm = await client.post("/api/v1/verifications", json={"to": "+14155551999"})
        assert warm.status_code == 201, warm.text

        async def create(i: int) -> httpx.Response:
            return await client.post(
                "/api/v1/verifications",
                json={"to": numbers[i], "summary": "Pay €12.00 to A", "details": {"n": i}},
            )

        seconds, created, create_latencies = await timed(n, concurrency, create)
        assert all(r.status_code == 201 for r in created), created[0].text
        by_number: dict[str, tuple[str, int]] = {}
        for response in created:
            request = json.loads(response.request.content)
            by_number[request["to"]] = (
                response.json()["verification"]["id"],
                request["details"]["n"],
            )
        codes: dict[str, str] = {}
        deadline = time.monotonic() + 60
        while len(codes) < n and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            lines = server.outbox.read_text(encoding="utf-8").splitlines()
            for text in lines:
                message = json.loads(text)
                if message["to"] in by_number:
                    codes[message["to"]] = code_of(message["body"])
        assert len(codes) == n, f"{len(codes)} of {n} texts delivered"

        async def check(i: int) -> httpx.Response:
            verification_id, detail = by_number[numbers[i]]
            return await client.post(
                f"/api/v1/verifications/{verification_id}/check",
                json={"code": codes[numbers[i]], "details": {"n": detail}},
            )

        check_seconds, checked, check_latencies = await timed(n, concurrency, check)
        assert all(r.status_code == 200 for r in checked), checked[0].text
    return [
        line("POST /verifications (create)", n, seconds, create_latencies),
        line("POST /verifications/{id}/check", n, check_seconds, check_latencies),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    settings = {**LIMITS, "OTPGATE_LOG_LEVEL": "warning"}
    db_url = None
    server_url = backends.postgres_server_url()
    if args.backend == "postgres":
        if server_url is None or backends.redis_url() is None:
            raise SystemExit("set OTPGATE_TEST_DATABASE_URL and OTPGATE_TEST_REDIS_URL")
        db_url = backends.create_postgres_database(server_url)
        settings.update(
            {
                "OTPGATE_DATABASE_URL": db_url.replace("+asyncpg", ""),
                "OTPGATE_REDIS_URL": str(backends.redis_url()),
                "OTPGATE_SECRET_KEY": "bench-secret-key-bench-secret-key-0123456789",
                "OTPGATE_DELIVERY": "inline",
            }
        )
    try:
        with Server(**settings) as server:
            key = api_key(server)
            lines = asyncio.run(measure(server, key, args.n, args.concurrency))
    finally:
        if db_url and server_url:
            backends.drop_postgres_database(server_url, db_url)
    print(f"backend: {args.backend}, one `otpgate serve` process, concurrency {args.concurrency}")
    for text in lines:
        print(text)


if __name__ == "__main__":
    main()
