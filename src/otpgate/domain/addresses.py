"""Shipping addresses: validation per country, and which edits are significant."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import phonenumbers
from phonenumbers import NumberParseException

from otpgate.domain.errors import InvalidInput
from otpgate.domain.language import N_
from otpgate.domain.text import clean_line, quote

# ISO 3166-1 alpha-2 codes as libphonenumber knows them, less its non-ISO regions.
COUNTRIES = frozenset(phonenumbers.SUPPORTED_REGIONS) - {"AC", "TA", "XK"}
# Countries whose addresses need a state/province/region.
REGION_REQUIRED = frozenset({"US", "CA", "AU", "BR", "MX", "IN", "CN", "JP", "AR", "MY"})
# Countries without postal codes in common use.
NO_POSTAL_CODE = frozenset(
    {"AE", "AG", "AO", "AW", "BF", "BI", "BJ", "BO", "BS", "BW", "BZ", "CD", "CF", "CG", "CI",
     "CK", "CM", "DJ", "DM", "ER", "FJ", "GA", "GD", "GH", "GM", "GQ", "GY", "HK", "JM", "KI",
     "KM", "KN", "KP", "LY", "ML", "MO", "MR", "MW", "NR", "NU", "QA", "RW", "SB", "SC", "SL",
     "SR", "SS", "ST", "SY", "TF", "TG", "TK", "TL", "TO", "TV", "UG", "VU", "YE", "ZW"}
)  # fmt: skip
POSTAL_PATTERNS = {
    "US": r"\d{5}(-\d{4})?",
    "CA": r"[A-Za-z]\d[A-Za-z] ?\d[A-Za-z]\d",
    "GB": r"[A-Za-z]{1,2}\d[A-Za-z\d]? ?\d[A-Za-z]{2}",
    "DE": r"\d{5}",
    "FR": r"\d{5}",
    "IT": r"\d{5}",
    "ES": r"\d{5}",
    "NL": r"\d{4} ?[A-Za-z]{2}",
    "AU": r"\d{4}",
    "JP": r"\d{3}-?\d{4}",
    "IN": r"\d{6}",
    "BR": r"\d{5}-?\d{3}",
}
LIMITS = {
    "label": 40,
    "full_name": 100,
    "line1": 120,
    "line2": 120,
    "city": 80,
    "region": 80,
    "postal_code": 20,
    "country": 2,
    "phone": 32,
    "instructions": 500,
}
# Edits to these fields change nothing about where a parcel goes or who takes it.
COSMETIC_FIELDS = frozenset({"label", "instructions"})
MAX_ADDRESSES = 50


@dataclass(frozen=True, slots=True)
class AddressFields:
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

    def as_dict(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def one_line(self) -> str:
        """How a customer recognises the address: "1 Main St, Springfield 62701"."""
        place = " ".join(part for part in (self.city, self.postal_code) if part)
        return ", ".join(part for part in (self.line1, place) if part)

    @property
    def short_name(self) -> str:
        """The label and first line, as a card's billing address is named: "Home, 1 Main St"."""
        return ", ".join(part for part in (self.label, self.line1) if part)

    @property
    def full_line(self) -> str:
        """Everything that decides where a parcel goes and who takes it, on one line."""
        place = " ".join(p for p in (self.city, self.region, self.postal_code) if p)
        parts = (self.full_name, self.line1, self.line2, place, self.country)
        return ", ".join(p for p in parts if p)


FIELD_NAMES = {
    "label": "label",
    "full_name": "recipient",
    "line1": "street",
    "line2": "line 2",
    "city": "city",
    "region": "region",
    "postal_code": "postal code",
    "country": "country",
    "phone": "phone",
    "instructions": "instructions",
}


# Fields a new address has besides the ones its full line shows.
EXTRA_FIELDS = ("label", "phone", "instructions")


def describe_change(old: AddressFields, new: AddressFields, changed: set[str]) -> str:
    """Every changed field with its whole new value, quoted, for the words a code approves
    (S24, S41): ``street to "2 Side St", line 2 removed``."""
    parts = []
    for name, label in FIELD_NAMES.items():
        if name in changed:
            value = getattr(new, name)
            parts.append(f"{label} to {quote(value)}" if value else f"{label} removed")
    return ", ".join(parts)


def describe_new(fields: AddressFields) -> str:
    """A new address in full, quoted: ``"Ada Lovelace, 1 Main St, Springfield IL 62701, US",
    label "Home"`` (every value the code applies, S42)."""
    extras = [
        f"{FIELD_NAMES[name]} {quote(value)}"
        for name in EXTRA_FIELDS
        if (value := getattr(fields, name))
    ]
    return ", ".join((quote(fields.full_line), *extras))


