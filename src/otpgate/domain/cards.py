"""Payment cards: number checks, brand, expiry, and what may be kept (never the number).

Only the brand, the last four digits, the expiry, the name on the card and a keyed
fingerprint (to refuse duplicates) survive a request. The full number lives in memory for the
length of one request and is in no log, event, error or row.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime

from otpgate.domain.errors import InvalidInput
from otpgate.domain.language import ENGLISH, Translator
from otpgate.domain.text import clean_line

# (brand, prefixes as (low, high) ranges on the leading digits, allowed lengths)
_BRANDS: tuple[tuple[str, tuple[tuple[int, int], ...], tuple[int, ...]], ...] = (
    ("Amex", ((34, 34), (37, 37)), (15,)),
    ("Visa", ((4, 4),), (13, 16, 19)),
    ("Mastercard", ((51, 55), (2221, 2720)), (16,)),
    ("Discover", ((6011, 6011), (644, 649), (65, 65)), (16, 19)),
    ("JCB", ((3528, 3589),), (16, 17, 18, 19)),
    ("Diners Club", ((300, 305), (36, 36), (38, 39)), (14, 16, 19)),
    ("UnionPay", ((62, 62),), (16, 17, 18, 19)),
)
MAX_NAME_ON_CARD = 80
# A card's English label as ``card_label`` writes it (and as step-up payloads hold it).
_LABEL = re.compile(r"(?P<brand>.+) ending (?P<last4>\d{4})")


def card_label(brand: str, last4: str, words: Translator = ENGLISH) -> str:
    """ "Visa ending 4242", in ``words``' language."""
    return words.gettext("%(brand)s ending %(last4)s") % {"brand": brand, "last4": last4}


def label_in(label: str, words: Translator) -> str:
    """An English card label as stored ("Visa ending 4242") in ``words``' language; a label
    of another shape is shown as it is."""
    match = _LABEL.fullmatch(label)
    if match is None:
        return label
    return card_label(match["brand"], match["last4"], words)


@dataclass(frozen=True, slots=True)
class CardDetails:
    """What we keep of a card."""

    brand: str
    last4: str
    exp_month: int
    exp_year: int
    name_on_card: str
    fingerprint: str

    @property
    def label(self) -> str:
        return card_label(self.brand, self.last4)


def clean_number(raw: str) -> str:
    """Digits only; spaces and dashes as people type them are allowed, nothing else."""
    digits = raw.replace(" ", "").replace("-", "")
    if not digits.isascii() or not digits.isdigit():
        raise InvalidInput("number", "Enter the card number using digits only.")
    if not 12 <= len(digits) <= 19:
        raise InvalidInput("number", "That card number is not the right length.")
    return digits


def luhn_valid(digits: str) -> bool:
    """The mod-10 check every card number carries."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def detect_brand(digits: str) -> str | None:
    for brand, ranges, lengths in _BRANDS:
        if len(digits) not in lengths:
            continue
        for low, high in ranges:
            width = len(str(low))
            if low <= int(digits[:width]) <= high:
                return brand
    return None


def check_expiry(month: int, year: int, now: datetime) -> tuple[int, int]:
    """(month, four-digit year) if the card is still valid this month; two-digit years allowed."""
    if not 1 <= month <= 12:
        raise InvalidInput("exp_month", "Enter the expiry month as a number from 1 to 12.")
    if year < 100:
        year += 2000
    if (year, month) < (now.year, now.month):
        raise InvalidInput("exp_year", "This card has expired.")
    if year > now.year + 20:
        raise InvalidInput("exp_year", "Check the expiry year.")
    return month, year


def card_fingerprint(key: bytes, digits: str) -> str:
    """A keyed digest of the number: equal for the same card, useless without the key."""
    return hmac.new(key, b"otpgate.card.v1|" + digits.encode(), hashlib.sha256).hexdigest()


def read_card(
    *, number: str, exp_month: int, exp_year: int, name_on_card: str, key: bytes, now: datetime
) -> CardDetails:
    """Validate a card as typed and keep only what may be stored."""
    digits = clean_number(number)
    if not luhn_valid(digits):
        raise InvalidInput("number", "That card number is not valid; check the digits.")
    brand = detect_brand(digits)
    if brand is None:
        raise InvalidInput("number", "We don't accept this kind of card.")
    month, year = check_expiry(exp_month, exp_year, now)
    name = clean_line(name_on_card, "name_on_card", limit=MAX_NAME_ON_CARD)
    if not name:
        raise InvalidInput("name_on_card", "Enter the name as it appears on the card.")
    return CardDetails(
        brand=brand,
        last4=digits[-4:],
        exp_month=month,
        exp_year=year,
        name_on_card=name,
        fingerprint=card_fingerprint(key, digits),
    )


@dataclass(frozen=True, slots=True)
class PaymentMethod:
    """A stored card: never the number."""

    id: str
    account_id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    name_on_card: str
    billing_address_id: str | None
    fingerprint: str
    is_default: bool
    version: int

    @property
    def label(self) -> str:
        return card_label(self.brand, self.last4)

    @property
    def expiry(self) -> str:
        return f"{self.exp_month:02d}/{self.exp_year % 100:02d}"
