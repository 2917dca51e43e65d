"""The ``otpgate`` command: serve, worker, db upgrade, sms test, doctor, api-keys, keys."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer
from pydantic import SecretStr, ValidationError

from otpgate.adapters.storage.unit_of_work import SqlStore
from otpgate.cli_clients import clients_app
from otpgate.cli_keys import api_keys_app, keys_app
from otpgate.config import Settings, describe_error, load_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="otpgate account security")
db_app = typer.Typer(no_args_is_help=True, help="Database schema")
app.add_typer(db_app, name="db")
sms_app = typer.Typer(no_args_is_help=True, help="SMS delivery")
app.add_typer(sms_app, name="sms")
app.add_typer(api_keys_app, name="api-keys")
app.add_typer(keys_app, name="keys")
app.add_typer(clients_app, name="clients")


def _settings() -> Settings:
    try:
        return load_settings()
    except ValidationError as exc:
        typer.echo(f"otpgate: {describe_error(exc)}", err=True)
        raise typer.Exit(2) from None


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes")] = 1,
) -> None:
    """Serve the API and pages. An embedded SQLite database is upgraded first."""
    import uvicorn

    from otpgate.adapters.storage.migrate import upgrade
    from otpgate.logs import configure_logging

    settings = _settings()
    configure_logging(settings.log_level, settings.log_format)
    try:
        _ = settings.secret_key_bytes
        if not settings.is_postgres:
            upgrade(settings.effective_database_url)
        # Build once here so a bad setting (limits notation, provider settings) stops start-up
        # with one line instead of a traceback in every worker.
        from otpgate.adapters.ratelimit import parse_rules
        from otpgate.bootstrap import limit_rules

        parse_rules(limit_rules(settings))
        from otpgate.adapters.sms.registry import build_provider

        for name in settings.sms_route_table.all_providers:
            build_provider(name, settings)
        from otpgate.adapters.voice.registry import build_voice_providers

        build_voice_providers(settings)
    except (ValueError, OSError) as exc:
        typer.echo(f"otpgate: {exc}", err=True)
        raise typer.Exit(2) from None
    warn_dev_pages(settings, host)
    uvicorn.run(
        "otpgate.web.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        proxy_headers=False,  # the client address comes from OTPGATE_TRUSTED_PROXIES only
        server_header=False,
        log_config=None,
    )


def warn_dev_pages(settings: Settings, host: str) -> None:
    """Say it loudly when /dev/sms (every code sent) is on and the server listens beyond this
    machine: it is served to loopback callers only, but it should not be on at all there."""
    from otpgate.web.security import is_loopback_host

    if settings.dev_inbox_enabled and not is_loopback_host(host):
        typer.echo(
            f"otpgate: WARNING: the development SMS inbox (/dev/sms) is ON while listening on "
            f"{host}. It shows every code sent; it answers only callers on this machine, but a "
            "public server should not have it: set OTPGATE_DEV_SMS_PAGE=false or use a real "
            "SMS provider.",
            err=True,
        )


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply database migrations up to REVISION (default: the newest)."""
    from otpgate.adapters.storage.migrate import upgrade

    settings = _settings()
    upgrade(settings.effective_database_url, revision)
    typer.echo(f"database at {_safe_url(settings.effective_database_url)} is at {revision}")


@app.command()
def worker(
    concurrency: Annotated[
        int | None,
        typer.Option(min=1, max=200, help="Messages sent at once (OTPGATE_WORKER_CONCURRENCY)"),
    ] = None,
    metrics_port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Serve Prometheus metrics on this port")
    ] = None,
    metrics_host: Annotated[str, typer.Option(help="Address for the metrics port")] = "127.0.0.1",
) -> None:
    """Drain the SMS delivery queue (scaled mode). Stops cleanly on SIGTERM or Ctrl-C."""
    from otpgate.adapters.metrics import PrometheusMetrics
    from otpgate.logs import configure_logging
    from otpgate.worker import run_worker

    settings = _settings()
    if settings.delivery_mode != "queue":
        typer.echo(
            "otpgate: the worker drains the PostgreSQL queue (OTPGATE_DELIVERY=queue); in "
            "embedded mode `otpgate serve` delivers messages itself",
            err=True,
        )
        raise typer.Exit(2)
    configure_logging(settings.log_level, settings.log_format)
    metrics = PrometheusMetrics()
    try:
        _ = settings.secret_key_bytes
        if metrics_port is not None:
            from prometheus_client import start_http_server

            start_http_server(metrics_port, metrics_host, registry=metrics.registry)
        asyncio.run(run_worker(settings, concurrency=concurrency, metrics=metrics))
    except (ValueError, OSError) as exc:
        typer.echo(f"otpgate: {exc}", err=True)
        raise typer.Exit(2) from None


@sms_app.command("test")
def sms_test(
    to: Annotated[str, typer.Argument(help="Mobile number, e.g. +15551234567")],
) -> None:
    """Send a test message (no code in it) through the configured providers, in route order,
    and print what each did. Exit status 1 when no provider accepted it."""
    from otpgate.domain.errors import InvalidInput
    from otpgate.domain.phones import parse_mobile
    from otpgate.worker import send_test

    settings = _settings()
    try:
        number = parse_mobile(
            to,
            default_region=settings.sms_default_region,
            allowed_countries=settings.sms_allowed_countries,
        )
    except InvalidInput as exc:
        typer.echo(f"otpgate: {exc.detail}", err=True)
        raise typer.Exit(2) from None
    try:
        lines = asyncio.run(send_test(settings, number))
    except ValueError as exc:
        typer.echo(f"otpgate: {exc}", err=True)
        raise typer.Exit(2) from None
    for provider, outcome in lines:
        typer.echo(f"{provider}: {outcome}")
    sent = any(outcome.startswith("sent") for _provider, outcome in lines)
    raise typer.Exit(0 if sent else 1)