# The fields every address needs, and what a form says when one is left empty.
REQUIRED = (
    ("full_name", N_("Enter the recipient's name.")),
    ("line1", N_("Enter the street address.")),
    ("city", N_("Enter the town or city.")),
)


def _text(values: Mapping[str, Any], name: str) -> str:
    raw = values.get(name)
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise InvalidInput(name, "Enter text here.")
    # One line, delivery instructions too: every field may be named in a text message (S41),
    # and bidi or zero-width characters could make one change read as another (S24).
    return clean_line(raw, name, limit=LIMITS[name])


def validate_address(values: Mapping[str, Any]) -> AddressFields:
    """Check every field, with the country's own rules; raise ``InvalidInput`` on the first."""
    country = _text(values, "country").upper()
    if not country:
        raise InvalidInput("country", "Choose a country.")
    if country not in COUNTRIES:
        raise InvalidInput("country", "Use a two-letter ISO 3166 country code, like US or DE.")
    address = AddressFields(
        label=_text(values, "label"),
        full_name=_text(values, "full_name"),
        line1=_text(values, "line1"),
        line2=_text(values, "line2"),
        city=_text(values, "city"),
        region=_text(values, "region"),
        postal_code=_text(values, "postal_code").upper(),
        country=country,
        phone=_text(values, "phone"),
        instructions=_text(values, "instructions"),
    )
    for name, message in REQUIRED:
        if not getattr(address, name):
            raise InvalidInput(name, message)
    if country in REGION_REQUIRED and not address.region:
        raise InvalidInput("region", "Enter the state, province or region.")
    if country not in NO_POSTAL_CODE:
        if not address.postal_code:
            raise InvalidInput("postal_code", "Enter the postal code.")
        pattern = POSTAL_PATTERNS.get(country)
        if pattern and not re.fullmatch(pattern, address.postal_code):
            raise _bad_postal_code(country)
    if address.phone:
        address = replace(address, phone=_phone(address.phone, country))
    return address


def address_errors(values: Mapping[str, Any]) -> dict[str, InvalidInput]:
    """Every field's problem at once (a form shows them together); empty when
    ``validate_address`` would accept ``values``. The same rules, each field on its own.
    Each problem is the error itself, so a page shows its message in the reader's language."""
    errors: dict[str, InvalidInput] = {}
    text: dict[str, str] = {}
    for name in LIMITS:
        try:
            text[name] = _text(values, name)
        except InvalidInput as exc:
            errors[name] = exc
    country = text.get("country", "").upper()
    if "country" not in errors:
        if not country:
            errors["country"] = InvalidInput("country", "Choose a country.")
        elif country not in COUNTRIES:
            # A form offers its list: no talk of standard codes.
            errors["country"] = InvalidInput("country", "Choose a country from the list.")
    for name, message in REQUIRED:
        if name not in errors and not text.get(name):
            errors[name] = InvalidInput(name, message)
    if "country" in errors:
        return errors
    if country in REGION_REQUIRED and "region" not in errors and not text.get("region"):
        errors["region"] = InvalidInput("region", "Enter the state, province or region.")
    postal = text.get("postal_code", "").upper()
    if country not in NO_POSTAL_CODE and "postal_code" not in errors:
        pattern = POSTAL_PATTERNS.get(country)
        if not postal:
            errors["postal_code"] = InvalidInput("postal_code", "Enter the postal code.")
        elif pattern and not re.fullmatch(pattern, postal):
            errors["postal_code"] = _bad_postal_code(country)
    if text.get("phone") and "phone" not in errors:
        try:
            _phone(text["phone"], country)
        except InvalidInput as exc:
            errors["phone"] = exc
    return errors


def _bad_postal_code(country: str) -> InvalidInput:
    return InvalidInput(
        "postal_code", "That is not a valid postal code for %(country)s.", country=country
    )


def _phone(raw: str, country: str) -> str:
    try:
        number = phonenumbers.parse(raw, country)
    except NumberParseException as exc:
        raise InvalidInput("phone", "Enter a phone number the courier can call.") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput("phone", "That is not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def changed_fields(old: AddressFields, new: AddressFields) -> set[str]:
    return {name for name, value in new.as_dict().items() if old.as_dict()[name] != value}


def is_significant(changed: set[str], *, strict: bool = False) -> bool:
    """Whether an edit needs a code: anything beyond cosmetic fields (or anything, if strict)."""
    if strict:
        return bool(changed)
    return bool(changed - COSMETIC_FIELDS)


@dataclass(frozen=True, slots=True)
class Address:
    """A stored address; ``version`` grows with every change (stale approvals are refused)."""

    id: str
    account_id: str
    fields: AddressFields
    is_default: bool
    version: int
