"""Storage for what step-up protects: profile fields, addresses, cards, sessions, devices."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from otpgate.adapters.storage.models import (
    accounts,
    addresses,
    challenges,
    devices,
    payment_methods,
    sessions,
)
from otpgate.domain.accounts import Device, Session
from otpgate.domain.addresses import Address, AddressFields
from otpgate.domain.cards import PaymentMethod
from otpgate.domain.challenges import Challenge, Status
from otpgate.domain.errors import Conflict

ADDRESS_FIELDS = tuple(AddressFields.__dataclass_fields__)


def _address(row: RowMapping) -> Address:
    return Address(
        id=row["id"],
        account_id=row["account_id"],
        fields=AddressFields(**{name: row[name] for name in ADDRESS_FIELDS}),
        is_default=bool(row["is_default"]),
        version=row["version"],
    )


def _card(row: RowMapping) -> PaymentMethod:
    return PaymentMethod(
        id=row["id"],
        account_id=row["account_id"],
        brand=row["brand"],
        last4=row["last4"],
        exp_month=row["exp_month"],
        exp_year=row["exp_year"],
        name_on_card=row["name_on_card"],
        billing_address_id=row["billing_address_id"],
        fingerprint=row["fingerprint"],
        is_default=bool(row["is_default"]),
        version=row["version"],
    )


class AccountDataMixin:
    """Mixed into ``SqlTransaction``; ``conn`` is its open connection."""

    conn: AsyncConnection

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A nested transaction: what runs inside is undone alone if it raises."""
        nested = await self.conn.begin_nested()
        try:
            yield
        except BaseException:
            await nested.rollback()
            raise
        else:
            await nested.commit()

    # -- profile ---------------------------------------------------------------------------

    async def update_account(self, account_id: str, values: dict[str, Any]) -> None:
        """Set profile fields; a taken email becomes ``Conflict`` (the unique index decides)."""
        try:
            await self.conn.execute(
                update(accounts).where(accounts.c.id == account_id).values(**values)
            )
        except IntegrityError as exc:
            raise Conflict("That email address can't be used.") from exc

    async def revoke_sessions(self, account_id: str, now: datetime, keep: str | None = None) -> int:
        statement = update(sessions).where(
            sessions.c.account_id == account_id, sessions.c.revoked_at.is_(None)
        )
        if keep is not None:
            statement = statement.where(sessions.c.id != keep)
        result = await self.conn.execute(statement.values(revoked_at=now))
        return int(result.rowcount)

    async def revoke_devices(self, account_id: str, now: datetime) -> int:
        result = await self.conn.execute(
            update(devices)
            .where(devices.c.account_id == account_id, devices.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return int(result.rowcount)

    async def revoke_device(self, account_id: str, device_id: str, now: datetime) -> bool:
        result = await self.conn.execute(
            update(devices)
            .where(
                devices.c.id == device_id,
                devices.c.account_id == account_id,
                devices.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        return result.rowcount == 1

    async def revoke_account_session(self, account_id: str, session_id: str, now: datetime) -> bool:
        result = await self.conn.execute(
            update(sessions)
            .where(
                sessions.c.id == session_id,
                sessions.c.account_id == account_id,
                sessions.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        return result.rowcount == 1

    async def list_sessions(self, account_id: str, now: datetime) -> Sequence[Session]:
        result = await self.conn.execute(
            select(sessions)
            .where(
                sessions.c.account_id == account_id,
                sessions.c.revoked_at.is_(None),
                sessions.c.expires_at > now,
            )
            .order_by(sessions.c.last_seen_at.desc())
            .limit(100)
        )
        return [
            Session(
                id=r["id"],
                account_id=r["account_id"],
                created_at=r["created_at"],
                last_seen_at=r["last_seen_at"],
                expires_at=r["expires_at"],
                ip=r["ip"],
                user_agent=r["user_agent"],
                revoked_at=r["revoked_at"],
            )
            for r in result.mappings()
        ]

    async def list_devices(self, account_id: str, now: datetime) -> Sequence[Device]:
        result = await self.conn.execute(
            select(devices)
            .where(
                devices.c.account_id == account_id,
                devices.c.revoked_at.is_(None),
                devices.c.expires_at > now,
            )
            .order_by(devices.c.created_at.desc())
            .limit(100)
        )
        return [
            Device(
                id=r["id"],
                account_id=r["account_id"],
                created_at=r["created_at"],
                expires_at=r["expires_at"],
                user_agent=r["user_agent"],
                last_used_at=r["last_used_at"],
                revoked_at=r["revoked_at"],
            )
            for r in result.mappings()
        ]

    async def expire_overdue(self, account_id: str, now: datetime) -> Sequence[Challenge]:
        """Mark the account's pending challenges past their expiry as expired; return them."""
        from otpgate.adapters.storage.repositories import _challenge, scrubbed_payload

        result = await self.conn.execute(
            update(challenges)
            .where(
                challenges.c.account_id == account_id,
                challenges.c.status == Status.PENDING.value,
                challenges.c.expires_at <= now,
            )
            .values(status=Status.EXPIRED.value, ended_at=now, action_payload=scrubbed_payload())
            .returning(*challenges.c)
        )
        return [_challenge(row) for row in result.mappings()]

    # -- addresses -------------------------------------------------------------------------

    async def list_addresses(self, account_id: str) -> Sequence[Address]:
        result = await self.conn.execute(
            select(addresses)
            .where(addresses.c.account_id == account_id)
            .order_by(addresses.c.is_default.desc(), addresses.c.created_at)
        )
        return [_address(row) for row in result.mappings()]

    async def get_address(self, account_id: str, address_id: str) -> Address | None:
        result = await self.conn.execute(
            select(addresses).where(
                addresses.c.id == address_id, addresses.c.account_id == account_id
            )
        )
        row = result.mappings().first()
        return _address(row) if row else None

    async def insert_address(
        self,
        account_id: str,
        address_id: str,
        fields: AddressFields,
        is_default: bool,
        now: datetime,
    ) -> None:
        if is_default:
            await self._clear_default(addresses, account_id)
        await self.conn.execute(
            insert(addresses).values(
                id=address_id,
                account_id=account_id,
                is_default=is_default,
                version=1,
                created_at=now,
                updated_at=now,
                **fields.as_dict(),
            )
        )

    async def update_address(
        self,
        account_id: str,
        address_id: str,
        version: int,
        fields: AddressFields,
        is_default: bool,
        now: datetime,
    ) -> bool:
        """Apply ``fields`` if the address is still at ``version``; False when it moved on."""
        if is_default:
            await self._clear_default(addresses, account_id, keep=address_id)
        result = await self.conn.execute(
            update(addresses)
            .where(
                addresses.c.id == address_id,
                addresses.c.account_id == account_id,
                addresses.c.version == version,
            )
            .values(
                is_default=is_default,
                version=addresses.c.version + 1,
                updated_at=now,
                **fields.as_dict(),
            )
        )
        return result.rowcount == 1

    async def delete_address(self, account_id: str, address_id: str, version: int) -> bool:
        result = await self.conn.execute(
            delete(addresses).where(
                addresses.c.id == address_id,
                addresses.c.account_id == account_id,
                addresses.c.version == version,
            )
        )
        return result.rowcount == 1

    async def list_cards(self, account_id: str) -> Sequence[PaymentMethod]:
        result = await self.conn.execute(
            select(payment_methods)
            .where(payment_methods.c.account_id == account_id)
            .order_by(payment_methods.c.is_default.desc(), payment_methods.c.created_at)
        )
        return [_card(row) for row in result.mappings()]

    async def get_card(self, account_id: str, card_id: str) -> PaymentMethod | None:
        result = await self.conn.execute(
            select(payment_methods).where(
                payment_methods.c.id == card_id, payment_methods.c.account_id == account_id
            )
        )
        row = result.mappings().first()
        return _card(row) if row else None

    async def insert_card(self, card: PaymentMethod, now: datetime) -> None:
        if card.is_default:
            await self._clear_default(payment_methods, card.account_id)
        try:
            await self.conn.execute(
                insert(payment_methods).values(
                    id=card.id,
                    account_id=card.account_id,
                    brand=card.brand,
                    last4=card.last4,
                    exp_month=card.exp_month,
                    exp_year=card.exp_year,
                    name_on_card=card.name_on_card,
                    billing_address_id=card.billing_address_id,
                    fingerprint=card.fingerprint,
                    is_default=card.is_default,
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
            )
        except IntegrityError as exc:
            raise Conflict("This card is already in your account.") from exc

    async def update_card(
        self, account_id: str, card_id: str, version: int, values: dict[str, Any], now: datetime
    ) -> bool:
        if values.get("is_default"):
            await self._clear_default(payment_methods, account_id, keep=card_id)
        result = await self.conn.execute(
            update(payment_methods)
            .where(
                payment_methods.c.id == card_id,
                payment_methods.c.account_id == account_id,
                payment_methods.c.version == version,
            )
            .values(version=payment_methods.c.version + 1, updated_at=now, **values)
        )
        return result.rowcount == 1

    async def delete_card(self, account_id: str, card_id: str, version: int) -> bool:
        result = await self.conn.execute(
            delete(payment_methods).where(
                payment_methods.c.id == card_id,
                payment_methods.c.account_id == account_id,
                payment_methods.c.version == version,
            )
        )
        return result.rowcount == 1

    async def _clear_default(self, table: Any, account_id: str, keep: str | None = None) -> None:
        statement = update(table).where(table.c.account_id == account_id, table.c.is_default)
        if keep is not None:
            statement = statement.where(table.c.id != keep)
        # Not a version bump: losing the default flag does not make a pending edit stale.
        await self.conn.execute(statement.values(is_default=False))