@app.command()
def doctor() -> None:
    """Print the effective settings (secrets hidden) and check the database, Redis and SMS."""
    settings = _settings()
    for name, value in sorted(settings.model_dump().items()):
        typer.echo(f"OTPGATE_{name.upper()} = {_show(name, value)}")
    typer.echo("")
    ok = asyncio.run(_checks(settings))
    raise typer.Exit(0 if ok else 1)


def _show(name: str, value: object) -> str:
    if isinstance(value, SecretStr):
        return "********"
    if isinstance(value, tuple) and value and isinstance(value[0], SecretStr):
        return ",".join("********" for _ in value)
    if name in ("database_url", "redis_url") and isinstance(value, str):
        return _safe_url(value)
    if value is None:
        return "(unset)"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value) or "(empty)"
    return str(value)


def _safe_url(url: str) -> str:
    """Hide a password in a URL: scheme://user:***@host/db."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else url


async def _checks(settings: Settings) -> bool:
    from otpgate.adapters.ratelimit import LimitsRateLimiter
    from otpgate.adapters.sms.registry import build_provider
    from otpgate.adapters.storage.engine import make_engine
    from otpgate.adapters.storage.migrate import current_head
    from otpgate.bootstrap import limit_rules

    ok = True
    store = SqlStore(make_engine(settings.effective_database_url))
    db_ok = await store.ping()
    schema = await _schema_version(store) if db_ok else None
    await store.aclose()
    head = current_head()
    if not db_ok:
        typer.echo("database: NOT REACHABLE")
    elif schema != head:
        at = schema or "nothing"
        typer.echo(f"database: reachable, schema at {at}; run `otpgate db upgrade`")
        db_ok = False
    else:
        typer.echo(f"database: ok (schema {head})")
    ok &= db_ok
    try:
        limiter = LimitsRateLimiter(limit_rules(settings), settings.redis_url, "otpgate-doctor")
        limits_ok = await limiter.ping()
        where = "redis" if settings.redis_url else "in-process memory"
        typer.echo(f"rate limits ({where}): {'ok' if limits_ok else 'NOT REACHABLE'}")
        ok &= limits_ok
    except ValueError as exc:
        typer.echo(f"rate limits: {exc}")
        ok = False
    for name in settings.sms_route_table.all_providers:
        try:
            provider = build_provider(name, settings)
            typer.echo(f"sms: {await provider.check()}")
            await provider.aclose()
        except ValueError as exc:
            typer.echo(f"sms {name}: {exc}")
            ok = False
    ok &= await _voice_checks(settings)
    typer.echo(f"sign-in methods: {_factors_line(settings)}")
    if db_ok:
        ok &= await _delivery_check(settings)
        await _events_webhook_check(settings)
    return ok


async def _events_webhook_check(settings: Settings) -> None:
    """Where security events go, and how many wait for the receiver (informational)."""
    from otpgate.adapters.storage.engine import make_engine
    from otpgate.adapters.storage.webhook_outbox import SqlWebhookOutbox

    if settings.events_webhook_url is None:
        typer.echo("event webhooks: off (OTPGATE_EVENTS_WEBHOOK_URL unset)")
        return
    engine = make_engine(settings.effective_database_url)
    try:
        waiting = await SqlWebhookOutbox(engine).backlog()
    finally:
        await engine.dispose()
    typer.echo(f"event webhooks: to {settings.events_webhook_url}; {waiting} event(s) waiting")


async def _voice_checks(settings: Settings) -> bool:
    from otpgate.adapters.voice.registry import build_voice_provider

    ok = True
    for name in settings.voice_provider_order:
        try:
            provider = build_voice_provider(name, settings)
            typer.echo(f"voice: {await provider.check()}")
            await provider.aclose()
        except ValueError as exc:
            typer.echo(f"voice {name}: {exc}")
            ok = False
    return ok


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


async def _schema_version(store: SqlStore) -> str | None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    try:
        async with store.engine.connect() as conn:
            row = (await conn.execute(text("SELECT version_num FROM alembic_version"))).first()
    except DBAPIError:
        return None
    return str(row[0]) if row else None


async def _delivery_check(settings: Settings) -> bool:
    """The delivery mode, and in scaled mode whether any worker is alive to drain the queue."""
    from sqlalchemy import text

    from otpgate.adapters.storage.engine import make_engine

    if settings.delivery_mode == "inline":
        typer.echo("delivery: inline (sent by the serving process)")
        return True
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
        typer.echo(f"delivery: queue NOT READY ({type(exc).__name__}; run `otpgate db upgrade`)")
        return False
    finally:
        await engine.dispose()
    if not alive:
        typer.echo(f"delivery: queue, NO WORKER ALIVE (start `otpgate worker`); {waiting} waiting")
        return False
    typer.echo(f"delivery: queue, {alive} worker(s) alive; {waiting} message(s) in flight")
    return True


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
