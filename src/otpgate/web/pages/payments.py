"""Your payments: cards. Adding, editing, removing and choosing the default each take a code.

The card number is read from the form, handed to the service and dropped: it is never put
back into a page (not even into the form after an error), never logged, never stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import Response

from otpgate import i18n
from otpgate.domain.addresses import Address
from otpgate.domain.cards import (
    MAX_NAME_ON_CARD,
    PaymentMethod,
    check_expiry,
    clean_number,
    detect_brand,
    luhn_valid,
)
from otpgate.domain.errors import InvalidInput, OtpgateError
from otpgate.domain.language import N_
from otpgate.domain.text import clean_line
from otpgate.services.principal import Customer
from otpgate.web.pages.common import Visit, member, member_form, shown
from otpgate.web.pages.stepup import PAYMENTS, ask_for_code, refusal

router = APIRouter(include_in_schema=False)

FIELDS = ("number", "exp_month", "exp_year", "name_on_card", "billing_address_id")
CARD_ID = re.compile(r"^pm_[A-Za-z0-9_-]{1,60}$")
MAX_NUMBER_INPUT = 40
YEARS_AHEAD = 20
# Message ids: an error keeps its id, a page shows it in the reader's language (``shown``).
MISSING_MONTH = N_("Choose the expiry month.")
MISSING_YEAR = N_("Choose the expiry year.")


@router.get("/account/payments")
async def payments_page(request: Request) -> Response:
    visit, auth = await member(request)
    return await _list(visit, auth)


async def _list(visit: Visit, auth: Customer, refused: OtpgateError | None = None) -> Response:
    """The list; after a refused "Make default" or "Remove", why, above it."""
    cards = await visit.services.payments.list(auth)
    addresses = {a.id: a for a in await visit.services.addresses.list(auth)}
    errors, status = refusal(refused, (), visit.now()) if refused else ({}, 200)
    return visit.render(
        "payments.html",
        status=status,
        section="payments",
        cards=[_view(card, addresses, visit.now()) for card in cards],
        error=errors.get("form"),
    )


@router.get("/account/payments/new")
async def new_card(request: Request) -> Response:
    visit, auth = await member(request)
    addresses = await visit.services.addresses.list(auth)
    default = next((a.id for a in addresses if a.is_default), "")
    values = {"exp_month": "", "exp_year": "", "name_on_card": "", "billing_address_id": default}
    return _form(visit, None, addresses, values, {})


@router.post("/account/payments")
async def add_card(request: Request) -> Response:
    visit, auth, fields = await member_form(request)
    # Everything but the number may be shown again; the number goes to the service only.
    values = {name: fields.get(name, "")[:100] for name in FIELDS if name != "number"}
    is_default = fields.get("is_default") == "1"
    number = fields.get("number", "")[:MAX_NUMBER_INPUT]
    if errors := card_errors(number, values, visit.now()):  # every field's problem at once
        addresses = await visit.services.addresses.list(auth)
        return _form(visit, None, addresses, values, errors, is_default=is_default, status=422)
    try:
        challenge = await visit.services.payments.add(
            auth,
            visit.ctx,
            number=number,
            exp_month=_number(values["exp_month"], "exp_month", MISSING_MONTH),
            exp_year=_number(values["exp_year"], "exp_year", MISSING_YEAR),
            name_on_card=values["name_on_card"],
            billing_address_id=values["billing_address_id"] or None,
            is_default=is_default,
        )
    except OtpgateError as exc:
        errors, status = refusal(exc, FIELDS, visit.now())
        addresses = await visit.services.addresses.list(auth)
        return _form(visit, None, addresses, values, errors, is_default=is_default, status=status)
    return ask_for_code(visit, challenge)


@router.get("/account/payments/{card_id}/edit")
async def edit_card(request: Request, card_id: str) -> Response:
    visit, auth = await member(request)
    card = await _find(visit, auth, card_id)
    values = {
        "exp_month": str(card.exp_month),
        "exp_year": str(card.exp_year),
        "billing_address_id": card.billing_address_id or "",
    }
    return _form(visit, card, await visit.services.addresses.list(auth), values, {})


@router.post("/account/payments/{card_id}")
async def update_card(request: Request, card_id: str) -> Response:
    visit, auth, fields = await member_form(request)
    card = await _find(visit, auth, card_id)
    values = {name: fields.get(name, "")[:100] for name in FIELDS if name != "number"}
    billing = values["billing_address_id"] or None
    if errors := card_errors(None, values, visit.now()):
        addresses = await visit.services.addresses.list(auth)
        return _form(visit, card, addresses, values, errors, status=422)
    try:
        challenge = await visit.services.payments.update(
            auth,
            visit.ctx,
            card.id,
            exp_month=_number(values["exp_month"], "exp_month", MISSING_MONTH),
            exp_year=_number(values["exp_year"], "exp_year", MISSING_YEAR),
            billing_address_id=billing,
            clear_billing_address=billing is None,
            is_default=None,
        )
    except OtpgateError as exc:
        errors, status = refusal(exc, FIELDS, visit.now())
        addresses = await visit.services.addresses.list(auth)
        return _form(visit, card, addresses, values, errors, status=status)
    return ask_for_code(visit, challenge)


@router.post("/account/payments/{card_id}/default")
async def make_default(request: Request, card_id: str) -> Response:
    visit, auth, _fields = await member_form(request)
    card = await _find(visit, auth, card_id)
    if card.is_default:
        return visit.redirect(PAYMENTS, flash="unchanged")
    try:
        challenge = await visit.services.payments.update(
            auth,
            visit.ctx,
            card.id,
            exp_month=None,
            exp_year=None,
            billing_address_id=None,
            clear_billing_address=False,
            is_default=True,
        )
    except OtpgateError as exc:
        return await _list(visit, auth, exc)
    return ask_for_code(visit, challenge)


@router.post("/account/payments/{card_id}/delete")
async def delete_card(request: Request, card_id: str) -> Response:
    visit, auth, _fields = await member_form(request)
    card = await _find(visit, auth, card_id)
    try:
        challenge = await visit.services.payments.delete(auth, visit.ctx, card.id)
    except OtpgateError as exc:
        return await _list(visit, auth, exc)
    return ask_for_code(visit, challenge)


async def _find(visit: Visit, auth: Customer, card_id: str) -> PaymentMethod:
    """The account's card ``card_id``; any other id is a 404 page."""
    if CARD_ID.match(card_id):
        for card in await visit.services.payments.list(auth):
            if card.id == card_id:
                return card
    raise HTTPException(status_code=404)


