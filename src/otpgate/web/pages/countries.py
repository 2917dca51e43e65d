"""Country names for the address forms.

The codes a form may offer are the domain's (``domain.addresses.COUNTRIES``); the English
names are libphonenumber's, kept in ``country_names.py`` (importing its locale data costs
every worker ~100 MB).
"""

from __future__ import annotations

from functools import cache

from otpgate.domain.addresses import COUNTRIES
from otpgate.web.pages.country_names import NAMES


def country_name(code: str) -> str:
    return NAMES.get(code, code)


@cache
def country_options() -> tuple[tuple[str, str], ...]:
    """(code, name) for every country an address may be in, sorted by name."""
    return tuple(sorted(((code, country_name(code)) for code in COUNTRIES), key=lambda c: c[1]))
