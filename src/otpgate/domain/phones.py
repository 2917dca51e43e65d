"""Mobile numbers: parse to E.164, refuse what must never get an SMS, mask for display."""

from __future__ import annotations

from collections.abc import Collection

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from otpgate.domain.errors import InvalidInput

# Only these can receive an SMS. Premium-rate, shared-cost, toll-free, VoIP-only, pagers and
# fixed lines are refused (S35, S39): they are where SMS-pumping fraud sends its traffic.
SMS_CAPABLE = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})
MAX_PHONE_INPUT = 32


def parse_mobile(
    raw: str,
    *,
    default_region: str | None = None,
    allowed_countries: Collection[str] = (),
    field: str = "phone",
) -> str:
    """Return ``raw`` as E.164 ("+14155552671") or raise ``InvalidInput`` saying why."""
    text = raw.strip()
    if not text:
        raise InvalidInput(field, "Enter a mobile number.")
    if len(text) > MAX_PHONE_INPUT:
        raise InvalidInput(field, "That is too long for a phone number.")
    try:
        number = phonenumbers.parse(text, default_region)
    except NumberParseException as exc:
        raise InvalidInput(
            field,
            "Enter the mobile number in international form, starting with + and the country code.",
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(field, "That is not a valid phone number.")
    kind = phonenumbers.number_type(number)
    if kind in (PhoneNumberType.PREMIUM_RATE, PhoneNumberType.SHARED_COST):
        raise InvalidInput(field, "Premium-rate and shared-cost numbers can't receive codes.")
    if kind not in SMS_CAPABLE:
        raise InvalidInput(field, "That number can't receive text messages; enter a mobile number.")
    region = phonenumbers.region_code_for_number(number)
    if allowed_countries and region not in allowed_countries:
        raise InvalidInput(field, "We can't send codes to numbers in that country.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def country_of(e164: str) -> str:
    """ISO 3166-1 alpha-2 region of an E.164 number ("ZZ" when unknown)."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164)) or "ZZ"
    except NumberParseException:
        return "ZZ"


def mask(e164: str) -> str:
    """Show only the country code and the last two digits: "+1 ••• ••• ••67"."""
    try:
        number = phonenumbers.parse(e164)
    except NumberParseException:
        return "••••" + e164[-2:]
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    prefix, _, rest = national.partition(" ")
    digits_seen = sum(ch.isdigit() for ch in rest)
    shown_from = digits_seen - 2
    out: list[str] = []
    index = 0
    for ch in rest:
        if ch.isdigit():
            out.append(ch if index >= shown_from else "•")
            index += 1
        elif ch in " -":
            out.append(" ")
    return f"{prefix} {''.join(out)}"
