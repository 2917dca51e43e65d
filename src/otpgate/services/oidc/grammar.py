"""Authlib's OAuth 2 / OpenID Connect grammar, on data loaded beforehand.

Authlib's server classes are synchronous and call their storage hooks (``query_client``,
``query_authorization_code``, ``save_token`` ...) in the middle of their checks; our storage is
async. So each request runs in three steps (``provider.py``): load what the request names (the
client, the code or refresh token, the account, the signing key) into a ``Loaded``; run
Authlib's grant on it, which only reads ``Loaded`` and records what it would write into
``Written``; then write that in one transaction, where the single-use conditions are checked
again (``UPDATE ... WHERE used_at IS NULL``), so two concurrent uses of one code still yield
one token. Every check of the protocol (client authentication, redirect URI, PKCE, scopes,
prompt, error responses) is Authlib's; none is written here.
"""

from __future__ import annotations

import hmac
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientMixin,
    OAuth2Payload,
    OAuth2Request,
    grants,
)
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode
from authlib.oidc.core.models import AuthorizationCodeMixin

from otpgate.domain.accounts import Account
from otpgate.domain.oidc import SCOPES, scope_claims
from otpgate.domain.tokens import new_id, new_token, token_hash
from otpgate.services.oidc.storage import (
    AuthCode,
    OAuthClient,
    OAuthToken,
    SignInFacts,
)

ALG = "ES256"


@dataclass(frozen=True, slots=True)
class Lifetimes:
    code: timedelta
    access: timedelta
    id_token: timedelta
    refresh: timedelta


@dataclass(frozen=True, slots=True)
class User:
    """The signed-in customer a grant is for: account, session and how it was proven."""

    account: Account
    session_id: str | None
    facts: SignInFacts


class Client(ClientMixin):  # type: ignore[misc]
    """Authlib's view of a stored client."""

    def __init__(self, stored: OAuthClient) -> None:
        self.stored = stored

    def get_client_id(self) -> str:
        return self.stored.id

    def get_default_redirect_uri(self) -> str | None:
        # Only an exact, registered URI is ever used; none is implied (OIDC requires it).
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        asked = (scope or "").split()
        return " ".join(s for s in asked if s in SCOPES)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.stored.redirect_uris  # exact match, no prefix, no pattern

    def check_client_secret(self, client_secret: str) -> bool:
        if self.stored.secret_hash is None or not client_secret:
            return False
        return hmac.compare_digest(token_hash(client_secret), self.stored.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.stored.public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


class Code(AuthorizationCodeMixin):  # type: ignore[misc]
    """Authlib's view of a stored authorization code (PKCE reads the two attributes)."""

    def __init__(self, stored: AuthCode) -> None:
        self.stored = stored
        self.code_challenge = stored.code_challenge
        self.code_challenge_method = stored.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.stored.redirect_uri

    def get_scope(self) -> str:
        return self.stored.scope

    def get_nonce(self) -> str | None:
        return self.stored.nonce

    def get_auth_time(self) -> int:
        return int(self.stored.facts.auth_time.timestamp())

    def get_acr(self) -> str:
        return self.stored.facts.acr

    def get_amr(self) -> list[str]:
        return list(self.stored.facts.amr)


class Token:
    """Authlib's view of a stored refresh (or access) token."""

    def __init__(self, stored: OAuthToken, now: datetime) -> None:
        self.stored = stored
        self.now = now

    def check_client(self, client: Client) -> bool:
        return self.stored.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.stored.scope

    def get_expires_in(self) -> int:
        return max(0, int((self.stored.expires_at - self.now).total_seconds()))

    def is_expired(self) -> bool:
        return self.now >= self.stored.expires_at

    def is_revoked(self) -> bool:
        return self.stored.revoked_at is not None


@dataclass
class Loaded:
    """What a request names, read from storage before Authlib runs."""

    now: datetime
    issuer: str
    lifetimes: Lifetimes
    client: OAuthClient | None = None
    user: User | None = None
    code: AuthCode | None = None
    refresh: OAuthToken | None = None
    revocable: OAuthToken | None = None
    signing_key: tuple[str, str] | None = None  # (kid, private JWK as JSON)


@dataclass
class Issued:
    access: OAuthToken
    refresh: OAuthToken | None


@dataclass
class Written:
    """What Authlib decided to write; ``provider.py`` writes it after the checks."""

    code: AuthCode | None = None
    issued: Issued | None = None
    spent_code: AuthCode | None = None
    spent_refresh: OAuthToken | None = None
    revoked: OAuthToken | None = None


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, items: Sequence[tuple[str, str]]) -> None:
        self._data: dict[str, str] = {}
        self._list: defaultdict[str, list[str]] = defaultdict(list)
        for name, value in items:
            self._data.setdefault(name, value)
            self._list[name].append(value)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._list


