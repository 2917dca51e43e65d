"""Your payments: cards. Every change takes a code; the number is never kept.

``PaymentService`` asks for changes; ``AddCard``, ``UpdateCard`` and ``DeleteCard`` say and
apply them once a code approves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from otpgate.domain.actions import ActionType
from otpgate.domain.addresses import Address
from otpgate.domain.cards import PaymentMethod, check_expiry, read_card
from otpgate.domain.challenges import Challenge
from otpgate.domain.errors import Conflict, InvalidInput, NotFound
from otpgate.domain.text import quote
from otpgate.domain.tokens import new_id
from otpgate.services.actions import Approving, ensure_applied
from otpgate.services.approvals import Approval, CardRemoved, CardSaved
from otpgate.services.deps import Deps
from otpgate.services.ports import RequestContext
from otpgate.services.principal import Customer
from otpgate.services.stepup import StepUpService
from otpgate.services.storage import CardChanges, UnitOfWork

MAX_CARDS = 20


class PaymentMethodNotFound(NotFound):
    code = "payment_method_not_found"
    title = "No such payment method"


class PaymentService:
    def __init__(self, deps: Deps, stepup: StepUpService) -> None:
        self.deps = deps
        self.stepup = stepup

    async def list(self, customer: Customer) -> Sequence[PaymentMethod]:
        async with self.deps.store.transaction() as uow:
            return await uow.wallet.list_cards(customer.account.id)

    async def add(
        self,
        customer: Customer,
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
        account_id = customer.account.id
        card = read_card(
            number=number,
            exp_month=exp_month,
            exp_year=exp_year,
            name_on_card=name_on_card,
            key=deps.config.code_key,
            now=deps.clock.now(),
        )
        del number  # from here on only brand, last four and a keyed fingerprint exist
        async with deps.store.transaction() as uow:
            existing = await uow.wallet.list_cards(account_id)
            billing = await _check_billing(uow, account_id, billing_address_id)
        if any(other.fingerprint == card.fingerprint for other in existing):
            raise Conflict("This card is already in your account.")
        if len(existing) >= MAX_CARDS:
            raise InvalidInput("number", "You can keep at most %(count)d cards.", count=MAX_CARDS)
        payload = {
            "brand": card.brand,
            "last4": card.last4,
            "exp_month": card.exp_month,
            "exp_year": card.exp_year,
            "name_on_card": card.name_on_card,
            "fingerprint": card.fingerprint,
            "billing_address_id": billing_address_id,
            "billing": _billing(billing),
            "is_default": is_default or not existing,
        }
        return await self.stepup.request(customer, ActionType.ADD_PAYMENT_METHOD, payload, ctx)

    async def update(
        self,
        customer: Customer,
        ctx: RequestContext,
        card_id: str,
        *,
        exp_month: int | None,
        exp_year: int | None,
        billing_address_id: str | None,
        clear_billing_address: bool,
        is_default: bool | None,
    ) -> Challenge:
        account_id = customer.account.id
        card = await self._get(account_id, card_id)
        changes: dict[str, Any] = {}
        if exp_month is not None or exp_year is not None:
            month, year = check_expiry(
                exp_month if exp_month is not None else card.exp_month,
                exp_year if exp_year is not None else card.exp_year,
                self.deps.clock.now(),
            )
            if (month, year) != (card.exp_month, card.exp_year):
                changes.update(exp_month=month, exp_year=year)
        billing: Address | None = None
        if billing_address_id is not None or clear_billing_address:
            async with self.deps.store.transaction() as uow:
                billing = await _check_billing(uow, account_id, billing_address_id)
            if billing_address_id != card.billing_address_id:
                changes["billing_address_id"] = billing_address_id
        if is_default is not None and is_default != card.is_default:
            changes["is_default"] = is_default
        if not changes:
            raise InvalidInput("body", "Nothing would change for this card.")
        payload: dict[str, Any] = {
            "id": card.id,
            "version": card.version,
            "label": card.label,
            "values": changes,
        }
        if "billing_address_id" in changes:
            payload["billing"] = _billing(billing)
        return await self.stepup.request(customer, ActionType.UPDATE_PAYMENT_METHOD, payload, ctx)

    async def delete(self, customer: Customer, ctx: RequestContext, card_id: str) -> Challenge:
        card = await self._get(customer.account.id, card_id)
        payload = {"id": card.id, "version": card.version, "label": card.label}
        return await self.stepup.request(customer, ActionType.DELETE_PAYMENT_METHOD, payload, ctx)

    async def _get(self, account_id: str, card_id: str) -> PaymentMethod:
        async with self.deps.store.transaction() as uow:
            card = await uow.wallet.get_card(account_id, card_id)
        if card is None:
            raise PaymentMethodNotFound("No payment method with that id in your account.")
        return card


async def _check_billing(
    uow: UnitOfWork, account_id: str, billing_address_id: str | None
) -> Address | None:
    if billing_address_id is None:
        return None
    address = await uow.wallet.get_address(account_id, billing_address_id)
    if address is None:
        raise InvalidInput("billing_address_id", "Choose a billing address from your addresses.")
    return address


def _billing(address: Address | None) -> dict[str, Any] | None:
    """What the code approves of a billing address: its words and the version they name."""
    if address is None:
        return None
    return {"name": address.fields.short_name, "version": address.version}


def _billing_text(billing: Mapping[str, Any] | None) -> str:
    """ "billing address "Home, 1 Main St"" (label and first line, S24), or its removal."""
    if billing is None:
        return "no billing address"
    return f"billing address {quote(billing['name'])}"


async def _ensure_billing(
    uow: UnitOfWork, account_id: str, address_id: str | None, billing: Mapping[str, Any] | None
) -> None:
    """The billing address the code named is still there, and still reads the same."""
    if address_id is None:
        return
    address = await uow.wallet.get_address(account_id, address_id)
    if address is None:
        raise Conflict("The billing address was removed meanwhile; nothing was changed.")
    if billing is not None and address.version != billing["version"]:
        raise Conflict("The billing address changed after this code was sent; nothing changed.")


def _label(payload: Mapping[str, Any]) -> str:
    return f"{payload['brand']} ending {payload['last4']}"


# -- the handlers ------------------------------------------------------------------------------


class AddCard:
    def describe(self, payload: Mapping[str, Any]) -> str:
        if payload["billing_address_id"] is None:
            return f"Add {_label(payload)}"
        return f"Add {_label(payload)}, {_billing_text(payload.get('billing'))}"

    async def apply(
        self, uow: UnitOfWork, approving: Approving, payload: Mapping[str, Any]
    ) -> Approval:
        account_id = approving.account_id
        await _ensure_billing(
            uow, account_id, payload["billing_address_id"], payload.get("billing")
        )
        card = PaymentMethod(
            id=new_id("pm"),
            account_id=account_id,
            brand=payload["brand"],
            last4=payload["last4"],
            exp_month=payload["exp_month"],
            exp_year=payload["exp_year"],
            name_on_card=payload["name_on_card"],
            billing_address_id=payload["billing_address_id"],
            fingerprint=payload["fingerprint"],
            is_default=payload["is_default"],
            version=1,
        )
        await uow.wallet.insert_card(card, approving.now)
        stored = await uow.wallet.get_card(account_id, card.id)
        assert stored is not None
        return Approval(result=CardSaved(stored))


class UpdateCard:
    def describe(self, payload: Mapping[str, Any]) -> str:
        values = payload["values"]
        parts: list[str] = []
        if "exp_month" in values:
            parts.append(f"expiry {values['exp_month']:02d}/{values['exp_year'] % 100:02d}")
        if "billing_address_id" in values:
            parts.append(_billing_text(payload.get("billing")))
        if "is_default" in values:
            parts.append("default card" if values["is_default"] else "not the default card")
        return f"Update {payload['label']}: " + ", ".join(parts)

    async def apply(
        self, uow: UnitOfWork, approving: Approving, payload: Mapping[str, Any]
    ) -> Approval:
        account_id, card_id = approving.account_id, payload["id"]
        values = payload["values"]
        if "billing_address_id" in values:
            await _ensure_billing(
                uow, account_id, values["billing_address_id"], payload.get("billing")
            )
        changes: CardChanges = {}
        if "exp_month" in values:
            changes["exp_month"] = values["exp_month"]
            changes["exp_year"] = values["exp_year"]
        if "billing_address_id" in values:
            changes["billing_address_id"] = values["billing_address_id"]
        if "is_default" in values:
            changes["is_default"] = values["is_default"]
        applied = await uow.wallet.update_card(
            account_id, card_id, payload["version"], changes, approving.now
        )
        await _ensure_applied(uow, applied, account_id, card_id)
        card = await uow.wallet.get_card(account_id, card_id)
        assert card is not None
        return Approval(result=CardSaved(card))


class DeleteCard:
    def describe(self, payload: Mapping[str, Any]) -> str:
        return f"Remove {payload['label']}"

    async def apply(
        self, uow: UnitOfWork, approving: Approving, payload: Mapping[str, Any]
    ) -> Approval:
        account_id, card_id = approving.account_id, payload["id"]
        applied = await uow.wallet.delete_card(account_id, card_id, payload["version"])
        await _ensure_applied(uow, applied, account_id, card_id)
        return Approval(result=CardRemoved(card_id))


async def _ensure_applied(uow: UnitOfWork, applied: bool, account_id: str, card_id: str) -> None:
    await ensure_applied(
        applied,
        lambda: uow.wallet.get_card(account_id, card_id),
        gone=PaymentMethodNotFound("That card is no longer in your account; nothing changed."),
        moved="That card changed after this code was sent; nothing was changed.",
    )
