"""``otpgate api-keys ...`` and ``otpgate keys ...``: the shop's applications' keys and the
token signing keys. Every command prints one JSON object on stdout (errors: one line on
stderr, exit status 1 or 2), so scripts can read it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError

from otpgate.config import Settings, describe_error, load_settings
from otpgate.domain.api_keys import ApiKey
from otpgate.domain.clock import SystemClock
from otpgate.domain.errors import OtpgateError
from otpgate.services.api_keys import ApiKeyService
from otpgate.services.signing import TokenSigner

api_keys_app = typer.Typer(no_args_is_help=True, help="API keys of the shop's applications")
keys_app = typer.Typer(no_args_is_help=True, help="Token signing keys (approval and ID tokens)")

T = TypeVar("T")


def _settings() -> Settings:
    try:
        return load_settings()
    except ValidationError as exc:
        typer.echo(f"otpgate: {describe_error(exc)}", err=True)
        raise typer.Exit(2) from None


def _run(work: Callable[[Settings, Any], Awaitable[T]]) -> T:
    """Run ``work(settings, store)`` on the configured database (an embedded SQLite database
    is brought up to date first, as ``serve`` does)."""
    from otpgate.adapters.storage.engine import make_engine
    from otpgate.adapters.storage.migrate import upgrade
    from otpgate.adapters.storage.unit_of_work import SqlStore

    settings = _settings()
    if not settings.is_postgres:
        upgrade(settings.effective_database_url)

    async def main() -> T:
        store = SqlStore(
            make_engine(settings.effective_database_url),
            webhooks=settings.events_webhook_url is not None,
        )
        try:
            return await work(settings, store)
        finally:
            await store.aclose()

    try:
        return asyncio.run(main())
    except OtpgateError as exc:
        typer.echo(f"otpgate: {exc.detail}", err=True)
        raise typer.Exit(1) from None


def _key_json(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "scopes": sorted(scope.value for scope in key.scopes),
        "created_at": key.created_at.isoformat(),
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }


@api_keys_app.command("create")
def api_keys_create(
    name: Annotated[str, typer.Option("--name", help="Who uses the key, e.g. 'checkout'")],
    scope: Annotated[
        list[str] | None,
        typer.Option("--scope", help="verify (default) or events; repeat for both"),
    ] = None,
) -> None:
    """Create a key; prints {"id": "key_...", "secret": "otk_..."} (the secret only now)."""

    async def work(_settings: Settings, store: Any) -> dict[str, str]:
        created = await ApiKeyService(store, SystemClock()).create(name, scope or ())
        return {"id": created.key.id, "secret": created.secret}

    typer.echo(json.dumps(_run(work)))


@api_keys_app.command("list")
def api_keys_list() -> None:
    """Every key with its scopes and whether it is revoked (never a secret)."""

    async def work(_settings: Settings, store: Any) -> list[ApiKey]:
        return list(await ApiKeyService(store, SystemClock()).list())

    typer.echo(json.dumps({"api_keys": [_key_json(key) for key in _run(work)]}))


@api_keys_app.command("revoke")
def api_keys_revoke(key_id: Annotated[str, typer.Argument(help="key_...")]) -> None:
    """Revoke a key: every node refuses it from its next request on."""

    async def work(_settings: Settings, store: Any) -> ApiKey:
        return await ApiKeyService(store, SystemClock()).revoke(key_id)

    typer.echo(json.dumps(_key_json(_run(work))))


def _signer(settings: Settings, store: Any) -> TokenSigner:
    from otpgate.adapters.jose import JoserfcEs256
    from otpgate.bootstrap import sealer_for

    return TokenSigner(
        store,
        SystemClock(),
        JoserfcEs256(),
        sealer_for(settings),
        retention=timedelta(seconds=settings.signing_key_retention_seconds),
    )


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Make a new signing key current; the former stay published until their tokens expire."""

    async def work(settings: Settings, store: Any) -> dict[str, str]:
        key = await _signer(settings, store).rotate()
        return {"kid": key.kid, "alg": key.alg, "created_at": key.created_at.isoformat()}

    typer.echo(json.dumps(_run(work)))


@keys_app.command("list")
def keys_list() -> None:
    """The published signing keys, newest (current) first."""

    async def work(settings: Settings, store: Any) -> list[dict[str, Any]]:
        keys = await _signer(settings, store).keys()
        return [
            {
                "kid": key.kid,
                "alg": key.alg,
                "created_at": key.created_at.isoformat(),
                "retired_at": key.retired_at.isoformat() if key.retired_at else None,
            }
            for key in keys
        ]

    typer.echo(json.dumps({"keys": _run(work)}))
