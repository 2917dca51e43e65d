"""The ``otpgate`` command: serve, db upgrade, doctor."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer
from pydantic import SecretStr, ValidationError

from otpgate.config import Settings, describe_error, load_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="otpgate account security")
db_app = typer.Typer(no_args_is_help=True, help="Database schema")
app.add_typer(db_app, name="db")


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
        from otpgate.web.runtime import limit_rules
        from otpgate.adapters.ratelimit import parse_rules

        parse_rules(limit_rules(settings))
        from otpgate.adapters.sms.registry import build_provider

        for name in settings.provider_order:
            build_provider(name, settings)
    except (ValueError, OSError) as exc:
        typer.echo(f"otpgate: {exc}", err=True)
        raise typer.Exit(2) from None
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


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply database migrations up to REVISION (default: the newest)."""
    from otpgate.adapters.storage.migrate import upgrade

    settings = _settings()
    upgrade(settings.effective_database_url, revision)
    typer.echo(f"database at {_safe_url(settings.effective_database_url)} is at {revision}")


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
    from otpgate.adapters.storage.repositories import SqlStore
    from otpgate.web.runtime import limit_rules

    ok = True
    store = SqlStore(make_engine(settings.effective_database_url))
    db_ok = await store.ping()
    await store.aclose()
    typer.echo(f"database: {'ok' if db_ok else 'NOT REACHABLE'}")
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
    for name in settings.provider_order:
        try:
            provider = build_provider(name, settings)
            typer.echo(f"sms: {await provider.check()}")
            await provider.aclose()
        except ValueError as exc:
            typer.echo(f"sms {name}: {exc}")
            ok = False
    return ok


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
