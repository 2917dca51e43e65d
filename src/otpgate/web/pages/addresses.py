"""Your addresses: list, add, edit, remove, choose the default.

What needs a code is the service's policy: adding, removing, moving an address or changing
the default go to the code page; a new label or new delivery instructions apply at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import Response

from otpgate import i18n
from otpgate.domain.addresses import LIMITS, Address, address_errors
from otpgate.domain.errors import OtpgateError
from otpgate.domain.phones import country_of
from otpgate.services.principal import Customer
from otpgate.web.pages.common import Visit, member, member_form, shown
from otpgate.web.pages.countries import country_name, country_options
from otpgate.web.pages.stepup import ADDRESSES, ask_for_code, refusal

router = APIRouter(include_in_schema=False)

FIELDS = (
    "full_name",
    "line1",
    "line2",
    "city",
    "region",
    "postal_code",
    "country",
    "phone",
    "instructions",
    "label",
)
ADDRESS_ID = re.compile(r"^adr_[A-Za-z0-9_-]{1,60}$")


@router.get("/account/addresses")
async def addresses_page(request: Request) -> Response:
    visit, auth = await member(request)
    return await _list(visit, auth)


async def _list(visit: Visit, auth: Customer, refused: OtpgateError | None = None) -> Response:
    """The list; after a refused "Make default" or "Remove", why, above it (a limit says
    when it ends), inside the account's own layout."""
    found = await visit.services.addresses.list(auth)
    errors, status = refusal(refused, (), visit.now()) if refused else ({}, 200)
    return visit.render(
        "addresses.html",
        status=status,
        section="addresses",
        addresses=[_view(address) for address in found],
        strict=visit.services.addresses.strict,
        error=errors.get("form"),
    )


@router.get("/account/addresses/new")
async def new_address(request: Request) -> Response:
    visit, auth = await member(request)
    blank = dict.fromkeys(FIELDS, "")
    blank["country"] = country_of(auth.account.phone)
    return _form(visit, None, blank, {}, is_default=False)


@router.post("/account/addresses")
async def add_address(request: Request) -> Response:
    visit, auth, fields = await member_form(request)
    values = _values(fields)
    is_default = fields.get("is_default") == "1"
    if errors := _errors(values):  # every field's problem at once
        return _form(visit, None, values, errors, is_default=is_default, status=422)
    try:
        challenge = await visit.services.addresses.add(auth, visit.ctx, values, is_default)
    except OtpgateError as exc:
        errors, status = refusal(exc, FIELDS, visit.now())
        return _form(visit, None, values, errors, is_default=is_default, status=status)
    return ask_for_code(visit, challenge)


@router.get("/account/addresses/{address_id}/edit")
async def edit_address(request: Request, address_id: str) -> Response:
    visit, auth = await member(request)
    address = await _find(visit, auth, address_id)
    return _form(visit, address, address.fields.as_dict(), {})


@router.post("/account/addresses/{address_id}")
async def update_address(request: Request, address_id: str) -> Response:
    visit, auth, fields = await member_form(request)
    before = await _find(visit, auth, address_id)
    values = _values(fields)
    if errors := _errors(values):
        return _form(visit, before, values, errors, status=422)
    try:
        outcome = await visit.services.addresses.update(auth, visit.ctx, address_id, values, None)
    except OtpgateError as exc:
        errors, status = refusal(exc, FIELDS, visit.now())
        return _form(visit, before, values, errors, status=status)
    if isinstance(outcome, Address):
        # Only the label or the delivery instructions changed: applied at once, no code.
        changed = outcome.version != before.version
        return visit.redirect(ADDRESSES, flash="address_saved" if changed else "unchanged")
    return ask_for_code(visit, outcome)


@router.post("/account/addresses/{address_id}/default")
async def make_default(request: Request, address_id: str) -> Response:
    visit, auth, _fields = await member_form(request)
    await _find(visit, auth, address_id)
    try:
        outcome = await visit.services.addresses.update(auth, visit.ctx, address_id, {}, True)
    except OtpgateError as exc:
        return await _list(visit, auth, exc)
    if isinstance(outcome, Address):
        return visit.redirect(ADDRESSES, flash="unchanged")
    return ask_for_code(visit, outcome)


@router.post("/account/addresses/{address_id}/delete")
async def delete_address(request: Request, address_id: str) -> Response:
    visit, auth, _fields = await member_form(request)
    await _find(visit, auth, address_id)
    try:
        challenge = await visit.services.addresses.delete(auth, visit.ctx, address_id)
    except OtpgateError as exc:
        return await _list(visit, auth, exc)
    return ask_for_code(visit, challenge)


async def _find(visit: Visit, auth: Customer, address_id: str) -> Address:
    """The account's address ``address_id``; any other id is a 404 page."""
    if ADDRESS_ID.match(address_id):
        for address in await visit.services.addresses.list(auth):
            if address.id == address_id:
                return address
    raise HTTPException(status_code=404)


def _errors(values: Mapping[str, str]) -> dict[str, str]:
    return {name: shown(exc) for name, exc in address_errors(values).items()}


def _values(fields: Mapping[str, str]) -> dict[str, str]:
    # Cut to twice the limit: the service says "too long", but never stores or echoes a flood.
    return {name: fields.get(name, "")[: LIMITS[name] * 2] for name in FIELDS}


def _form(
    visit: Visit,
    address: Address | None,
    values: Mapping[str, str],
    errors: Mapping[str, str],
    *,
    is_default: bool = False,
    status: int = 200,
) -> Response:
    return visit.render(
        "address_form.html",
        status=status,
        section="addresses",
        address=_view(address) if address else None,
        action=f"{ADDRESSES}/{address.id}" if address else ADDRESSES,
        values=values,
        errors=errors,
        is_default=is_default,
        countries=(("", i18n.gettext("Choose a country")), *country_options()),
        limits=LIMITS,
        strict=visit.services.addresses.strict,
    )


def _view(address: Address) -> dict[str, object]:
    """An address as the list shows it."""
    f = address.fields
    place = " ".join(part for part in (f.city, f.region, f.postal_code) if part)
    return {
        "id": address.id,
        "title": f.label or f.full_name,
        "full_name": f.full_name,
        "lines": [line for line in (f.line1, f.line2, place, country_name(f.country)) if line],
        "phone": f.phone,
        "instructions": f.instructions,
        "one_line": f.one_line,
        "is_default": address.is_default,
    }
