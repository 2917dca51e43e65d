"""Fixtures: a fresh app and database per test, on SQLite and on PostgreSQL + Redis."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from otpgate.config import Settings
from otpgate.domain.clock import ManualClock
from otpgate.web.app import create_app
from tests import backends
from tests.harness import Harness

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
# Hypothesis (and schemathesis on it) keeps its files outside the working tree.
os.environ.setdefault(
    "HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "otpgate-hypothesis")
)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return backends.make_sqlite_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    server = backends.postgres_server_url()
    if server is None:
        yield None
        return
    url = backends.create_postgres_database(server)
    yield url
    backends.drop_postgres_database(server, url)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    """Run the test once on SQLite + in-process limits, once on PostgreSQL + Redis."""
    name: str = request.param
    if name == "postgres":
        if backends.postgres_server_url() is None:
            backends.missing("PostgreSQL", "OTPGATE_TEST_DATABASE_URL")
        if backends.redis_url() is None:
            backends.missing("Redis", "OTPGATE_TEST_REDIS_URL")
    return name


@pytest.fixture
def make_settings(
    backend: str,
    tmp_path: Path,
    sqlite_template: Path,
    postgres_url: str | None,
) -> Callable[..., Settings]:
    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": tmp_path,
            "secret_key": TEST_SECRET,
            "sms_outbox": tmp_path / "sms-outbox.jsonl",
            "base_url": "https://shop.example",
            "brand": "Shop",
            "resend_cooldown_seconds": 30,
            "dev_sms_page": True,
            # In process, also on PostgreSQL: tests/delivery covers the queue with a worker.
            "delivery": "inline",
        }
        if backend == "postgres":
            values["database_url"] = postgres_url
            values["redis_url"] = backends.redis_url()
        else:
            values["database_url"] = backends.sqlite_copy(sqlite_template, tmp_path).replace(
                "sqlite+aiosqlite", "sqlite", 1
            )
        values.update(overrides)
        return Settings(**values)

    return build


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def make_harness(
    make_settings: Callable[..., Settings], clock: ManualClock, backend: str
) -> AsyncIterator[Callable[..., Any]]:
    made: list[Harness] = []

    async def build(app_options: dict[str, Any] | None = None, **overrides: Any) -> Harness:
        """A harness with settings ``overrides``; ``app_options`` go to ``create_app``."""
        settings = make_settings(**overrides)
        app = create_app(
            settings, clock=clock, limiter_prefix="t" + secrets.token_hex(6), **(app_options or {})
        )
        if backend == "postgres":
            async with app.state.runtime.store.engine.begin() as conn:
                await conn.execute(text(f"TRUNCATE {backends.TABLES} CASCADE"))
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("203.0.113.7", 50000)),
            base_url="http://testserver",
        )
        harness = Harness(app=app, client=client, clock=clock, settings=settings)
        made.append(harness)
        return harness

    yield build
    for harness in made:
        await harness.client.aclose()
        await harness.runtime.aclose()


@pytest.fixture
async def h(make_harness: Callable[..., Any]) -> Harness:
    """The default harness: every setting at its default."""
    harness: Harness = await make_harness()
    return harness
