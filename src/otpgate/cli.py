"""The ``otpgate`` command: serve, worker, db upgrade, sms test, doctor, accounts, api-keys,
keys."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from otpgate.cli_accounts import accounts_app
from otpgate.cli_clients import clients_app
from otpgate.cli_doctor import doctor, safe_url
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
app.add_typer(accounts_app, name="accounts")
app.command()(doctor)


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
        else:
            check_postgres_schema(settings)
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
    except SQLAlchemyError as exc:
        from otpgate.cli_doctor import reason_of

        typer.echo(f"otpgate: the database could not be prepared ({reason_of(exc)})", err=True)
        raise typer.Exit(2) from None
    announce(settings, host, port, workers)
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


def announce(settings: Settings, host: str, port: int, workers: int) -> None:
    """The start-up screen on a console log; one ``starting`` record (and a warning) in the
    JSON log, which must stay one JSON object per line."""
    import structlog

    from otpgate.banner import DEV_PAGES_WARNING, banner, facts

    if settings.log_format == "console":
        for line in banner(settings, host=host, port=port, workers=workers):
            typer.echo(line, err=True)
        return
    log = structlog.get_logger("otpgate")
    log.info("starting", **facts(settings, host=host, port=port, workers=workers))
    if settings.dev_inbox_enabled:
        log.warning(DEV_PAGES_WARNING)


def check_postgres_schema(settings: Settings) -> None:
    """Start on a PostgreSQL database only when its schema is this version's: a database that
    does not answer is a warning (requests answer 503 until it does); one never upgraded, or
    behind, stops start-up with one line (or is upgraded, with OTPGATE_DB_AUTO_UPGRADE)."""
    from otpgate.adapters.storage.migrate import upgrade
    from otpgate.cli_doctor import database_state

    state = asyncio.run(database_state(settings))
    if not state.reachable:
        typer.echo(
            f"otpgate: WARNING: the database at {safe_url(settings.database_url)} does not "
            f"answer ({state.reason}); starting anyway, requests answer 503 until it does",
            err=True,
        )
        return
    if state.up_to_date:
        return
    at = f"schema {state.schema}" if state.schema else "no schema yet"
    if settings.db_auto_upgrade:
        typer.echo(f"otpgate: upgrading the database from {at} to {state.head}", err=True)
        upgrade(settings.effective_database_url)
        return
    typer.echo(
        f"otpgate: the database has {at}, this version needs schema {state.head}: run "
        "`otpgate db upgrade` first (or set OTPGATE_DB_AUTO_UPGRADE=true)",
        err=True,
    )
    raise typer.Exit(2)


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
    typer.echo(f"database at {safe_url(settings.effective_database_url)} is at {revision}")


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


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
