"""Your addresses: where orders ship. Adding, removing, moving or re-defaulting takes a code."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from otpgate.domain.actions import ActionType, PendingAction
from otpgate.domain.addresses import (
    MAX_ADDRESSES,
    Address,
    AddressFields,
    changed_fields,
    describe_change,
    is_significant,
    validate_address,
)
from otpgate.domain.challenges import Challenge
from otpgate.domain.errors import Conflict, InvalidInput, NotFound
from otpgate.domain.tokens import new_id
from otpgate.services.challenges import Approval, VerifyRequest
from otpgate.services.deps import Deps
from otpgate.services.ports import RequestContext, StepUpTransaction
from otpgate.services.sessions import Authenticated
from otpgate.services.stepup import StepUpService


class AddressNotFound(NotFound):
    code = "address_not_found"
    title = "No such address"


class AddressService:
    def __init__(self, deps: Deps, stepup: StepUpService, *, strict: bool = False) -> None:
        self.deps = deps
        self.stepup = stepup
        self.strict = strict
        stepup.on_apply(ActionType.ADD_ADDRESS, self._apply_add)
        stepup.on_apply(ActionType.UPDATE_ADDRESS, self._apply_update)
        stepup.on_apply(ActionType.DELETE_ADDRESS, self._apply_delete)

    async def list(self, auth: Authenticated) -> Sequence[Address]:
        async with self.deps.store.transaction() as tx:
            return await tx.list_addresses(auth.account.id)

    async def add(
        self, auth: Authenticated, ctx: RequestContext, values: Mapping[str, Any], is_default: bool
    ) -> Challenge:
        fields = validate_address(values)
        async with self.deps.store.transaction() as tx:
            existing = await tx.list_addresses(auth.account.id)
        if len(existing) >= MAX_ADDRESSES:
            raise InvalidInput("address", f"You can keep at most {MAX_ADDRESSES} addresses.")
        # The first address is the default whatever was asked: orders need somewhere to go.
        payload = {"fields": fields.as_dict(), "is_default": is_default or not existing}
        summary = f"Ship to {fields.full_line}"
        if payload["is_default"] and existing:
            summary += " (your new default)"
        action = PendingAction(ActionType.ADD_ADDRESS, payload, summary)
        return await self.stepup.request(auth, action, ctx)

    async def update(
        self,
        auth: Authenticated,
        ctx: RequestContext,
        address_id: str,
        changes: Mapping[str, Any],
        is_default: bool | None,
    ) -> Address | Challenge:
        """Cosmetic edits apply at once (the address); anything else waits for a code."""
        address = await self._get(auth.account.id, address_id)
        merged = validate_address({**address.fields.as_dict(), **changes})
        make_default = address.is_default if is_default is None else is_default
        changed = changed_fields(address.fields, merged)
        if make_default != address.is_default:
            changed.add("is_default")
        if not changed:
            return address
        if not is_significant(changed, strict=self.strict):
            async with self.deps.store.transaction() as tx:
                now = self.deps.clock.now()
                if not await tx.update_address(
                    auth.account.id, address.id, address.version, merged, make_default, now
                ):
                    raise Conflict("The address changed meanwhile. Reload and try again.")
                updated = await tx.get_address(auth.account.id, address.id)
            assert updated is not None
            return updated
        if changed == {"is_default"}:
            summary = f"Make {address.fields.one_line} your default address"
            if not make_default:
                summary = f"Stop using {address.fields.one_line} as your default address"
        else:
            # Name every changed value: the code approves exactly what the text shows (S24).
            summary = f"Change the address {address.fields.one_line}: " + describe_change(
                address.fields, merged, changed
            )
            if "is_default" in changed:
                summary += ", and make it your default" if make_default else ", not default"
        payload = {
            "id": address.id,
            "version": address.version,
            "fields": merged.as_dict(),
            "is_default": make_default,
        }
        action = PendingAction(ActionType.UPDATE_ADDRESS, payload, summary)
        return await self.stepup.request(auth, action, ctx)

    async def delete(self, auth: Authenticated, ctx: RequestContext, address_id: str) -> Challenge:
        address = await self._get(auth.account.id, address_id)
        payload = {"id": address.id, "version": address.version}
        action = PendingAction(
            ActionType.DELETE_ADDRESS,
            payload,
            f"Remove the address {address.fields.one_line}",
        )
        return await self.stepup.request(auth, action, ctx)

    async def _get(self, account_id: str, address_id: str) -> Address:
        async with self.deps.store.transaction() as tx:
            address = await tx.get_address(account_id, address_id)
        if address is None:
            raise AddressNotFound("No address with that id in your account.")
        return address

    # -- applying approved changes -------------------------------------------------------------

    async def _apply_add(
        self,
        tx: StepUpTransaction,
        challenge: Challenge,
        payload: dict[str, Any],
        now: datetime,
        request: VerifyRequest,
    ) -> Approval:
        assert challenge.account_id is not None
        address_id = new_id("adr")
        fields = AddressFields(**payload["fields"])
        await tx.insert_address(
            challenge.account_id, address_id, fields, payload["is_default"], now
        )
        return Approval(result=await tx.get_address(challenge.account_id, address_id))

    async def _apply_update(
        self,
        tx: StepUpTransaction,
        challenge: Challenge,
        payload: dict[str, Any],
        now: datetime,
        request: VerifyRequest,
    ) -> Approval:
        assert challenge.account_id is not None
        fields = AddressFields(**payload["fields"])
        if not await tx.update_address(
            challenge.account_id,
            payload["id"],
            payload["version"],
            fields,
            payload["is_default"],
            now,
        ):
            await self._explain(tx, challenge.account_id, payload["id"])
        return Approval(result=await tx.get_address(challenge.account_id, payload["id"]))

    async def _apply_delete(
        self,
        tx: StepUpTransaction,
        challenge: Challenge,
        payload: dict[str, Any],
        now: datetime,
        request: VerifyRequest,
    ) -> Approval:
        assert challenge.account_id is not None
        if not await tx.delete_address(challenge.account_id, payload["id"], payload["version"]):
            await self._explain(tx, challenge.account_id, payload["id"])
        return Approval(result={"id": payload["id"], "deleted": True})

    async def _explain(self, tx: StepUpTransaction, account_id: str, address_id: str) -> None:
        if await tx.get_address(account_id, address_id) is None:
            raise AddressNotFound("That address no longer exists; nothing was changed.")
        raise Conflict("That address changed after this code was sent; nothing was changed.")
