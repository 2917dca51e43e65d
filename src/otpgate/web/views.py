"""How domain objects read in the JSON API (and as a verify's ``result``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, assert_never

from pydantic import BaseModel

from otpgate.domain.accounts import Account, Device, Session
from otpgate.domain.addresses import Address
from otpgate.domain.cards import PaymentMethod
from otpgate.domain.factors import EnrolledFactor
from otpgate.domain.language import DEFAULT_LANGUAGE
from otpgate.domain.phones import mask
from otpgate.services.approvals import (
    AccountChanged,
    ActionResult,
    AddressRemoved,
    AddressSaved,
    CardRemoved,
    CardSaved,
    FactorAdded,
    FactorRemoved,
    PasswordChanged,
)
from otpgate.web.qr import qr_svg


class ProfileOut(BaseModel):
    id: str
    name: str
    email: str
    phone: str
    phone_verified: bool
    created_at: datetime
    # DESIGN §5.7: whether ``email`` was proven by a link, and a new address waiting for its.
    email_verified: bool = False
    pending_email: str | None = None
    # Issue 15: the language of the account's SMS, calls and email (``en``, ``de``, ``fr``).
    language: str = "en"


class AddressOut(BaseModel):
    id: str
    label: str
    full_name: str
    line1: str
    line2: str
    city: str
    region: str
    postal_code: str
    country: str
    phone: str
    instructions: str
    is_default: bool


class CardOut(BaseModel):
    id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    name_on_card: str
    billing_address_id: str | None
    is_default: bool
    description: str


class SessionInfoOut(BaseModel):
    id: str
    created_at: datetime
    last_seen_at: datetime
    ip: str | None
    user_agent: str | None
    current: bool


class DeviceOut(BaseModel):
    id: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    user_agent: str | None


class FactorOut(BaseModel):
    id: str
    type: str
    label: str
    status: str
    created_at: datetime
    last_used_at: datetime | None
    remaining: int | None = None


def factor_out(factor: EnrolledFactor) -> FactorOut:
    return FactorOut(
        id=factor.id,
        type=factor.kind.value,
        label=factor.label,
        status=factor.status.value,
        created_at=factor.created_at,
        last_used_at=factor.last_used_at,
        remaining=factor.remaining,
    )


def factor_added_out(added: FactorAdded) -> dict[str, Any]:
    """An added factor, with what is shown this once: an app's secret, URI and QR code, or
    the backup codes."""
    out: dict[str, Any] = {"factor": factor_out(added.factor).model_dump(mode="json")}
    if added.secret is not None and added.otpauth_uri is not None:
        out |= {
            "secret": added.secret,
            "otpauth_uri": added.otpauth_uri,
            "qr_svg": qr_svg(added.otpauth_uri),
        }
    if added.codes:
        out["codes"] = list(added.codes)
    return out


def profile_out(account: Account) -> ProfileOut:
    return ProfileOut(
        id=account.id,
        name=account.name,
        email=account.email,
        phone=mask(account.phone),
        phone_verified=account.phone_verified,
        created_at=account.created_at,
        email_verified=account.email_verified,
        pending_email=account.pending_email,
        language=account.language or DEFAULT_LANGUAGE,
    )


def address_out(address: Address) -> AddressOut:
    return AddressOut(id=address.id, is_default=address.is_default, **address.fields.as_dict())


def card_out(card: PaymentMethod) -> CardOut:
    return CardOut(
        id=card.id,
        brand=card.brand,
        last4=card.last4,
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        name_on_card=card.name_on_card,
        billing_address_id=card.billing_address_id,
        is_default=card.is_default,
        description=f"{card.label}, expires {card.expiry}",
    )


def session_out(session: Session, current_id: str) -> SessionInfoOut:
    return SessionInfoOut(
        id=session.id,
        created_at=session.created_at,
        last_seen_at=session.last_seen_at,
        ip=session.ip,
        user_agent=session.user_agent,
        current=session.id == current_id,
    )


def device_out(device: Device) -> DeviceOut:
    return DeviceOut(
        id=device.id,
        created_at=device.created_at,
        expires_at=device.expires_at,
        last_used_at=device.last_used_at,
        user_agent=device.user_agent,
    )


def result_out(result: ActionResult | None) -> dict[str, Any] | None:
    """A verify's ``result``: the resource as it stands after the change."""
    match result:
        case None:
            return None
        case AccountChanged(account=account):
            return profile_out(account).model_dump(mode="json")
        case PasswordChanged(signed_out_sessions=signed_out, forgotten_devices=forgotten):
            return {"signed_out_sessions": signed_out, "forgotten_devices": forgotten}
        case AddressSaved(address=address):
            return address_out(address).model_dump(mode="json")
        case AddressRemoved(address_id=address_id):
            return {"id": address_id, "deleted": True}
        case CardSaved(card=card):
            return card_out(card).model_dump(mode="json")
        case CardRemoved(card_id=card_id):
            return {"id": card_id, "deleted": True}
        case FactorAdded():
            return factor_added_out(result)
        case FactorRemoved(factor_id=factor_id):
            return {"id": factor_id, "deleted": True}
    assert_never(result)
