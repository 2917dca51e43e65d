"""The ``OAuthStore`` port on SQL (``services/oidc/storage.py``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import RowMapping

from otpgate.adapters.storage.base import Repository
from otpgate.adapters.storage.models import (
    oauth_clients,
    oauth_codes,
    oauth_tokens,
    session_auths,
    sign_in_returns,
)
from otpgate.services.oidc.storage import (
    AuthCode,
    OAuthClient,
    OAuthToken,
    SignInFacts,
    SignInReturn,
)


def _client(row: RowMapping) -> OAuthClient:
    return OAuthClient(
        id=row["id"],
        name=row["name"],
        public=bool(row["public"]),
        consent=bool(row["consent"]),
        redirect_uris=tuple(json.loads(row["redirect_uris"])),
        post_logout_redirect_uris=tuple(json.loads(row["post_logout_redirect_uris"])),
        created_at=row["created_at"],
        secret_hash=row["secret_hash"],
    )


def _facts(row: RowMapping) -> SignInFacts:
    return SignInFacts(auth_time=row["auth_time"], acr=row["acr"], amr=tuple(row["amr"].split()))


def _facts_columns(facts: SignInFacts) -> dict[str, Any]:
    return {"auth_time": facts.auth_time, "acr": facts.acr, "amr": " ".join(facts.amr)}


# Spent and expired rows are dropped as new ones are written (one indexed DELETE), a day after
# they expired: a code replayed within that day still revokes what it issued.
KEEP_EXPIRED = timedelta(days=1)


class SqlOAuth(Repository):
    async def insert_client(self, client: OAuthClient) -> None:
        await self.conn.execute(
            insert(oauth_clients).values(
                id=client.id,
                name=client.name,
                secret_hash=client.secret_hash,
                public=client.public,
                consent=client.consent,
                redirect_uris=json.dumps(list(client.redirect_uris)),
                post_logout_redirect_uris=json.dumps(list(client.post_logout_redirect_uris)),
                created_at=client.created_at,
            )
        )

    async def client(self, client_id: str) -> OAuthClient | None:
        row = await self._one(select(oauth_clients).where(oauth_clients.c.id == client_id))
        return _client(row) if row else None

    async def clients(self) -> Sequence[OAuthClient]:
        result = await self.conn.execute(select(oauth_clients).order_by(oauth_clients.c.created_at))
        return [_client(row) for row in result.mappings()]

    async def delete_client(self, client_id: str) -> bool:
        # Its codes and tokens go with it (ON DELETE CASCADE; SQLite: deleted explicitly).
        await self.conn.execute(delete(oauth_codes).where(oauth_codes.c.client_id == client_id))
        await self.conn.execute(delete(oauth_tokens).where(oauth_tokens.c.client_id == client_id))
        return await self._count(delete(oauth_clients).where(oauth_clients.c.id == client_id)) > 0

    async def insert_code(self, code: AuthCode) -> None:
        await self.conn.execute(
            delete(oauth_codes).where(oauth_codes.c.expires_at < code.created_at - KEEP_EXPIRED)
        )
        await self.conn.execute(
            insert(oauth_codes).values(
                code_hash=code.code_hash,
                client_id=code.client_id,
                account_id=code.account_id,
                session_id=code.session_id,
                redirect_uri=code.redirect_uri,
                scope=code.scope,
                nonce=code.nonce,
                code_challenge=code.code_challenge,
                code_challenge_method=code.code_challenge_method,
                created_at=code.created_at,
                expires_at=code.expires_at,
                **_facts_columns(code.facts),
            )
        )

    async def code(self, code_hash: str) -> AuthCode | None:
        row = await self._one(select(oauth_codes).where(oauth_codes.c.code_hash == code_hash))
        if row is None:
            return None
        return AuthCode(
            code_hash=row["code_hash"],
            client_id=row["client_id"],
            account_id=row["account_id"],
            session_id=row["session_id"],
            redirect_uri=row["redirect_uri"],
            scope=row["scope"],
            nonce=row["nonce"],
            code_challenge=row["code_challenge"],
            code_challenge_method=row["code_challenge_method"],
            facts=_facts(row),
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            used_at=row["used_at"],
        )

    async def use_code(self, code_hash: str, now: datetime) -> bool:
        statement = (
            update(oauth_codes)
            .where(oauth_codes.c.code_hash == code_hash, oauth_codes.c.used_at.is_(None))
            .values(used_at=now)
        )
        return await self._count(statement) == 1

    async def insert_token(self, token: OAuthToken) -> None:
        await self.conn.execute(
            delete(oauth_tokens).where(oauth_tokens.c.expires_at < token.created_at - KEEP_EXPIRED)
        )
        await self.conn.execute(
            insert(oauth_tokens).values(
                token_hash=token.token_hash,
                kind=token.kind,
                client_id=token.client_id,
                account_id=token.account_id,
                session_id=token.session_id,
                scope=token.scope,
                family_id=token.family_id,
                code_hash=token.code_hash,
                created_at=token.created_at,
                expires_at=token.expires_at,
                **_facts_columns(token.facts),
            )
        )

    async def token(self, token_hash: str) -> OAuthToken | None:
        row = await self._one(select(oauth_tokens).where(oauth_tokens.c.token_hash == token_hash))
        if row is None:
            return None
        return OAuthToken(
            token_hash=row["token_hash"],
            kind=row["kind"],
            client_id=row["client_id"],
            account_id=row["account_id"],
            session_id=row["session_id"],
            scope=row["scope"],
            family_id=row["family_id"],
            code_hash=row["code_hash"],
            facts=_facts(row),
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            used_at=row["used_at"],
            revoked_at=row["revoked_at"],
        )

    async def use_refresh(self, token_hash: str, now: datetime) -> bool:
        statement = (
            update(oauth_tokens)
            .where(
                oauth_tokens.c.token_hash == token_hash,
                oauth_tokens.c.kind == "refresh",
                oauth_tokens.c.used_at.is_(None),
                oauth_tokens.c.revoked_at.is_(None),
            )
            .values(used_at=now)
        )
        return await self._count(statement) == 1

    async def revoke_token(self, token_hash: str, now: datetime) -> None:
        await self.conn.execute(
            update(oauth_tokens)
            .where(oauth_tokens.c.token_hash == token_hash, oauth_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def revoke_family(self, family_id: str, now: datetime) -> int:
        return await self._count(
            update(oauth_tokens)
            .where(oauth_tokens.c.family_id == family_id, oauth_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def revoke_account(self, account_id: str, now: datetime) -> int:
        await self.conn.execute(
            update(oauth_codes)
            .where(
                oauth_codes.c.account_id == account_id,
                oauth_codes.c.used_at.is_(None),
                oauth_codes.c.expires_at > now,
            )
            .values(expires_at=now)
        )
        return await self._count(
            update(oauth_tokens)
            .where(oauth_tokens.c.account_id == account_id, oauth_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def revoke_from_code(self, code_hash: str, now: datetime) -> int:
        families = select(oauth_tokens.c.family_id).where(oauth_tokens.c.code_hash == code_hash)
        return await self._count(
            update(oauth_tokens)
            .where(oauth_tokens.c.family_id.in_(families), oauth_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def record_sign_in(self, session_id: str, facts: SignInFacts) -> None:
        await self.conn.execute(
            delete(session_auths).where(session_auths.c.session_id == session_id)
        )
        await self.conn.execute(
            insert(session_auths).values(session_id=session_id, **_facts_columns(facts))
        )

    async def sign_in_of(self, session_id: str) -> SignInFacts | None:
        row = await self._one(select(session_auths).where(session_auths.c.session_id == session_id))
        return _facts(row) if row else None

    async def insert_return(self, back: SignInReturn) -> None:
        await self.conn.execute(
            delete(sign_in_returns).where(
                sign_in_returns.c.expires_at < back.created_at - KEEP_EXPIRED
            )
        )
        await self.conn.execute(
            insert(sign_in_returns).values(
                handle_hash=back.handle_hash,
                kind=back.kind,
                target=back.target,
                require_code=back.require_code,
                created_at=back.created_at,
                expires_at=back.expires_at,
            )
        )

    async def sign_in_return(self, handle_hash: str) -> SignInReturn | None:
        row = await self._one(
            select(sign_in_returns).where(sign_in_returns.c.handle_hash == handle_hash)
        )
        if row is None:
            return None
        return SignInReturn(
            handle_hash=row["handle_hash"],
            kind=row["kind"],
            target=row["target"],
            require_code=bool(row["require_code"]),
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            used_at=row["used_at"],
        )

    async def use_return(self, handle_hash: str, now: datetime) -> bool:
        statement = (
            update(sign_in_returns)
            .where(
                sign_in_returns.c.handle_hash == handle_hash, sign_in_returns.c.used_at.is_(None)
            )
            .values(used_at=now)
        )
        return await self._count(statement) == 1
