"""The ``Wallet`` port on SQL: shipping addresses and cards, versioned for step-up.

A pending change records the version it was made against; applying it is an UPDATE or
DELETE conditional on that version, so a change approved after the row moved on does nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from otpgate.adapters.storage import rows
from otpgate.adapters.storage.base import Repository
from otpgate.adapters.storage.models import addresses, payment_methods
from otpgate.domain.addresses import Address, AddressFields
from otpgate.domain.cards import PaymentMethod
from otpgate.domain.errors import Conflict
from otpgate.services.storage import CardChanges


class SqlWallet(Repository):
    # -- addresses -------------------------------------------------------------------------

    async def list_addresses(self, account_id: str) -> Sequence[Address]:
        result = await self.conn.execute(
            select(addresses)
            .where(addresses.c.account_id == account_id)
            .order_by(addresses.c.is_default.desc(), addresses.c.created_at)
        )
        return [rows.address(row) for row in result.mappings()]

    async def get_address(self, account_id: str, address_id: str) -> Address | None:
        row = await self._one(
            select(addresses).where(
                addresses.c.id == address_id, addresses.c.account_id == account_id
            )
        )
        return rows.address(row) if row else None

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
        applied = await self._versioned_update(
            addresses,
            account_id,
            address_id,
            version,
            {"is_default": is_default, "updated_at": now, **fields.as_dict()},
        )
        # Only an update that applied moves the default: a stale one changes nothing.
        if applied and is_default:
            await self._clear_default(addresses, account_id, keep=address_id)
        return applied

    async def delete_address(self, account_id: str, address_id: str, version: int) -> bool:
        return await self._versioned_delete(addresses, account_id, address_id, version)

    # -- cards -----------------------------------------------------------------------------

    async def list_cards(self, account_id: str) -> Sequence[PaymentMethod]:
        result = await self.conn.execute(
            select(payment_methods)
            .where(payment_methods.c.account_id == account_id)
            .order_by(payment_methods.c.is_default.desc(), payment_methods.c.created_at)
        )
        return [rows.card(row) for row in result.mappings()]

    async def get_card(self, account_id: str, card_id: str) -> PaymentMethod | None:
        row = await self._one(
            select(payment_methods).where(
                payment_methods.c.id == card_id, payment_methods.c.account_id == account_id
            )
        )
        return rows.card(row) if row else None

    async def insert_card(self, card: PaymentMethod, now: datetime) -> None:
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
        # After the insert: a refused card takes the default from no other.
        if card.is_default:
            await self._clear_default(payment_methods, card.account_id, keep=card.id)

    async def update_card(
        self, account_id: str, card_id: str, version: int, changes: CardChanges, now: datetime
    ) -> bool:
        applied = await self._versioned_update(
            payment_methods, account_id, card_id, version, {"updated_at": now, **changes}
        )
        if applied and changes.get("is_default"):
            await self._clear_default(payment_methods, account_id, keep=card_id)
        return applied

    async def delete_card(self, account_id: str, card_id: str, version: int) -> bool:
        return await self._versioned_delete(payment_methods, account_id, card_id, version)

    # -- shared ----------------------------------------------------------------------------

    async def _versioned_update(
        self, table: Table, account_id: str, row_id: str, version: int, values: dict[str, Any]
    ) -> bool:
        return (
            await self._count(
                update(table)
                .where(
                    table.c.id == row_id,
                    table.c.account_id == account_id,
                    table.c.version == version,
                )
                .values(version=table.c.version + 1, **values)
            )
            == 1
        )

    async def _versioned_delete(
        self, table: Table, account_id: str, row_id: str, version: int
    ) -> bool:
        return (
            await self._count(
                delete(table).where(
                    table.c.id == row_id,
                    table.c.account_id == account_id,
                    table.c.version == version,
                )
            )
            == 1
        )

    async def _clear_default(self, table: Table, account_id: str, keep: str | None = None) -> None:
        statement = update(table).where(table.c.account_id == account_id, table.c.is_default)
        if keep is not None:
            statement = statement.where(table.c.id != keep)
        # Not a version bump: losing the default flag does not make a pending edit stale.
        await self.conn.execute(statement.values(is_default=False))
