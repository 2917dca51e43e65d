"""The shop's OIDC clients: ``otpgate clients create|list|delete`` (DESIGN §5.3)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from otpgate.domain.accounts import EventType
from otpgate.domain.clock import Clock
from otpgate.domain.errors import InvalidInput, NotFound
from otpgate.domain.tokens import new_id, new_token, token_hash
from otpgate.services.audit import audit
from otpgate.services.oidc.storage import OAuthClient
from otpgate.services.storage import Store

MAX_URI = 500


@dataclass(frozen=True, slots=True)
class CreatedClient:
    client: OAuthClient
    secret: str | None  # shown once; None for a public client


def check_uri(uri: str) -> str:
    """A redirect URI as OAuth 2.1 allows it: absolute, no fragment; https, or http on a
    loopback host (native apps, development); or a private-use scheme (``com.shop.app:/cb``)."""
    parts = urlsplit(uri)
    if len(uri) > MAX_URI or not parts.scheme or parts.fragment or any(c.isspace() for c in uri):
        raise InvalidInput("redirect_uri", "Not a usable redirect URI: %(uri)s", uri=repr(uri))
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "[::1]", "::1"):
        raise InvalidInput("redirect_uri", "An http redirect URI must be on a loopback host.")
    if parts.scheme in ("http", "https") and not parts.hostname:
        raise InvalidInput("redirect_uri", "Not a usable redirect URI: %(uri)s", uri=repr(uri))
    if parts.scheme in ("javascript", "data", "file", "vbscript"):
        raise InvalidInput("redirect_uri", "Not a usable redirect URI: %(uri)s", uri=repr(uri))
    return uri


class ClientService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def create(
        self,
        name: str,
        redirect_uris: Sequence[str],
        post_logout_redirect_uris: Sequence[str] = (),
        *,
        public: bool = False,
        consent: bool = False,
    ) -> CreatedClient:
        name = name.strip()
        if not name or len(name) > 100:
            raise InvalidInput("name", "A client needs a name of 1 to 100 characters.")
        if not redirect_uris:
            raise InvalidInput("redirect_uri", "A client needs at least one --redirect-uri.")
        now = self.clock.now()
        secret = None if public else new_token("ocs")
        client = OAuthClient(
            id=new_id("oc"),
            name=name,
            public=public,
            consent=consent,
            redirect_uris=tuple(check_uri(uri) for uri in redirect_uris),
            post_logout_redirect_uris=tuple(check_uri(uri) for uri in post_logout_redirect_uris),
            created_at=now,
            secret_hash=token_hash(secret) if secret else None,
        )
        async with self.store.transaction() as uow:
            await uow.oauth.insert_client(client)
            await audit(
                uow, EventType.OIDC_CLIENT_CREATED, "ok", at=now, client_id=client.id, name=name
            )
        return CreatedClient(client, secret)

    async def list(self) -> Sequence[OAuthClient]:
        async with self.store.autocommit() as uow:
            return await uow.oauth.clients()

    async def delete(self, client_id: str) -> None:
        """Delete a client: its codes and tokens stop working at once."""
        async with self.store.transaction() as uow:
            if not await uow.oauth.delete_client(client_id):
                raise NotFound("No such client.")
            await audit(
                uow, EventType.OIDC_CLIENT_DELETED, "ok", at=self.clock.now(), client_id=client_id
            )
