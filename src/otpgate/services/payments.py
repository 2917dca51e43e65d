"""Your payments: cards. Every change takes a code; the number is never kept."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from otpgate.domain.actions import ActionType, PendingAction
from otpgate.domain.cards import PaymentMethod, check_expiry, read_card
from otpgate.domain.challenges import Challenge
from otpgate.domain.errors import Conflict, InvalidInput, NotFound
from otpgate.domain.tokens import new_id
from otpgate.services.challenges import Approval, VerifyRequest
from otpgate.services.deps import Deps
from otpgate.services.ports import RequestContext, StepUpTransaction
from otpgate.services.sessions import Authenticated
from otpgate.services.stepup import StepUpService

MAX_CARDS = 20


class PaymentMethodNotFound(NotFound):
    code = "payment_method_not_found"
    title = "No such payment method"


class PaymentService:
    def __init__(self, deps: Deps, stepup: StepUpService) -> None:
        self.deps = deps
        self.stepup = stepup
        stepup.on_apply(ActionType.ADD_PAYMENT_METHOD, self._apply_add)
        stepup.on_apply(ActionType.UPDATE_PAYMENT_METHOD, self._apply_update)
        stepup.on_apply(ActionType.DELETE_PAYMENT_METHOD, self._apply_delete)

    async def list(self, auth: Authenticated) -> Sequence[PaymentMethod]:
        async with self.deps.store.transaction() as tx:
            return await tx.list_cards(auth.account.id)

    async def add(
        self,
        auth: Authenticated,
        ctx: RequestContext,
        *,
        number: str,
        exp_month: int,
        exp_year: int,
        name_on_card: str,
        billing_address_id: str | None,
        is_default: bool,
    ) -> Challenge:
        deps = self.deps
        card = read_card(
            number=number,
            exp_month=exp_month,
            exp_year=exp_year,
            name_on_card=name_on_card,
            key=deps.config.code_key,
            now=deps.clock.now(),
        )
        del number  # from here on only brand, last four and a keyed fingerprint exist
        async with deps.store.transaction() as tx:
            existing = await tx.list_cards(auth.account.id)
            await self._check_billing(tx, auth.account.id, billing_address_id)
        if any(other.fingerprint == card.fingerprint for other in existing):
            raise Conflict("This card is already in your account.")
        if len(existing) >= MAX_CARDS:
            raise InvalidInput("number", f"You can keep at most {MAX_CARDS} cards.")
        payload = {
            "brand": card.brand,
            "last4": card.last4,
            "exp_month": card.exp_month,
            "exp_year": card.exp_year,
            "name_on_card": card.name_on_card,
            "fingerprint": card.fingerprint,
            "billing_address_id": billing_address_id,
            "is_default": is_default or not existing,
        }
        action = PendingAction(ActionType.ADD_PAYMENT_METHOD, payload, f"Add {card.label}")
        return await self.stepup.request(auth, action, ctx)

    async def update(
        self,
        auth: Authenticated,
        ctx: RequestContext,
        card_id: str,
        *,
        exp_month: int | None,
        exp_year: int | None,
        billing_address_id: str | None,
        clear_billing_address: bool,
        is_default: bool | None,
    ) -> Challenge:
        card = await self._get(auth.account.id, card_id)
        values: dict[str, Any] = {}
        parts: list[str] = []
        if exp_month is not None or exp_year is not None:
            month, year = check_expiry(
                exp_month if exp_month is not None else card.exp_month,
                exp_year if exp_year is not None else card.exp_year,
                self.deps.clock.now(),
            )
            if (month, year) != (card.exp_month, card.exp_year):
                values.update(exp_month=month, exp_year=year)
                parts.append(f"expiry {month:02d}/{year % 100:02d}")
        if billing_address_id is not None or clear_billing_address:
            async with self.deps.store.transaction() as tx:
                await self._check_billing(tx, auth.account.id, billing_address_id)
            if billing_address_id != card.billing_address_id:
                values["billing_address_id"] = billing_address_id
                parts.append("billing address")
        if is_default is not None and is_default != card.is_default:
            values["is_default"] = is_default
            parts.append("default card" if is_default else "not the default card")
        if not values:
            raise InvalidInput("body", "Nothing would change for this card.")
        payload = {"id": card.id, "version": card.version, "values": values}
        summary = f"Update {card.label}: " + ", ".join(parts)
        action = PendingAction(ActionType.UPDATE_PAYMENT_METHOD, payload, summary)
        return await self.stepup.request(auth, action, ctx)

    async def delete(self, auth: Authenticated, ctx: RequestContext, card_id: str) -> Challenge:
        card = await self._get(auth.account.id, card_id)
        payload = {"id": card.id, "version": card.version}
        action = PendingAction(ActionType.DELETE_PAYMENT_METHOD, payload, f"Remove {card.label}")
        return await self.stepup.request(auth, action, ctx)

    async def _get(self, account_id: str, card_id: str) -> PaymentMethod:
        async with self.deps.store.transaction() as tx:
            card = await tx.get_card(account_id, card_id)
        if card is None:
            raise PaymentMethodNotFound("No payment method with that id in your account.")
        return card

    @staticmethod
    async def _check_billing(
        tx: StepUpTransaction, account_id: str, billing_address_id: str | None
    ) -> None:
        if (
            billing_address_id is not None
            and await tx.get_address(account_id, billing_address_id) is None
        ):
            raise InvalidInput(
                "billing_address_id", "Choose a billing address from your addresses."
            )

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
        billing = payload["billing_address_id"]
        if billing is not None and await tx.get_address(challenge.account_id, billing) is None:
            raise Conflict("The billing address was removed meanwhile; nothing was changed.")
        card = PaymentMethod(
            id=new_id("pm"),
            account_id=challenge.account_id,
            brand=payload["brand"],
            last4=payload["last4"],
            exp_month=payload["exp_month"],
            exp_year=payload["exp_year"],
            name_on_card=payload["name_on_card"],
            billing_address_id=billing,
            fingerprint=payload["fingerprint"],
            is_default=payload["is_default"],
            version=1,
        )
        await tx.insert_card(card, now)
        return Approval(result=await tx.get_card(challenge.account_id, card.id))

    async def _apply_update(
        self,
        tx: StepUpTransaction,
        challenge: Challenge,
        payload: dict[str, Any],
        now: datetime,
        request: VerifyRequest,
    ) -> Approval:
        assert challenge.account_id is not None
        values = payload["values"]
        billing = values.get("billing_address_id")
        if billing is not None and await tx.get_address(challenge.account_id, billing) is None:
            raise Conflict("The billing address was removed meanwhile; nothing was changed.")
        if not await tx.update_card(
            challenge.account_id, payload["id"], payload["version"], values, now
        ):
            await self._explain(tx, challenge.account_id, payload["id"])
        return Approval(result=await tx.get_card(challenge.account_id, payload["id"]))

    async def _apply_delete(
        self,
        tx: StepUpTransaction,
        challenge: Challenge,
        payload: dict[str, Any],
        now: datetime,
        request: VerifyRequest,
    ) -> Approval:
        assert challenge.account_id is not None
        if not await tx.delete_card(challenge.account_id, payload["id"], payload["version"]):
            await self._explain(tx, challenge.account_id, payload["id"])
        return Approval(result={"id": payload["id"], "deleted": True})

    async def _explain(self, tx: StepUpTransaction, account_id: str, card_id: str) -> None:
        if await tx.get_card(account_id, card_id) is None:
            raise PaymentMethodNotFound("That card is no longer in your account; nothing changed.")
        raise Conflict("That card changed after this code was sent; nothing was changed.")
