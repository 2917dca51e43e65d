"""Typing a mobile number: a country to choose, then the number as it is dialled at home.

"06 12 34 56 78" with France chosen is +33612345678; a number typed with "+" and its country
code is read as it stands, whatever the choice. The list is every region libphonenumber knows
(only the shop's countries when it limits them), the shop's own countries first.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import cache

import phonenumbers

from otpgate import i18n
from otpgate.config import Settings
from otpgate.domain.phones import parse_mobile
from otpgate.web.pages.countries import by_name, country_name


@cache
def _all_regions(language: str) -> tuple[tuple[str, str], ...]:
    return by_name(
        (code, f"{country_name(code, language)} (+{phonenumbers.country_code_for_region(code)})")
        for code in phonenumbers.SUPPORTED_REGIONS
        if code != "001"
    )


def country_choices(settings: Settings) -> list[tuple[str, str]]:
    """(region, "France (+33)") pairs: the shop's countries first, then the rest by name, in
    the page's language."""
    every = _all_regions(i18n.current_language())
    allowed = tuple(settings.sms_allowed_countries)
    if allowed:
        return [option for code in allowed for option in every if option[0] == code]
    first = [settings.sms_default_region] if settings.sms_default_region else []
    top = [option for code in first for option in every if option[0] == code]
    return top + [option for option in every if option[0] not in first]


def default_country(settings: Settings, *, number: str | None = None) -> str:
    """The country chosen before anyone chooses: the number's own, the shop's, or the US."""
    if number:
        try:
            region = phonenumbers.region_code_for_number(phonenumbers.parse(number))
        except phonenumbers.NumberParseException:
            region = None
        if region:
            return region
    if settings.sms_default_region:
        return settings.sms_default_region
    return settings.sms_allowed_countries[0] if settings.sms_allowed_countries else "US"


def mobile_as_typed(raw: str, country: str, settings: Settings, field: str = "phone") -> str:
    """The number in E.164: national format read in ``country`` (a region of the list), an
    international one as it stands. ``InvalidInput`` (on ``field``) says what is wrong."""
    regions: Collection[str] = {code for code, _ in country_choices(settings)}
    region = country if country in regions else settings.sms_default_region
    return parse_mobile(
        raw,
        default_region=region,
        allowed_countries=settings.sms_allowed_countries,
        field=field,
    )
