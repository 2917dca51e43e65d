"""Storage port of the OpenID Connect provider (DESIGN §5.3): ``uow.oauth``.

Clients, authorization codes, access and refresh tokens, how each session was signed in, and
where a browser returns after signing in. Codes, tokens and handles are stored only as
SHA-256 digests; the SQL adapter is ``adapters/storage/oauth.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol


@dataclass(frozen=True, slots=True)
class OAuthClient:
    id: str
    name: str
    public: bool
    consent: bool
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    created_at: datetime
    secret_hash: str | None = None


@dataclass(frozen=True, slots=True)
class SignInFacts:
    """How a sign-in was proven: when the latest code was typed, ``acr`` and ``amr``."""

    auth_time: datetime
    acr: str
    amr: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AuthCode:
    code_hash: str
    client_id: str
    account_id: str
    session_id: str | None
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    facts: SignInFacts
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


TokenKind = Literal["access", "refresh"]


@dataclass(frozen=True, slots=True)
class OAuthToken:
    token_hash: str
    kind: TokenKind
    client_id: str
    account_id: str
    session_id: str | None
    scope: str
    family_id: str
    code_hash: str | None
    facts: SignInFacts
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None


ReturnKind = Literal["path", "authorize", "consent"]


@dataclass(frozen=True, slots=True)
class SignInReturn:
    """Where to go after signing in: a local path, or an authorization request (its query)."""

    handle_hash: str
    kind: ReturnKind
    target: str
    require_code: bool
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


class OAuthStore(Protocol):
    # clients
    async def insert_client(self, client: OAuthClient) -> None: ...
    async def client(self, client_id: str) -> OAuthClient | None: ...
    async def clients(self) -> Sequence[OAuthClient]: ...
    async def delete_client(self, client_id: str) -> bool: ...

    # codes
    async def insert_code(self, code: AuthCode) -> None: ...
    async def code(self, code_hash: str) -> AuthCode | None: ...

    async def use_code(self, code_hash: str, now: datetime) -> bool:
        """Spend a code: True for exactly one caller, ever."""
        ...

    # tokens
    async def insert_token(self, token: OAuthToken) -> None: ...
    async def token(self, token_hash: str) -> OAuthToken | None: ...

    async def use_refresh(self, token_hash: str, now: datetime) -> bool:
        """Spend a live refresh token (rotation): True for exactly one caller, ever."""
        ...

    async def revoke_token(self, token_hash: str, now: datetime) -> None: ...
    async def revoke_family(self, family_id: str, now: datetime) -> int: ...
    async def revoke_from_code(self, code_hash: str, now: datetime) -> int: ...

    async def revoke_account(self, account_id: str, now: datetime) -> int:
        """Revoke every live token of the account and expire its unused codes (what ends
        every session of an account ends its apps' sessions too); the tokens revoked."""
        ...

    # sessions
    async def record_sign_in(self, session_id: str, facts: SignInFacts) -> None: ...
    async def sign_in_of(self, session_id: str) -> SignInFacts | None: ...

    # where to go after signing in
    async def insert_return(self, back: SignInReturn) -> None: ...
    async def sign_in_return(self, handle_hash: str) -> SignInReturn | None: ...

    async def use_return(self, handle_hash: str, now: datetime) -> bool:
        """Spend a return: True for exactly one caller."""
        ...
