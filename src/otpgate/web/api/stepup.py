"""High-risk changes: each answers 202 with the challenge whose code will apply it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from otpgate.bootstrap import Runtime
from otpgate.domain.addresses import LIMITS
from otpgate.domain.cards import MAX_NAME_ON_CARD
from otpgate.domain.challenges import Challenge
from otpgate.web.api.common import challenge_out, problems
from otpgate.web.deps import AuthDep, ContextDep, RuntimeDep
from otpgate.web.pagination import DEFAULT_LIMIT, Cursor, Limit, cut
from otpgate.web.schemas import ChallengeEnvelope, NewPassword, Phone
from otpgate.web.views import AddressOut, CardOut, address_out, card_out

router = APIRouter(tags=["step-up"])
STEP_UP = problems(401, 404, 409, 422, 429)
AddressId = Path(max_length=64, pattern=r"^adr_[A-Za-z0-9_-]+$")
CardId = Path(max_length=64, pattern=r"^pm_[A-Za-z0-9_-]+$")


class Strict(BaseModel):
    # strict: JSON types as they are (``is_default: 0`` is not a boolean, "8" not a month).
    model_config = ConfigDict(extra="forbid", strict=True)


# Lengths as the domain counts them (domain/addresses.py LIMITS); required fields can't be
# empty. The domain adds what a schema can't say (a valid postal code for the country).
Label = Field("", max_length=LIMITS["label"])
Line2 = Field("", max_length=LIMITS["line2"])
Region = Field("", max_length=LIMITS["region"])
PostalCode = Field("", max_length=LIMITS["postal_code"])
CourierPhone = Field("", max_length=LIMITS["phone"])
Instructions = Field("", max_length=LIMITS["instructions"])
Country = Field(min_length=2, max_length=2, pattern=r"^[A-Za-z]{2}$")


class ProfileChangeIn(Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    email: str | None = Field(None, min_length=1, max_length=320)


class PasswordChangeIn(Strict):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = NewPassword


class PhoneChangeIn(Strict):
    phone: str = Phone


class AddressIn(Strict):
    label: str = Label
    full_name: str = Field(min_length=1, max_length=LIMITS["full_name"])
    line1: str = Field(min_length=1, max_length=LIMITS["line1"])
    line2: str = Line2
    city: str = Field(min_length=1, max_length=LIMITS["city"])
    region: str = Region
    postal_code: str = PostalCode
    country: str = Country
    phone: str = CourierPhone
    instructions: str = Instructions
    is_default: bool = False

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "label": "Home",
                    "full_name": "Ada Lovelace",
                    "line1": "1 Main St",
                    "city": "Springfield",
                    "region": "IL",
                    "postal_code": "62701",
                    "country": "US",
                }
            ]
        },
    )


class AddressPatchIn(Strict):
    label: str | None = Field(None, max_length=LIMITS["label"])
    full_name: str | None = Field(None, min_length=1, max_length=LIMITS["full_name"])
    line1: str | None = Field(None, min_length=1, max_length=LIMITS["line1"])
    line2: str | None = Field(None, max_length=LIMITS["line2"])
    city: str | None = Field(None, min_length=1, max_length=LIMITS["city"])
    region: str | None = Field(None, max_length=LIMITS["region"])
    postal_code: str | None = Field(None, max_length=LIMITS["postal_code"])
    country: str | None = Field(None, min_length=2, max_length=2, pattern=r"^[A-Za-z]{2}$")
    phone: str | None = Field(None, max_length=LIMITS["phone"])
    instructions: str | None = Field(None, max_length=LIMITS["instructions"])
    is_default: bool | None = None


class CardIn(Strict):
    number: str = Field(
        min_length=12,
        max_length=40,
        pattern=r"^[0-9 -]+$",
        description="Digits, spaces and dashes. Never stored, returned or logged",
    )
    exp_month: int = Field(ge=1, le=12)
    exp_year: int = Field(ge=0, le=9999)
    name_on_card: str = Field(min_length=1, max_length=MAX_NAME_ON_CARD)
    billing_address_id: str | None = Field(None, max_length=64)
    is_default: bool = False

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "number": "4242 4242 4242 4242",
                    "exp_month": 8,
                    "exp_year": 2029,
                    "name_on_card": "ADA LOVELACE",
                }
            ]
        },
    )


class CardPatchIn(Strict):
    exp_month: int | None = Field(None, ge=1, le=12)
    exp_year: int | None = Field(None, ge=0, le=9999)
    billing_address_id: str | None = Field(None, max_length=64)
    is_default: bool | None = None


class AddressList(BaseModel):
    addresses: list[AddressOut]
    has_more: bool = False
    next_cursor: str | None = None


class CardList(BaseModel):
    payment_methods: list[CardOut]
    has_more: bool = False
    next_cursor: str | None = None


async def accepted(runtime: Runtime, challenge: Challenge) -> JSONResponse:
    body = ChallengeEnvelope(challenge=await challenge_out(runtime, challenge))
    return JSONResponse(body.model_dump(mode="json"), status_code=status.HTTP_202_ACCEPTED)


# -- login & security -------------------------------------------------------------------------


@router.patch(
    "/me",
    status_code=202,
    response_model=ChallengeEnvelope,
    responses=STEP_UP,
    summary="Change name and/or email (needs a code)",
)
async def change_profile(
    body: ProfileChangeIn, auth: AuthDep, runtime: RuntimeDep, ctx: ContextDep
) -> JSONResponse:
    challenge = await runtime.services.profile.request_profile_change(
        auth, ctx, body.name, body.email
    )
    return await accepted(runtime, challenge)


@router.put(
    "/me/password",
    status_code=202,
    response_model=ChallengeEnvelope,
    responses=STEP_UP,
    summary="Change the password (current password and a code; signs out other sessions)",
)
async def change_password(
    body: PasswordChangeIn, auth: AuthDep, runtime: RuntimeDep, ctx: ContextDep
) -> JSONResponse:
    challenge = await runtime.services.profile.request_password_change(
        auth, ctx, body.current_password, body.new_password
    )
    return await accepted(runtime, challenge)


@router.put(
    "/me/phone",
    status_code=202,
    response_model=ChallengeEnvelope,
    responses=STEP_UP,
    summary="Change the mobile number: a code to the old number, then one to the new",
)
async def change_phone(
    body: PhoneChangeIn, auth: AuthDep, runtime: RuntimeDep, ctx: ContextDep
) -> JSONResponse:
    challenge = await runtime.services.profile.request_phone_change(auth, ctx, body.phone)
    return await accepted(runtime, challenge)


# -- addresses -------------------------------------------------------------------------------


@router.get("/me/addresses", response_model=AddressList, responses=problems(401))
async def list_addresses(
    auth: AuthDep, runtime: RuntimeDep, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> AddressList:
    found = await runtime.services.addresses.list(auth)
    page = cut("addresses", found, lambda a: a.id, limit, cursor)
    return AddressList(
        addresses=[address_out(a) for a in page.items],
        has_more=page.has_more,
        next_cursor=page.next_cursor,
    )


@router.post(
    "/me/addresses",
    status_code=202,
    response_model=ChallengeEnvelope,
    responses=STEP_UP,
    summary="Add a shipping address (needs a code)",
)
async def add_address(
    body: AddressIn, auth: AuthDep, runtime: RuntimeDep, ctx: ContextDep
) -> JSONResponse:
    values = body.model_dump(exclude={"is_default"})
    challenge = await runtime.services.addresses.add(auth, ctx, values, body.is_default)
    return await accepted(runtime, challenge)


@router.patch(
    "/me/addresses/{address_id}",
    response_model=AddressOut,
    responses={202: {"model": ChallengeEnvelope, "description": "A code is needed"}, **STEP_UP},
    summary="Edit an address: label and instructions apply at once, the rest needs a code",
)
async def update_address(
    body: AddressPatchIn,
    auth: AuthDep,
    runtime: RuntimeDep,
    ctx: ContextDep,
    address_id: str = AddressId,
) -> Response:
    changes: dict[str, Any] = body.model_dump(exclude_none=True, exclude={"is_default"})
    outcome = await runtime.services.addresses.update(
        auth, ctx, address_id, changes, body.is_default
    )
    if isinstance(outcome, Challenge):
        return await accepted(runtime, outcome)
    return JSONResponse(address_out(outcome).model_dump(mode="json"))


@router.delete(
    "/me/addresses/{address_id}",
    status_code=202,
    response_model=ChallengeEnvelope,
    responses=STEP_UP,
    summary="Remove an address (needs a code)",
)
async def delete_address(
    auth: AuthDep, runtime: RuntimeDep, ctx: ContextDep, address_id: str = AddressId
) -> JSONResponse:
    return await accepted(runtime, await runtime.services.addresses.delete(auth, ctx, address_id))


# -- payment methods ---------------------------------------------------------------------------


@router.get("/me/payment-methods", response_model=CardList, responses=problems(401))
async def list_cards(
    auth: AuthDep, runtime: RuntimeDep, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> CardList:
    found = await runtime.services.payments.list(auth)
    page = cut("payment_methods", found, lambda c: c.id, limit, cursor)
    return CardList(
        payment_methods=[card_out(c) for c in page.items],
        has_more=page.has_more,
        next_cursor=page.next_cursor,
    )


@router.post(
    "/me/payment-methods",
    status_code=202,
    response_model=ChallengeEnvelope,
    responses=STEP_UP,
    summary="Add a card (needs a code); the number is never stored",
)
async def add_card(
    body: CardIn, auth: AuthDep, runtime: RuntimeDep, ctx: ContextDep
) -> JSONResponse:
    challenge = await runtime.services.payments.add(
        auth,
        ctx,
        number=body.number,
        exp_month=body.exp_month,
        exp_year=body.exp_year,
        name_on_card=body.name_on_card,
        billing_address_id=body.billing_address_id,
        is_default=body.is_default,
    )
    return await accepted(runtime, challenge)


@router.patch(
    "/me/payment-methods/{card_id}",
    status_code=202,
    response_model=ChallengeEnvelope,
    responses=STEP_UP,
    summary="Change a card's expiry, billing address or default (needs a code)",
)
async def update_card(
    body: CardPatchIn, auth: AuthDep, runtime: RuntimeDep, ctx: ContextDep, card_id: str = CardId
) -> JSONResponse:
    challenge = await runtime.services.payments.update(
        auth,
        ctx,
        card_id,
        exp_month=body.exp_month,
        exp_year=body.exp_year,
        billing_address_id=body.billing_address_id,
        clear_billing_address="billing_address_id" in body.model_fields_set
        and body.billing_address_id is None,
        is_default=body.is_default,
    )
    return await accepted(runtime, challenge)


@router.delete(
    "/me/payment-methods/{card_id}",
    status_code=202,
    response_model=ChallengeEnvelope,
    responses=STEP_UP,
    summary="Remove a card (needs a code)",
)
async def delete_card(
    auth: AuthDep, runtime: RuntimeDep, ctx: ContextDep, card_id: str = CardId
) -> JSONResponse:
    return await accepted(runtime, await runtime.services.payments.delete(auth, ctx, card_id))
