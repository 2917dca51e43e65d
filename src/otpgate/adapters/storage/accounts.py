"""The ``Accounts`` port on SQL: profiles and the per-account code-failure streak."""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from otpgate.adapters.storage import rows
from otpgate.adapters.storage.base import Repository
from otpgate.adapters.storage.models import accounts
from otpgate.domain.accounts import Account
from otpgate.domain.errors import Conflict
from otpgate.services.storage import AccountChanges


class SqlAccounts(Repository):
    async def get(self, account_id: str) -> Account | None:
        row = await self._one(select(accounts).where(accounts.c.id == account_id))
        return rows.account(row) if row else None

    async def get_by_email(self, email: str) -> Account | None:
        row = await self._one(select(accounts).where(accounts.c.email == email))
        return rows.account(row) if row else None

    async def insert(self, account: Account) -> None:
        """Store a new account; a taken email becomes ``Conflict`` (as in ``update``)."""
        try:
            await self.conn.execute(
                insert(accounts).values(
                    id=account.id,
                    name=account.name,
                    email=account.email,
                    phone=account.phone,
                    password_hash=account.password_hash,
                    phone_verified=account.phone_verified,
                    email_verified=account.email_verified,
                    created_at=account.created_at,
                    code_fail_streak=0,
                    code_lockouts=0,
                    language=account.language,
                )
            )
        except IntegrityError as exc:
            raise Conflict("That email address can't be used.") from exc

    async def update(self, account_id: str, changes: AccountChanges) -> None:
        """Set profile columns; a taken email becomes ``Conflict`` (the unique index decides)."""
        try:
            await self.conn.execute(
                update(accounts).where(accounts.c.id == account_id).values(**changes)
            )
        except IntegrityError as exc:
            raise Conflict("That email address can't be used.") from exc

    async def find_by_phone(self, phone: str) -> list[Account]:
        result = await self.conn.execute(
            select(accounts).where(accounts.c.phone == phone).order_by(accounts.c.created_at)
        )
        return [rows.account(row) for row in result.mappings()]

    async def reset_streak(self, account_id: str) -> None:
        await self.conn.execute(
            update(accounts)
            .where(accounts.c.id == account_id)
            .values(code_fail_streak=0, code_lockouts=0, code_locked_until=None)
        )
