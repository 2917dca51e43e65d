"""The OpenID Connect provider's use cases (DESIGN §5.3): authorize, token, userinfo, revoke.

Each runs Authlib's grammar (``grammar.py``) on data loaded first, then writes what it decided
in one transaction. Access tokens are opaque (``oat_...``, stored as SHA-256 digests): only
otpgate reads them (``/oauth/userinfo``), and an opaque token is revoked at once everywhere,
which a replayed code or a reused refresh token needs (a JWT would live on until it expires).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749 import OAuth2Error
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from authlib.oidc.core.errors import LoginRequiredError

from otpgate.domain.accounts import EventType
from otpgate.domain.clock import Clock
from otpgate.domain.oidc import Demand
from otpgate.domain.tokens import token_hash
from otpgate.services.audit import audit
from otpgate.services.oidc.grammar import (
    Client,
    Lifetimes,
    Loaded,
    Request,
    Server,
    User,
    user_claims,
)
from otpgate.services.oidc.storage import OAuthClient, OAuthToken
from otpgate.services.ports import RequestContext
from otpgate.services.principal import Customer
from otpgate.services.signing import TokenSigner
from otpgate.services.storage import Store

Headers = list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class HttpCall:
    """What the web layer hands over of one request."""

    method: str
    url: str
    headers: Mapping[str, str]
    query: Sequence[tuple[str, str]]
    form: Sequence[tuple[str, str]] = ()


@dataclass(frozen=True, slots=True)
class Answer:
    """A protocol answer: JSON ``body`` (or a redirect in ``headers``)."""

    status: int
    body: Any
    headers: Headers


@dataclass(frozen=True, slots=True)
class Redirect:
    """Back to the client: a code, or an error for it (``Location`` is a registered URI)."""

    location: str


@dataclass(frozen=True, slots=True)
class Refused:
    """The request names no client or no registered redirect URI: shown, never redirected."""

    error: str
    description: str


@dataclass(frozen=True, slots=True)
class SignInNeeded:
    """The customer must sign in (again); ``code``: even a trusted browser types a code."""

    code: bool
    again: bool


@dataclass(frozen=True, slots=True)
class ConsentNeeded:
    client: OAuthClient
    scopes: tuple[str, ...]


AuthorizeOutcome = Redirect | Refused | SignInNeeded | ConsentNeeded


def _client_id(call: HttpCall) -> str | None:
    basic_id, _secret = extract_basic_authorization(call.headers)
    if basic_id:
        return str(basic_id)
    for name, value in [*call.form, *call.query]:
        if name == "client_id":
            return value
    return None


def _first(items: Sequence[tuple[str, str]], name: str) -> str | None:
    return next((value for key, value in items if key == name), None)


def _proved(call: HttpCall, client: OAuthClient) -> bool:
    """Whether the request carries the client's own secret (a public client has none to
    carry: any replay of its codes counts)."""
    if client.public:
        return True
    basic_id, basic_secret = extract_basic_authorization(call.headers)
    secret = basic_secret if basic_id else _first(call.form, "client_secret")
    return bool(secret) and Client(client).check_client_secret(str(secret))


class OidcProvider:
    def __init__(
        self, store: Store, clock: Clock, signer: TokenSigner, issuer: str, lifetimes: Lifetimes
    ) -> None:
        self.store = store
        self.clock = clock
        self.signer = signer
        self.issuer = issuer
        self.lifetimes = lifetimes

    def _loaded(self) -> Loaded:
        return Loaded(now=self.clock.now(), issuer=self.issuer, lifetimes=self.lifetimes)

    # -- /oauth/authorize ------------------------------------------------------------------

    async def authorize(
        self,
        call: HttpCall,
        customer: Customer | None,
        ctx: RequestContext,
        *,
        fresh_since: datetime | None = None,
        consented: bool = False,
        denied: bool = False,
    ) -> AuthorizeOutcome:
        """Answer an authorization request for ``customer`` (None: nobody signed in).

        ``fresh_since``: this request already sent the browser to sign in at that moment
        (the sign-in after it is the fresh one ``prompt=login`` or ``max_age`` asked for).
        """
        loaded = self._loaded()
        client_id = _first(call.query, "client_id")
        user: User | None = None
        async with self.store.autocommit() as uow:
            if client_id and len(client_id) <= 40:
                loaded.client = await uow.oauth.client(client_id)
            if customer is not None:
                facts = await uow.oauth.sign_in_of(customer.session.id)
                if facts is not None:
                    user = User(customer.account, customer.session.id, facts)
        server = Server(loaded)
        request = Request(call.method, call.url, call.headers, call.query)
        try:
            grant = server.get_consent_grant(request, end_user=user)
        except OAuth2Error as error:
            return self._error(server, request, error)
        demand = Demand.of(dict(call.query))
        redirect_uri = request.payload.data.get("redirect_uri")
        if user is None or not demand.satisfied_by(
            user.facts.auth_time, user.facts.acr, loaded.now, fresh_since
        ):
            if "none" in demand.prompt:
                login = LoginRequiredError(redirect_uri=redirect_uri)
                login.state = request.payload.state
                return self._error(server, request, login)
            return SignInNeeded(code=demand.wants_code, again=customer is not None)
        assert loaded.client is not None
        if loaded.client.consent and not consented and not denied:
            if "none" in demand.prompt:
                from authlib.oidc.core.errors import ConsentRequiredError

                consent = ConsentRequiredError(redirect_uri=redirect_uri)
                consent.state = request.payload.state
                return self._error(server, request, consent)
            return ConsentNeeded(loaded.client, tuple((request.scope or "").split()))
        status, _body, headers = server.create_authorization_response(
            request, grant_user=None if denied else user, grant=grant
        )
        location = self._with_issuer(dict(headers).get("Location", ""))
        code = server.written.code
        if status != 302 or code is None:
            return Redirect(location) if location else Refused("server_error", "No answer.")
        async with self.store.transaction() as uow:
            await uow.oauth.insert_code(code)
            await audit(
                uow,
                EventType.OIDC_AUTHORIZED,
                "ok",
                at=loaded.now,
                ctx=ctx,
                account_id=code.account_id,
                client_id=code.client_id,
                session_id=code.session_id,
                scope=code.scope,
                acr=code.facts.acr,
            )
        return Redirect(location)

    def _error(self, server: Server, request: Request, error: OAuth2Error) -> AuthorizeOutcome:
        if not error.redirect_uri:
            return Refused(error.error, error.description or "")
        _status, _body, headers = server.handle_error_response(request, error)
        return Redirect(self._with_issuer(dict(headers)["Location"]))

    def _with_issuer(self, location: str) -> str:
        # RFC 9207: every authorization response names its issuer (mix-up defence, RFC 9700).
        return add_params_to_uri(location, {"iss": self.issuer}) if location else location

    # -- /oauth/token ----------------------------------------------------------------------

    async def token(self, call: HttpCall, ctx: RequestContext) -> Answer:
        loaded = self._loaded()
        form = dict(call.form)
        grant_type = form.get("grant_type")
        client_id = _client_id(call)
        replayed: tuple[str, str] | None = None  # (what, family or code hash)
        async with self.store.transaction() as uow:
            if client_id and len(client_id) <= 40:
                loaded.client = await uow.oauth.client(client_id)
            account_id = None
            if grant_type == "authorization_code" and form.get("code"):
                loaded.code = await uow.oauth.code(token_hash(form["code"]))
                if loaded.code is not None and loaded.code.client_id != client_id:
                    loaded.code = None
                if loaded.code is not None:
                    account_id = loaded.code.account_id
                    if loaded.code.used_at is not None:
                        replayed = ("code", loaded.code.code_hash)
                    else:
                        loaded.signing_key = await self.signer.current_key(uow)
            elif grant_type == "refresh_token" and form.get("refresh_token"):
                loaded.refresh = await uow.oauth.token(token_hash(form["refresh_token"]))
                if loaded.refresh is not None and loaded.refresh.client_id != client_id:
                    loaded.refresh = None
                if loaded.refresh is not None:
                    account_id = loaded.refresh.account_id
                    if loaded.refresh.used_at is not None:
                        replayed = ("refresh", loaded.refresh.family_id)
            if account_id is not None:
                account = await uow.accounts.get(account_id)
                source = loaded.code or loaded.refresh
                # A disabled account gets no token (its tokens were revoked; belt and braces).
                if account is not None and source is not None and account.disabled_at is None:
                    loaded.user = User(account, source.session_id, source.facts)
        if replayed is not None and loaded.client is not None and _proved(call, loaded.client):
            # RFC 6749 §4.1.2 and the refresh-token BCP: a second use means a copy leaked;
            # what the first use issued is revoked before the client hears invalid_grant.
            # Only the client itself gets that far: a used code sits in browser histories
            # and access logs beside the public client id, and must not be a way to end an
            # app's sessions for whoever finds it.
            await self._revoke_replayed(replayed, loaded, ctx)
        server = Server(loaded)
        request = Request(call.method, call.url, call.headers, (), call.form)
        status, body, headers = server.create_token_response(request)
        written = server.written
        if status != 200 or written.issued is None:
            return Answer(status, body, headers)
        async with self.store.transaction() as uow:
            if written.spent_code is not None and not await uow.oauth.use_code(
                written.spent_code.code_hash, loaded.now
            ):
                lost = ("code", written.spent_code.code_hash)
            elif written.spent_refresh is not None and not await uow.oauth.use_refresh(
                written.spent_refresh.token_hash, loaded.now
            ):
                lost = ("refresh", written.spent_refresh.family_id)
            else:
                lost = None
                await uow.oauth.insert_token(written.issued.access)
                if written.issued.refresh is not None:
                    await uow.oauth.insert_token(written.issued.refresh)
                await audit(
                    uow,
                    EventType.OIDC_TOKEN_ISSUED,
                    "ok",
                    at=loaded.now,
                    ctx=ctx,
                    account_id=written.issued.access.account_id,
                    client_id=written.issued.access.client_id,
                    grant_type=grant_type,
                    scope=written.issued.access.scope,
                )
        if lost is not None:
            # A concurrent request spent it first: this one is the second use.
            await self._revoke_replayed(lost, loaded, ctx)
            return Answer(400, {"error": "invalid_grant"}, [("Cache-Control", "no-store")])
        return Answer(status, body, headers)

    async def _revoke_replayed(
        self, replayed: tuple[str, str], loaded: Loaded, ctx: RequestContext
    ) -> None:
        what, key = replayed
        assert loaded.client is not None
        async with self.store.transaction() as uow:
            if what == "code":
                revoked = await uow.oauth.revoke_from_code(key, loaded.now)
                kind = EventType.OIDC_CODE_REPLAYED
            else:
                revoked = await uow.oauth.revoke_family(key, loaded.now)
                kind = EventType.OIDC_REFRESH_REUSED
            await audit(
                uow,
                kind,
                "revoked",
                at=loaded.now,
                ctx=ctx,
                account_id=loaded.user.account.id if loaded.user else None,
                client_id=loaded.client.id,
                revoked=revoked,
            )

    # -- /oauth/userinfo -------------------------------------------------------------------

    async def userinfo(self, access_token: str | None) -> dict[str, Any] | None:
        """The claims an access token's scopes grant, or None (invalid_token)."""
        if not access_token or len(access_token) > 200:
            return None
        now = self.clock.now()
        async with self.store.autocommit() as uow:
            stored = await uow.oauth.token(token_hash(access_token))
            if not _live(stored, "access", now):
                return None
            assert stored is not None
            account = await uow.accounts.get(stored.account_id)
        if account is None or account.disabled_at is not None:
            return None
        return user_claims(account, stored.scope)

    # -- /oauth/revoke ---------------------------------------------------------------------

    async def revoke(self, call: HttpCall, ctx: RequestContext) -> Answer:
        loaded = self._loaded()
        client_id = _client_id(call)
        token = _first(call.form, "token")
        async with self.store.autocommit() as uow:
            if client_id and len(client_id) <= 40:
                loaded.client = await uow.oauth.client(client_id)
            if token and len(token) <= 200:
                loaded.revocable = await uow.oauth.token(token_hash(token))
        server = Server(loaded)
        request = Request(call.method, call.url, call.headers, (), call.form)
        status, body, headers = server.create_endpoint_response("revocation", request)
        revoked = server.written.revoked
        if status == 200 and revoked is not None:
            async with self.store.transaction() as uow:
                # A refresh token takes its whole family with it (RFC 7009 §2.1: "SHOULD").
                if revoked.kind == "refresh":
                    await uow.oauth.revoke_family(revoked.family_id, loaded.now)
                else:
                    await uow.oauth.revoke_token(revoked.token_hash, loaded.now)
                await audit(
                    uow,
                    EventType.OIDC_TOKEN_REVOKED,
                    "ok",
                    at=loaded.now,
                    ctx=ctx,
                    account_id=revoked.account_id,
                    client_id=revoked.client_id,
                    token_kind=revoked.kind,
                )
        return Answer(status, body, headers)

    async def record_logout(
        self, customer: Customer, client_id: str | None, ctx: RequestContext
    ) -> None:
        async with self.store.transaction() as uow:
            await audit(
                uow,
                EventType.OIDC_LOGOUT,
                "ok",
                at=self.clock.now(),
                ctx=ctx,
                account_id=customer.account.id,
                client_id=client_id,
                session_id=customer.session.id,
            )

    async def client(self, client_id: str) -> OAuthClient | None:
        async with self.store.autocommit() as uow:
            return await uow.oauth.client(client_id)


def _live(stored: OAuthToken | None, kind: str, now: datetime) -> bool:
    return (
        stored is not None
        and stored.kind == kind
        and stored.revoked_at is None
        and now < stored.expires_at
    )