def card_errors(number: str | None, values: Mapping[str, str], now: datetime) -> dict[str, str]:
    """Every field's problem at once, by the rules the service applies (``read_card``);
    ``number`` None: editing a card, whose number and name stay as they are."""
    errors: dict[str, str] = {}
    if number is not None:
        try:
            digits = clean_number(number)
            if not luhn_valid(digits):
                errors["number"] = i18n.gettext("That card number is not valid; check the digits.")
            elif detect_brand(digits) is None:
                errors["number"] = i18n.gettext("We don't accept this kind of card.")
        except InvalidInput as exc:
            errors["number"] = shown(exc)
        try:
            typed = values.get("name_on_card", "")
            if not clean_line(typed, "name_on_card", limit=MAX_NAME_ON_CARD):
                errors["name_on_card"] = i18n.gettext("Enter the name as it appears on the card.")
        except InvalidInput as exc:
            errors["name_on_card"] = shown(exc)
    month = year = None
    for field, missing in (("exp_month", MISSING_MONTH), ("exp_year", MISSING_YEAR)):
        try:
            parsed = _number(values.get(field, ""), field, missing)
        except InvalidInput as exc:
            errors[field] = shown(exc)
            continue
        month, year = (parsed, year) if field == "exp_month" else (month, parsed)
    if month is not None and year is not None:
        try:
            check_expiry(month, year, now)
        except InvalidInput as exc:
            errors[exc.field or "exp_year"] = shown(exc)
    return errors


def _number(raw: str, field: str, missing: str) -> int:
    text = raw.strip()
    if not text:
        raise InvalidInput(field, missing)
    if not text.isascii() or not text.isdigit() or len(text) > 4:
        raise InvalidInput(field, "Choose a date from the list.")
    return int(text)


def _form(
    visit: Visit,
    card: PaymentMethod | None,
    addresses: Sequence[Address],
    values: Mapping[str, str],
    errors: Mapping[str, str],
    *,
    is_default: bool = False,
    status: int = 200,
) -> Response:
    year = visit.now().year
    return visit.render(
        "card_form.html",
        status=status,
        section="payments",
        card=_view(card, {}, visit.now()) if card else None,
        action=f"{PAYMENTS}/{card.id}" if card else PAYMENTS,
        values=values,
        errors=errors,
        # The number is never shown again; after any error it must be typed again.
        retype=bool(errors) and "number" not in errors,
        is_default=is_default,
        months=[("", i18n.gettext("Month"))] + [(str(m), f"{m:02d}") for m in range(1, 13)],
        years=[("", i18n.gettext("Year"))]
        + [(str(y), str(y)) for y in range(year, year + YEARS_AHEAD + 1)],
        billing=[("", i18n.gettext("No billing address"))]
        + [(a.id, _address_line(a)) for a in addresses],
        has_addresses=bool(addresses),
    )


def _address_line(address: Address) -> str:
    return f"{address.fields.full_name}, {address.fields.one_line}"


def _view(
    card: PaymentMethod, addresses: Mapping[str, Address], now: datetime
) -> dict[str, object]:
    billing = addresses.get(card.billing_address_id or "")
    # The page's own words for the card (the domain's ``label`` is the SMS's, in English).
    label = i18n.gettext("%(brand)s ending %(last4)s") % {"brand": card.brand, "last4": card.last4}
    return {
        "id": card.id,
        "label": label,
        "description": i18n.gettext("%(card)s, expires %(expiry)s")
        % {"card": label, "expiry": card.expiry},
        "name_on_card": card.name_on_card,
        "billing": _address_line(billing) if billing else None,
        "is_default": card.is_default,
        "expired": (card.exp_year, card.exp_month) < (now.year, now.month),
    }
