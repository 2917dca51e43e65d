"""The ``Store`` port on SQLAlchemy Core: a unit of work per transaction, one connection each."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from otpgate.adapters.storage.accounts import SqlAccounts
from otpgate.adapters.storage.api_keys import SqlApiKeys, SqlIdempotencyKeys, SqlNumberPauses
from otpgate.adapters.storage.audit import SqlAudit
from otpgate.adapters.storage.challenges import SqlChallenges
from otpgate.adapters.storage.email import SqlEmailLinks, SqlRecoveries
from otpgate.adapters.storage.factors import SqlFactors, SqlPasskeys
from otpgate.adapters.storage.messages import SqlMessages
from otpgate.adapters.storage.oauth import SqlOAuth
from otpgate.adapters.storage.sessions import SqlSessions
from otpgate.adapters.storage.signing_keys import SqlSigningKeys
from otpgate.adapters.storage.wallet import SqlWallet
from otpgate.domain.errors import OtpgateError


class SqlUnitOfWork:
    """Implements ``services.storage.UnitOfWork`` on one open transaction."""

    def __init__(self, conn: AsyncConnection, webhooks: bool = False, driver: Any = None) -> None:
        self.conn = conn
        self.accounts = SqlAccounts(conn)
        self.challenges = SqlChallenges(conn, driver)
        self.sessions = SqlSessions(conn, driver)
        self.messages = SqlMessages(conn)
        self.audit = SqlAudit(conn, webhooks, buffered=True, driver=driver)
        self.wallet = SqlWallet(conn)
        self.api_keys = SqlApiKeys(conn)
        self.idempotency = SqlIdempotencyKeys(conn)
        self.number_pauses = SqlNumberPauses(conn)
        self.signing_keys = SqlSigningKeys(conn)
        self.factors = SqlFactors(conn)
        self.passkeys = SqlPasskeys(conn)
        self.oauth = SqlOAuth(conn)
        self.email_links = SqlEmailLinks(conn)
        self.recoveries = SqlRecoveries(conn)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A nested transaction: what runs inside is undone alone if it raises (the audit
        events it added included)."""
        await self.audit.flush()
        nested = await self.conn.begin_nested()
        try:
            yield
            await self.audit.flush()
        except BaseException:
            self.audit.pending.clear()
            await nested.rollback()
            raise
        else:
            await nested.commit()


class SqlStore:
    """``webhooks``: every audit event also goes to the event webhooks' outbox."""

    def __init__(self, engine: AsyncEngine, *, webhooks: bool = False) -> None:
        self.engine = engine
        self.webhooks = webhooks

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlUnitOfWork]:
        async with self.engine.begin() as conn:
            uow = SqlUnitOfWork(conn, self.webhooks)
            yield uow
            await uow.audit.flush()

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[SqlUnitOfWork]:
        if self.engine.dialect.name != "postgresql" or self.webhooks:
            # SQLite in process: a transaction costs no round trip, and BEGIN IMMEDIATE is
            # what keeps its writers in line. With event webhooks an event is two rows (the
            # trail and the webhooks' outbox) that must land together: a transaction.
            async with self.transaction() as uow:
                yield uow
            return
        async with self.engine.connect() as conn:
            autocommitting = await conn.execution_options(isolation_level="AUTOCOMMIT")
            # With no transaction to keep in step, the hottest statements (the claim, the
            # customer lookup, the events) may go to asyncpg itself.
            raw = await autocommitting.get_raw_connection()
            uow = SqlUnitOfWork(autocommitting, self.webhooks, raw.driver_connection)
            try:
                yield uow
                await uow.audit.flush()
            except OtpgateError:
                raise  # a domain answer: every statement before it finished cleanly
            except BaseException as exc:
                # SQLAlchemy never saw what asyncpg raised, nor a cancellation (a client gone)
                # mid-statement: unless told, it would put the connection back in the pool
                # with asyncpg's protocol still mid-operation ("another operation is in
                # progress" for the next request), or reset it against a server that went
                # away. Invalidated, it is terminated and replaced.
                await asyncio.shield(
                    autocommitting.invalidate(exc if isinstance(exc, Exception) else None)
                )
                raise

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - readiness reports any failure as "not ready"
            return False
        return True

    async def aclose(self) -> None:
        await self.engine.dispose()
