"""``otpgate doctor`` and the start-up database check of ``otpgate serve``.

Every check says why it failed, in one line an operator can act on; ``--json`` prints the same
as one object for scripts and monitoring: ``{"ok", "checks": [{"name", "ok", "detail"}],
"settings"}`` (secrets hidden).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Annotated, Any

import typer
from pydantic import SecretStr

from otpgate.config import Settings


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the doctor's report: ``name: detail``."""

    name: str
    ok: bool
    detail: str

    @property
    def line(self) -> str:
        return f"{self.name}: {self.detail}"


@dataclass(frozen=True, slots=True)
class DatabaseState:
    """What the configured database answers: reachable or why not, and its schema revision."""

    reachable: bool
    head: str
    schema: str | None = None
    reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def up_to_date(self) -> bool:
        return self.reachable and self.schema == self.head


def reason_of(exc: BaseException) -> str:
    """Why a connection failed, in one line: the deepest cause's type and message (drivers
    never put the password in these; the URL is not part of them)."""
    seen: list[BaseException] = [exc]
    current: BaseException | None = exc
    while current is not None and len(seen) < 10:
        nxt = getattr(current, "orig", None) or current.__cause__
        if nxt is None or nxt in seen:
            break
        seen.append(nxt)
        current = nxt
    deepest = seen[-1]
    message = " ".join(str(deepest).split()) or "no message"
    if len(message) > 200:
        message = message[:197] + "..."
    return f"{type(deepest).__name__}: {message}"


async def database_state(settings: Settings, *, seconds: float = 5.0) -> DatabaseState:
    """Connect once to the configured database and read its Alembic revision."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from otpgate.adapters.storage.engine import make_engine
    from otpgate.adapters.storage.migrate import current_head

    head = current_head()
    engine = make_engine(settings.effective_database_url)
    try:
        async with asyncio.timeout(seconds), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            try:
                async with conn.begin_nested():
                    row = (
                        await conn.execute(text("SELECT version_num FROM alembic_version"))
                    ).first()
            except DBAPIError:
                row = None  # no alembic_version table: nothing was ever applied
    except TimeoutError:
        return DatabaseState(False, head, reason=f"no answer within {seconds:g} s")
    except Exception as exc:  # noqa: BLE001 - every failure is reported with its reason
        return DatabaseState(False, head, reason=reason_of(exc))
    finally:
        await engine.dispose()
    return DatabaseState(True, head, schema=str(row[0]) if row else None)


def database_check(state: DatabaseState) -> Check:
    if not state.reachable:
        return Check("database", False, f"NOT REACHABLE ({state.reason})")
    if state.schema != state.head:
        at = state.schema or "nothing"
        return Check(
            "database",
            False,
            f"reachable, schema at {at} (this version needs {state.head}); "
            "run `otpgate db upgrade`",
        )
    return Check("database", True, f"ok (schema {state.head})")


def doctor(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout")] = False,
) -> None:
    """Print the effective settings (secrets hidden) and check the database, Redis and SMS;
    every failed check says why. Exit status 1 when one failed."""
    from otpgate.cli import _settings

    settings = _settings()
    shown = {
        f"OTPGATE_{name.upper()}": show_setting(name, value)
        for name, value in sorted(settings.model_dump().items())
    }
    checks = asyncio.run(run_checks(settings))
    ok = all(check.ok for check in checks)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "ok": ok,
                    "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in checks],
                    "settings": shown,
                }
            )
        )
    else:
        for name, value in shown.items():
            typer.echo(f"{name} = {value}")
        typer.echo("")
        for check in checks:
            typer.echo(check.line)
    raise typer.Exit(0 if ok else 1)


def show_setting(name: str, value: object) -> str:
    if isinstance(value, SecretStr):
        return "********"
    if isinstance(value, tuple) and value and isinstance(value[0], SecretStr):
        return ",".join("********" for _ in value)
    if name in ("database_url", "redis_url") and isinstance(value, str):
        return safe_url(value)
    if value is None:
        return "(unset)"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value) or "(empty)"
    return str(value)


def safe_url(url: str) -> str:
    """Hide a password in a URL: scheme://user:***@host/db."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else url