class Request(OAuth2Request):  # type: ignore[misc]
    """One HTTP request as Authlib reads it (query and form, both kept whole)."""

    def __init__(
        self,
        method: str,
        uri: str,
        headers: Mapping[str, str],
        query: Sequence[tuple[str, str]],
        form: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(method, uri, headers=headers)
        self._args = dict(query)
        self._form = dict(form)
        self.payload = _Payload([*query, *form])

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class _Pkce(CodeChallenge):  # type: ignore[misc]
    """PKCE with S256 only; required of public clients already at the authorization request."""

    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        client: Client = grant.request.client
        if client.stored.public and not data.get("code_challenge"):
            raise InvalidRequestError("A public client must send a PKCE 'code_challenge' (S256).")
        if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256.")
        super().validate_code_challenge(grant, redirect_uri)


class _OpenIDCode(OpenIDCode):  # type: ignore[misc]
    def __init__(self, loaded: Loaded) -> None:
        super().__init__(require_nonce=False)
        self.loaded = loaded

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        # A nonce is the client's replay check on the ID token (it compares what comes back);
        # codes are single use here, so a replayed authorization yields nothing new.
        return False

    def resolve_client_private_key(self, client: Client) -> dict[str, Any]:
        assert self.loaded.signing_key is not None
        return dict(json.loads(self.loaded.signing_key[1]))

    def get_client_algorithm(self, client: Client) -> str:
        return ALG

    def get_encode_header(self, client: Client) -> dict[str, str]:
        assert self.loaded.signing_key is not None
        return {"alg": ALG, "typ": "JWT", "kid": self.loaded.signing_key[0]}

    def get_client_claims(self, client: Client) -> dict[str, Any]:
        now = self.loaded.now
        return {
            "iss": self.loaded.issuer,
            "aud": client.get_client_id(),
            "iat": int(now.timestamp()),
            "exp": int((now + self.loaded.lifetimes.id_token).timestamp()),
        }

    def generate_user_info(self, user: User, scope: str) -> dict[str, Any]:
        return user_claims(user.account, scope)


def user_claims(account: Account, scope: str) -> dict[str, Any]:
    """``sub`` and the claims ``scope`` grants (the ID token and ``/oauth/userinfo``)."""
    return {
        "sub": account.id,
        **scope_claims(
            scope.split(),
            name=account.name,
            email=account.email,
            phone=account.phone,
            phone_verified=account.phone_verified,
            email_verified=account.email_verified,
        ),
    }


class _CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = [
        "client_secret_basic",
        "client_secret_post",
        "none",
    ]

    def __init__(self, request: Request, server: Server) -> None:
        super().__init__(request, server)
        self.loaded = server.loaded
        self.written = server.written

    def save_authorization_code(self, code: str, request: Request) -> None:
        user: User = request.user
        loaded = self.loaded
        data = request.payload.data
        assert loaded.client is not None
        self.written.code = AuthCode(
            code_hash=token_hash(code),
            client_id=loaded.client.id,
            account_id=user.account.id,
            session_id=user.session_id,
            redirect_uri=data["redirect_uri"],
            scope=request.scope or "",
            nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
            facts=user.facts,
            created_at=loaded.now,
            expires_at=loaded.now + loaded.lifetimes.code,
        )

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        stored = self.loaded.code
        if (
            stored is None
            or stored.code_hash != token_hash(code)
            or stored.client_id != client.get_client_id()
            or stored.used_at is not None
            or self.loaded.now >= stored.expires_at
        ):
            return None
        return Code(stored)

    def delete_authorization_code(self, authorization_code: Code) -> None:
        self.written.spent_code = authorization_code.stored

    def authenticate_user(self, authorization_code: Code) -> User | None:
        return self.loaded.user


class _RefreshGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = [
        "client_secret_basic",
        "client_secret_post",
        "none",
    ]
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: every use gives a new one

    def __init__(self, request: Request, server: Server) -> None:
        super().__init__(request, server)
        self.loaded = server.loaded
        self.written = server.written

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        stored = self.loaded.refresh
        if (
            stored is None
            or stored.kind != "refresh"
            or stored.token_hash != token_hash(refresh_token)
            or stored.used_at is not None
            or stored.revoked_at is not None
            or self.loaded.now >= stored.expires_at
        ):
            return None
        return Token(stored, self.loaded.now)

    def authenticate_user(self, refresh_token: Token) -> User | None:
        return self.loaded.user

    def revoke_old_credential(self, refresh_token: Token) -> None:
        self.written.spent_refresh = refresh_token.stored


class _Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS: ClassVar[list[str]] = ["client_secret_basic", "client_secret_post", "none"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        stored = self.server.loaded.revocable
        if stored is None or stored.token_hash != token_hash(token_string):
            return None
        return Token(stored, self.server.loaded.now)

    def revoke_token(self, token: Token, request: Request) -> None:
        self.server.written.revoked = token.stored


class Server(AuthorizationServer):  # type: ignore[misc]
    """An Authlib authorization server for one request, on ``loaded``."""

    def __init__(self, loaded: Loaded) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self.loaded = loaded
        self.written = Written()
        self.register_grant(_CodeGrant, [_Pkce(required=True), _OpenIDCode(loaded)])
        self.register_grant(_RefreshGrant)
        self.register_token_generator("default", self._generate)
        self.register_endpoint(_Revocation(server=self))

    def query_client(self, client_id: str) -> Client | None:
        stored = self.loaded.client
        if stored is None or stored.id != client_id:
            return None
        return Client(stored)

    def save_token(self, token: dict[str, Any], request: Request) -> None:
        pass  # the tokens were recorded as they were made (``_generate``)

    def create_oauth2_request(self, request: Request) -> Request:
        return request

    def create_json_request(self, request: Any) -> Any:
        raise NotImplementedError

    def handle_response(
        self, status: int, body: Any, headers: list[tuple[str, str]]
    ) -> tuple[int, Any, list[tuple[str, str]]]:
        return status, body, list(headers)

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass

    def _generate(
        self,
        grant_type: str,
        client: Client,
        user: User | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        loaded = self.loaded
        assert user is not None
        scope = scope or ""
        life = loaded.lifetimes
        access = new_token("oat")
        if loaded.refresh is not None:
            family, code_hash = loaded.refresh.family_id, loaded.refresh.code_hash
        else:
            family = new_id("tf")
            code_hash = loaded.code.code_hash if loaded.code else None

        def row(kind: str, secret: str, lifetime: timedelta) -> OAuthToken:
            return OAuthToken(
                token_hash=token_hash(secret),
                kind="access" if kind == "access" else "refresh",
                client_id=client.get_client_id(),
                account_id=user.account.id,
                session_id=user.session_id,
                scope=scope,
                family_id=family,
                code_hash=code_hash,
                facts=user.facts,
                created_at=loaded.now,
                expires_at=loaded.now + lifetime,
            )

        token: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": int(life.access.total_seconds()),
            "scope": scope,
        }
        refresh_row = None
        if include_refresh_token and "offline_access" in scope.split():
            refresh = new_token("ort")
            token["refresh_token"] = refresh
            refresh_row = row("refresh", refresh, life.refresh)
        self.written.issued = Issued(access=row("access", access, life.access), refresh=refresh_row)
        return token
