"""``make bench``: otpgate beside a bare twin, on PostgreSQL + Redis, in one run on this machine.

    python -m bench [--seconds 15] [--connections 64] [--quick]

For 1 and 2 uvicorn workers it starts ``otpgate serve`` and the twin (``bench/twin.py``, the
least each endpoint must do, same uvicorn flags), seeds accounts, challenges and sessions
through otpgate's own services, and for every case resets the state, warms up, and drives
the twin and then otpgate with wrk (``-t2 -c64``) from a second process. It then measures two
app nodes behind HAProxy, the Argon2id limit of this machine, and the round trips per request
(``bench/roundtrips.py``), and prints the table beside the targets of issue 10; JSON and a PNG
chart go to ``bench/results/``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import redis
from tests.texts import wrong_code

from bench import argon, infra, load, report, roundtrips, seed, servers
from bench.load import Request
from otpgate.bootstrap import Runtime
from otpgate.config import Settings

ROOT = Path(__file__).resolve().parent
SETTINGS: dict[str, Any] = {
    **roundtrips.BENCH_SETTINGS,
    "code_failure_streak_limit": 100,
    "delivery": "queue",
}


def env_of(values: dict[str, Any]) -> dict[str, str]:
    env = infra.environment_without_otpgate()
    env.update({f"OTPGATE_{name.upper()}": str(value) for name, value in values.items()})
    return env


async def seeded(settings: Settings, sizes: dict[str, int]) -> dict[str, Any]:
    runtime = Runtime.build(settings)
    try:
        start, data = 0, {}
        for name in ("wrong", "right", "resend"):
            accounts = await seed.accounts(runtime, sizes[name], start=start)
            start += sizes[name]
            data[name] = await seed.challenges(runtime, accounts)
        me = await seed.accounts(runtime, sizes["me"], start=start)
        data["tokens"] = await seed.sessions(runtime, me)
        data["signin"] = [f"bench{n}@example.com" for n in range(start, start + sizes["me"])]
        await runtime.dispatcher.drain()
    finally:
        await runtime.aclose()
    return data


def requests_for(data: dict[str, Any], prefix: str) -> dict[str, list[Request]]:
    """The request lists per case; ``prefix`` is "/api/v1" (otpgate) or "/twin"."""
    out = {
        "code check (wrong)": [
            Request("POST", f"{prefix}/challenges/{s.challenge_id}/verify",
                    json.dumps({"code": wrong_code(s.code)}))
            for s in data["wrong"]
        ],
        "code check (right)": [
            Request("POST", f"{prefix}/challenges/{s.challenge_id}/verify",
                    json.dumps({"code": s.code}))
            for s in data["right"]
        ],
        "GET /me": [Request("GET", f"{prefix}/me", "", f"Bearer {t}") for t in data["tokens"]],
        "resend": [
            Request("POST", f"{prefix}/challenges/{s.challenge_id}/resend")
            for s in data["resend"]
        ],
    }  # fmt: skip
    if prefix == "/api/v1":
        out["sign-in (password + SMS)"] = [
            Request("POST", "/api/v1/sessions",
                    json.dumps({"email": email, "password": seed.PASSWORD}))
            for email in data["signin"]
        ]  # fmt: skip
    return out


async def reset(dsn: str, redis_url: str, data: dict[str, Any]) -> None:
    """Every seeded challenge pending again with its code, no streaks, no counts, no jobs."""
    ids = [s.challenge_id for name in ("wrong", "right", "resend") for s in data[name]]
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "UPDATE challenges SET status = 'pending', attempts = 0, sends = 1, ended_at = NULL,"
            " created_at = now(), last_sent_at = now() - interval '1 minute',"
            " expires_at = now() + interval '10 minutes' WHERE id = ANY($1)",
            ids,
        )
        await conn.execute(
            "UPDATE accounts SET code_fail_streak = 0, code_lockouts = 0, code_locked_until = NULL"
        )
        await conn.execute("DELETE FROM procrastinate_jobs")
        await conn.execute("DELETE FROM messages WHERE status = 'queued'")
    finally:
        await conn.close()
    redis.Redis.from_url(redis_url).flushdb()


def measure(
    url: str, requests: list[Request], args: argparse.Namespace, before: Any
) -> load.Result:
    before()
    load.run(url, requests, seconds=2, connections=args.connections)  # warm-up
    time.sleep(1)  # let the server finish the warm-up's last requests before the reset
    before()
    result = load.run(url, requests, seconds=args.seconds, connections=args.connections)
    time.sleep(1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--quick", action="store_true", help="5 s runs, fewer rows seeded")
    parser.add_argument("--out", type=Path, default=ROOT / "results")
    args = parser.parse_args()
    for tool in ("wrk", "haproxy"):
        if shutil.which(tool) is None:
            raise SystemExit(f"bench: needs Debian's {tool} (apt-get install -y wrk haproxy)")
    if args.quick:
        args.seconds = 5.0
    scale = 1 if args.quick else 3
    sizes = {"wrong": 800 * scale, "right": 2500 * scale, "resend": 800 * scale, "me": 200}
    results: dict[str, Any] = {"started": datetime.now(UTC).isoformat(), "cases": {}}
    with infra.postgres_database() as db_url, infra.own_redis() as redis_url:
        dsn = "postgresql://" + db_url.split("://", 1)[1]
        values = {
            **SETTINGS,
            "database_url": dsn,
            "redis_url": redis_url,
            "data_dir": tempfile.mkdtemp(prefix="otpgate-bench-"),
        }
        data = asyncio.run(seeded(Settings(**values), sizes))

        def before() -> None:
            asyncio.run(reset(dsn, redis_url, data))

        ours, twins = requests_for(data, "/api/v1"), requests_for(data, "/twin")
        for workers in (1, 2):
            with (
                servers.otpgate(env_of(values), workers) as app,
                servers.twin(dsn, workers) as twin,
            ):
                for case, requests in ours.items():
                    row = results["cases"].setdefault(case, {})
                    if case in twins:
                        twin_result = measure(twin.url, twins[case], args, before)
                        row[f"twin_{workers}w"] = asdict(twin_result) | {"rate": twin_result.rate}
                    result = measure(app.url, requests, args, before)
                    row[f"otpgate_{workers}w"] = asdict(result) | {"rate": result.rate}
                    print(f"{case:<28} {workers}w  otpgate {result.rate:8.1f}/s", flush=True)
                results[f"rss_{workers}w"] = app.rss_mib()
        results["nodes"] = nodes(values, ours, args, before)
    results["argon2_limit"] = argon.limit(seconds=3.0)
    results["round_trips"] = roundtrips.measure(30)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (args.out / f"bench-{stamp}.json").write_text(json.dumps(results, indent=2))
    report.chart(results, args.out / f"bench-{stamp}.png")
    print(report.table(results))


def nodes(
    values: dict[str, Any], ours: dict[str, list[Request]], args: argparse.Namespace, before: Any
) -> dict[str, Any]:
    """Req/s through HAProxy with one app node, then two (one worker each)."""
    out: dict[str, Any] = {}
    env = env_of(values)
    with servers.otpgate(env, 1) as first, servers.otpgate(env, 1) as second:
        for count, backends in ((1, [first.url]), (2, [first.url, second.url])):
            with servers.haproxy(backends) as balancer:
                for case in ("GET /me", "code check (wrong)"):
                    result = measure(balancer.url, ours[case], args, before)
                    out.setdefault(case, {})[f"{count}_nodes"] = result.rate
    return out


if __name__ == "__main__":
    main()