async def run_checks(settings: Settings) -> list[Check]:
    from otpgate.adapters.ratelimit import LimitsRateLimiter
    from otpgate.adapters.sms.registry import build_provider
    from otpgate.bootstrap import limit_rules

    checks: list[Check] = []
    state = await database_state(settings)
    checks.append(database_check(state))
    where = "redis" if settings.redis_url else "in-process memory"
    try:
        limiter = LimitsRateLimiter(limit_rules(settings), settings.redis_url, "otpgate-doctor")
        try:
            reachable = await limiter.ping()
        finally:
            await limiter.aclose()
        detail = "ok" if reachable else "NOT REACHABLE (Redis does not answer PING)"
        checks.append(Check(f"rate limits ({where})", reachable, detail))
    except ValueError as exc:
        checks.append(Check("rate limits", False, str(exc)))
    for name in settings.sms_route_table.all_providers:
        try:
            provider = build_provider(name, settings)
            checks.append(Check("sms", True, await provider.check()))
            await provider.aclose()
        except ValueError as exc:
            checks.append(Check(f"sms {name}", False, str(exc)))
    checks += await _voice_checks(settings)
    checks.append(Check("sign-in methods", True, _factors_line(settings)))
    if state.up_to_date:
        checks.append(await _delivery_check(settings))
        webhooks = await _events_webhook_check(settings)
        checks.append(webhooks)
    return checks


async def _events_webhook_check(settings: Settings) -> Check:
    """Where security events go, and how many wait for the receiver (informational)."""
    from otpgate.adapters.storage.engine import make_engine
    from otpgate.adapters.storage.webhook_outbox import SqlWebhookOutbox

    if settings.events_webhook_url is None:
        return Check("event webhooks", True, "off (OTPGATE_EVENTS_WEBHOOK_URL unset)")
    engine = make_engine(settings.effective_database_url)
    try:
        waiting = await SqlWebhookOutbox(engine).backlog()
    finally:
        await engine.dispose()
    return Check(
        "event webhooks", True, f"to {settings.events_webhook_url}; {waiting} event(s) waiting"
    )


async def _voice_checks(settings: Settings) -> list[Check]:
    from otpgate.adapters.voice.registry import build_voice_provider

    checks: list[Check] = []
    for name in settings.voice_provider_order:
        try:
            provider = build_voice_provider(name, settings)
            checks.append(Check("voice", True, await provider.check()))
            await provider.aclose()
        except ValueError as exc:
            checks.append(Check(f"voice {name}", False, str(exc)))
    return checks


def _factors_line(settings: Settings) -> str:
    """Which factors besides SMS are on, and why passkeys are off when they are."""
    on = [
        name
        for name, enabled in (
            ("authenticator apps", settings.totp),
            ("backup codes", settings.backup_codes),
            ("passkeys", settings.passkeys_enabled),
            ("calls", bool(settings.voice_provider_order)),
        )
        if enabled
    ]
    line = "SMS" + "".join(f", {name}" for name in on)
    if not settings.passkeys_enabled and settings.passkeys is None:
        line += " (no passkeys: BASE_URL must name a host over https, or localhost)"
    return line


async def _delivery_check(settings: Settings) -> Check:
    """The delivery mode, and in scaled mode whether any worker is alive to drain the queue."""
    from sqlalchemy import text

    from otpgate.adapters.storage.engine import make_engine

    if settings.delivery_mode == "inline":
        return Check("delivery", True, "inline (sent by the serving process)")
    engine = make_engine(settings.effective_database_url)
    try:
        async with engine.connect() as conn:
            alive = (
                await conn.execute(
                    text(
                        "SELECT count(*) FROM procrastinate_workers "
                        "WHERE last_heartbeat > now() - interval '1 minute'"
                    )
                )
            ).scalar_one()
            waiting = (
                await conn.execute(
                    text("SELECT count(*) FROM messages WHERE status IN ('queued', 'sending')")
                )
            ).scalar_one()
    except Exception as exc:  # noqa: BLE001 - report any failure, e.g. schema not applied
        return Check(
            "delivery", False, f"queue NOT READY ({reason_of(exc)}; run `otpgate db upgrade`)"
        )
    finally:
        await engine.dispose()
    if not alive:
        return Check(
            "delivery", False, f"queue, NO WORKER ALIVE (start `otpgate worker`); {waiting} waiting"
        )
    in_flight = f"{waiting} message(s) in flight"
    return Check("delivery", True, f"queue, {alive} worker(s) alive; {in_flight}")
