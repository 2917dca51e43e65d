"""The catalogues: gettext ``.po`` files under ``otpgate/locales/<language>/LC_MESSAGES/``.

Every ``.po`` file of a language is read once per process and compiled in memory (no ``.mo``
build step, nothing generated in the tree); fuzzy or empty entries are left out, so a missing
translation falls back to the English message id instead of showing something unchecked. The
catalogue tests (``tests/i18n/test_catalogues.py``) fail when a message the code or a template
uses is missing from a language, or when a translation drops or adds a placeholder.

The language of a request lives in a context variable (set by the web middleware from the
picker's cookie, then ``Accept-Language``); pages and templates read it through ``gettext``.
Services are handed a ``Translator`` explicitly: the account's language for its SMS and
email, whatever the request's language is.
"""

from __future__ import annotations

import gettext as _gettext
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.dates import format_datetime
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from otpgate.domain.language import DEFAULT_LANGUAGE, ENGLISH, LANGUAGES, Translator

LOCALES_DIR = Path(__file__).resolve().parent / "locales"


class Catalogue:
    """One language's messages (every ``.po`` file of it, merged)."""

    def __init__(self, language: str, translations: _gettext.GNUTranslations) -> None:
        self.language = language
        self._translations = translations

    def gettext(self, message: str) -> str:
        return self._translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._translations.ngettext(singular, plural, n)


def _compile(language: str) -> _gettext.GNUTranslations:
    merged = Catalog(locale=language)
    for path in sorted((LOCALES_DIR / language / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle, locale=language):
                if message.id and message.string and not message.fuzzy:
                    merged[message.id] = message
    buffer = BytesIO()
    write_mo(buffer, merged, use_fuzzy=False)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


@cache
def translator(language: str | None) -> Translator:
    """The translator for ``language`` (one of ``LANGUAGES``; English for anything else)."""
    if language not in LANGUAGES or language == DEFAULT_LANGUAGE:
        return ENGLISH
    return Catalogue(language, _compile(language))


# -- the request's language --------------------------------------------------------------------

_CURRENT: ContextVar[Translator] = ContextVar("otpgate_language", default=ENGLISH)


def activate(language: str | None) -> Token[Translator]:
    return _CURRENT.set(translator(language))


def deactivate(token: Token[Translator]) -> None:
    _CURRENT.reset(token)


def current() -> Translator:
    return _CURRENT.get()


def current_language() -> str:
    return _CURRENT.get().language


def gettext(message: str) -> str:
    """``message`` in the request's language (pages and templates)."""
    return _CURRENT.get().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _CURRENT.get().ngettext(singular, plural, n)


_ = gettext


# -- dates -------------------------------------------------------------------------------------

# Day, short month, year and a 24-hour time in each language's own order and punctuation
# (German writes the day as an ordinal: "25. Nov. 2026").
MOMENT_PATTERNS = {"de": "d. MMM y, HH:mm"}


def format_moment(moment: datetime, language: str | None = None) -> str:
    """ "25 Nov 2026, 19:40 UTC", "25. Nov. 2026, 19:40 UTC", "25 nov. 2026, 19:40 UTC"."""
    chosen = language or current_language()
    pattern = MOMENT_PATTERNS.get(chosen, "d MMM y, HH:mm")
    moment_text = format_datetime(
        moment.astimezone(UTC), pattern, tzinfo=UTC, locale=Locale.parse(chosen)
    )
    return f"{moment_text} UTC"
