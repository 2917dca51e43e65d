"""``otpgate clients ...``: the shop's apps that sign customers in through OpenID Connect
(DESIGN §5.3). Every command prints one JSON object on stdout, like ``otpgate api-keys``."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from otpgate.cli_keys import _run
from otpgate.config import Settings
from otpgate.domain.clock import SystemClock
from otpgate.services.oidc.clients import ClientService
from otpgate.services.oidc.storage import OAuthClient

clients_app = typer.Typer(no_args_is_help=True, help="OpenID Connect clients (the shop's apps)")


def _client_json(client: OAuthClient) -> dict[str, Any]:
    return {
        "client_id": client.id,
        "name": client.name,
        "public": client.public,
        "consent": client.consent,
        "redirect_uris": list(client.redirect_uris),
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
        "created_at": client.created_at.isoformat(),
    }


@clients_app.command("create")
def clients_create(
    name: Annotated[str, typer.Option("--name", help="The app's name, e.g. 'storefront'")],
    redirect_uri: Annotated[
        list[str], typer.Option("--redirect-uri", help="Exact redirect URI; repeat for more")
    ],
    post_logout_redirect_uri: Annotated[
        list[str] | None,
        typer.Option("--post-logout-redirect-uri", help="Where /oauth/logout may send back"),
    ] = None,
    public: Annotated[
        bool, typer.Option("--public", help="No secret (mobile and single-page apps; PKCE)")
    ] = False,
    consent: Annotated[
        bool, typer.Option("--consent", help="Ask the customer before the first sign-in")
    ] = False,
) -> None:
    """Register an app; prints {"client_id": ..., "client_secret": ...} (the secret only now;
    null for a public client)."""

    async def work(_settings: Settings, store: Any) -> dict[str, str | None]:
        created = await ClientService(store, SystemClock()).create(
            name,
            redirect_uri,
            post_logout_redirect_uri or (),
            public=public,
            consent=consent,
        )
        return {"client_id": created.client.id, "client_secret": created.secret}

    typer.echo(json.dumps(_run(work)))


@clients_app.command("list")
def clients_list() -> None:
    """Every registered app (never a secret)."""

    async def work(_settings: Settings, store: Any) -> list[OAuthClient]:
        return list(await ClientService(store, SystemClock()).list())

    typer.echo(json.dumps({"clients": [_client_json(client) for client in _run(work)]}))


@clients_app.command("delete")
def clients_delete(client_id: Annotated[str, typer.Argument(help="oc_...")]) -> None:
    """Delete an app: its codes and tokens stop working at once."""

    async def work(_settings: Settings, store: Any) -> None:
        await ClientService(store, SystemClock()).delete(client_id)

    _run(work)
    typer.echo(json.dumps({"client_id": client_id, "deleted": True}))
