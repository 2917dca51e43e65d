"""What one ``otpgate worker`` process sends per second and per CPU-second (the capacity plan in
docs/deploy.md is built on it).

    python -m bench.worker_rate [--messages 2000] [--concurrency 50]

Seeds ``--messages`` sign-in challenges through otpgate's own services on a fresh PostgreSQL
database (each queues one SMS and its procrastinate job, as a request would), then starts a real
``otpgate worker`` with the outbox provider (a local file: the provider costs nothing, so what
is measured is the worker's own work — claim, seal/unseal, the attempt rows, the job's life)
and times it until every message is ``sent``. It reports wall-clock sends/s and sends per
CPU-second of the worker process (user + system, from /proc).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
from tests.browser.server import otpgate_command

from bench import infra, seed
from bench.roundtrips import BENCH_SETTINGS
from otpgate.bootstrap import Runtime
from otpgate.config import Settings


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


async def seeded(settings: Settings, count: int) -> None:
    runtime = Runtime.build(settings)
    try:
        accounts = await seed.accounts(runtime, count)
        await seed.challenges(runtime, accounts)
        # A request defers its message's job after commit (QueueDispatcher.submit); do the same.
        for message_id in await _queued(settings.database_url):
            await runtime.dispatcher.defer(message_id, 0.0)
    finally:
        await runtime.aclose()


async def _queued(dsn: str) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        return [row["id"] for row in await conn.fetch("SELECT id FROM messages")]
    finally:
        await conn.close()


async def sent(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        value: int = await conn.fetchval("SELECT count(*) FROM messages WHERE status = 'sent'")
        return value
    finally:
        await conn.close()


def measure(messages: int, concurrency: int) -> dict[str, Any]:
    with infra.postgres_database() as db_url, infra.own_redis() as redis_url:
        dsn = "postgresql://" + db_url.split("://", 1)[1]
        data_dir = tempfile.mkdtemp(prefix="otpgate-bench-worker-")
        values: dict[str, Any] = {
            **BENCH_SETTINGS,
            "delivery": "queue",
            "database_url": dsn,
            "redis_url": redis_url,
            "data_dir": data_dir,
            "sms_outbox": str(Path(data_dir) / "sms.jsonl"),
        }
        asyncio.run(seeded(Settings(**values), messages))
        env = infra.environment_without_otpgate()
        env.update({f"OTPGATE_{k.upper()}": str(v) for k, v in values.items()})
        command = [*otpgate_command(), "worker", "--concurrency", str(concurrency)]
        worker = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        try:
            started = time.monotonic()
            while asyncio.run(sent(dsn)) < messages:
                if worker.poll() is not None:
                    raise SystemExit("bench: the worker exited early")
                if time.monotonic() - started > 600:
                    raise SystemExit("bench: the worker did not finish within 10 minutes")
                time.sleep(0.2)
            wall = time.monotonic() - started
            cpu = cpu_seconds(worker.pid)  # start-up included: a few tenths of a second
            rss = infra.rss_mib(worker.pid)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    return {
        "messages": messages,
        "concurrency": concurrency,
        "seconds": round(wall, 2),
        "sends_per_second": round(messages / wall, 1),
        "sends_per_cpu_second": round(messages / cpu, 1),
        "worker_rss_mib": round(rss, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    print(json.dumps(measure(args.messages, args.concurrency)))


if __name__ == "__main__":
    main()
