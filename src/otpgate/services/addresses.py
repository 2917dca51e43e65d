"""Your addresses: where orders ship. Adding, removing, moving or re-defaulting takes a code.

``AddressService`` asks for changes; ``AddAddress``, ``UpdateAddress`` and ``DeleteAddress``
say and apply them once a code approves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from otpgate.domain.actions import ActionType
from otpgate.domain.addresses import (
    MAX_ADDRESSES,
    Address,
    AddressFields,
    changed_fields,
    describe_change,
    describe_new,
    is_significant,
    validate_address,
)
from otpgate.domain.challenges import Challenge
from otpgate.domain.errors import Conflict, InvalidInput, NotFound
from otpgate.domain.text import quote
from otpgate.domain.tokens import new_id
from otpgate.services.actions import Approving, ensure_applied
from otpgate.services.approvals import AddressRemoved, AddressSaved, Approval
from otpgate.services.deps import Deps
from otpgate.services.ports import RequestContext
from otpgate.services.principal import Customer
from otpgate.services.stepup import StepUpService
from otpgate.services.storage import UnitOfWork


class AddressNotFound(NotFound):
    code = "address_not_found"
    title = "No such address"


class AddressService:
    def __init__(self, deps: Deps, stepup: StepUpService, *, strict: bool = False) -> None:
        self.deps = deps
        self.stepup = stepup
        self.strict = strict

    async def list(self, customer: Customer) -> Sequence[Address]:
        async with self.deps.store.transaction() as uow:
            return await uow.wallet.list_addresses(customer.account.id)

    async def add(
        self,
        customer: Customer,
        ctx: RequestContext,
        values: Mapping[str, Any],
        is_default: bool,
    ) -> Challenge:
        fields = validate_address(values)
        async with self.deps.store.transaction() as uow:
            existing = await uow.wallet.list_addresses(customer.account.id)
        if len(existing) >= MAX_ADDRESSES:
            raise InvalidInput(
                "address", "You can keep at most %(count)d addresses.", count=MAX_ADDRESSES
            )
        # The first address is the default whatever was asked: orders need somewhere to go.
        payload = {
            "fields": fields.as_dict(),
            "is_default": is_default or not existing,
            "first": not existing,
        }
        return await self.stepup.request(customer, ActionType.ADD_ADDRESS, payload, ctx)

    async def update(
        self,
        customer: Customer,
        ctx: RequestContext,
        address_id: str,
        changes: Mapping[str, Any],
        is_default: bool | None,
    ) -> Address | Challenge:
        """Cosmetic edits apply at once (the address); anything else waits for a code."""
        account_id = customer.account.id
        address = await self._get(account_id, address_id)
        merged = validate_address({**address.fields.as_dict(), **changes})
        make_default = address.is_default if is_default is None else is_default
        changed = changed_fields(address.fields, merged)
        if make_default != address.is_default:
            changed.add("is_default")
        if not changed:
            return address
        if not is_significant(changed, strict=self.strict):
            async with self.deps.store.transaction() as uow:
                now = self.deps.clock.now()
                if not await uow.wallet.update_address(
                    account_id, address.id, address.version, merged, make_default, now
                ):
                    raise Conflict("The address changed meanwhile. Reload and try again.")
                updated = await uow.wallet.get_address(account_id, address.id)
            assert updated is not None
            return updated
        payload = {
            "id": address.id,
            "version": address.version,
            "fields": merged.as_dict(),
            "is_default": make_default,
            # What it was, so the words name every changed value (S24).
            "before": address.fields.as_dict(),
            "was_default": address.is_default,
        }
        return await self.stepup.request(customer, ActionType.UPDATE_ADDRESS, payload, ctx)

    async def delete(self, customer: Customer, ctx: RequestContext, address_id: str) -> Challenge:
        address = await self._get(customer.account.id, address_id)
        payload = {"id": address.id, "version": address.version, "line": address.fields.one_line}
        return await self.stepup.request(customer, ActionType.DELETE_ADDRESS, payload, ctx)

    async def _get(self, account_id: str, address_id: str) -> Address:
        async with self.deps.store.transaction() as uow:
            address = await uow.wallet.get_address(account_id, address_id)
        if address is None:
            raise AddressNotFound("No address with that id in your account.")
        return address


# -- the handlers ------------------------------------------------------------------------------


class AddAddress:
    def describe(self, payload: Mapping[str, Any]) -> str:
        summary = f"Ship to {describe_new(AddressFields(**payload['fields']))}"
        if payload["is_default"] and not payload["first"]:
            summary += " (your new default)"
        return summary

    async def apply(
        self, uow: UnitOfWork, approving: Approving, payload: Mapping[str, Any]
    ) -> Approval:
        account_id, address_id = approving.account_id, new_id("adr")
        fields = AddressFields(**payload["fields"])
        await uow.wallet.insert_address(
            account_id, address_id, fields, payload["is_default"], approving.now
        )
        address = await uow.wallet.get_address(account_id, address_id)
        assert address is not None
        return Approval(result=AddressSaved(address))


class UpdateAddress:
    def describe(self, payload: Mapping[str, Any]) -> str:
        before = AddressFields(**payload["before"])
        after = AddressFields(**payload["fields"])
        make_default = payload["is_default"]
        changed = changed_fields(before, after)
        place = quote(before.one_line)
        if not changed:
            if make_default:
                return f"Make {place} your default address"
            return f"Stop using {place} as your default address"
        # Name every changed value: the code approves exactly what the text shows (S24).
        summary = f"Change the address {place}: " + describe_change(before, after, changed)
        if make_default != payload["was_default"]:
            summary += ", and make it your default" if make_default else ", not default"
        return summary

    async def apply(
        self, uow: UnitOfWork, approving: Approving, payload: Mapping[str, Any]
    ) -> Approval:
        account_id, address_id = approving.account_id, payload["id"]
        applied = await uow.wallet.update_address(
            account_id,
            address_id,
            payload["version"],
            AddressFields(**payload["fields"]),
            payload["is_default"],
            approving.now,
        )
        await _ensure_applied(uow, applied, account_id, address_id)
        address = await uow.wallet.get_address(account_id, address_id)
        assert address is not None
        return Approval(result=AddressSaved(address))


class DeleteAddress:
    def describe(self, payload: Mapping[str, Any]) -> str:
        return f"Remove the address {quote(payload['line'])}"

    async def apply(
        self, uow: UnitOfWork, approving: Approving, payload: Mapping[str, Any]
    ) -> Approval:
        account_id, address_id = approving.account_id, payload["id"]
        applied = await uow.wallet.delete_address(account_id, address_id, payload["version"])
        await _ensure_applied(uow, applied, account_id, address_id)
        return Approval(result=AddressRemoved(address_id))


async def _ensure_applied(uow: UnitOfWork, applied: bool, account_id: str, address_id: str) -> None:
    await ensure_applied(
        applied,
        lambda: uow.wallet.get_address(account_id, address_id),
        gone=AddressNotFound("That address no longer exists; nothing was changed."),
        moved="That address changed after this code was sent; nothing was changed.",
    )
