"""Country names for the address forms, from the data libphonenumber already ships.

The codes a form may offer are the domain's (``domain.addresses.COUNTRIES``); the English
names come from ``phonenumbers.geodata.locale``, where ``"*xx"`` points at another entry.
"""

from __future__ import annotations

from functools import cache

from phonenumbers.geodata.locale import LOCALE_DATA

from otpgate.domain.addresses import COUNTRIES


def country_name(code: str) -> str:
    names = LOCALE_DATA.get(code, {})
    name = names.get("en", "")
    if name.startswith("*"):
        name = names.get(name[1:], "")
    return name or code


@cache
def country_options() -> tuple[tuple[str, str], ...]:
    """(code, name) for every country an address may be in, sorted by name."""
    return tuple(sorted(((code, country_name(code)) for code in COUNTRIES), key=lambda c: c[1]))
