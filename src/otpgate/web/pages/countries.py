"""Country names for the forms, in the page's language.

The codes a form may offer are the domain's (``domain.addresses.COUNTRIES``). The English
names are libphonenumber's, kept in ``country_names.py`` (importing its locale data costs
every worker ~100 MB); German and French ones are CLDR's, from Babel. A list is sorted as a
reader of its language expects: letters with accents beside the plain ones ("Ägypten" among
the A's, "Île de l’Ascension" among the I's), case ignored.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from functools import cache

from babel import Locale

from otpgate import i18n
from otpgate.domain.addresses import COUNTRIES
from otpgate.domain.language import DEFAULT_LANGUAGE
from otpgate.web.pages.country_names import NAMES

# CLDR's short names where its default is an official title a reader would not look for
# ("Sonderverwaltungsregion Hongkong" sorted under S); Babel has only the default names.
SHORT: dict[str, dict[str, str]] = {
    "de": {"HK": "Hongkong", "MO": "Macau", "PS": "Palästina"},
    "fr": {"HK": "Hong Kong", "MO": "Macao", "PS": "Palestine"},
}


@cache
def _names(language: str) -> Mapping[str, str]:
    if language == DEFAULT_LANGUAGE:
        return NAMES
    territories = Locale.parse(language).territories
    return {**NAMES, **territories, **SHORT.get(language, {})}


def country_name(code: str, language: str | None = None) -> str:
    """``code``'s name in ``language`` (the page's by default); the code itself if unknown."""
    return _names(language or i18n.current_language()).get(code, code)


def collation_key(text: str) -> tuple[str, str]:
    """Alphabetical order across languages without ICU: accents and case set aside first
    (Å with A, É with E), then kept to break ties."""
    plain = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    return plain.casefold(), text


def by_name(options: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """(code, shown text) pairs sorted by the shown text."""
    return tuple(sorted(options, key=lambda option: collation_key(option[1])))


@cache
def _options(language: str) -> tuple[tuple[str, str], ...]:
    return by_name((code, country_name(code, language)) for code in COUNTRIES)


def country_options() -> tuple[tuple[str, str], ...]:
    """(code, name) for every country an address may be in, sorted by name, in the page's
    language."""
    return _options(i18n.current_language())
