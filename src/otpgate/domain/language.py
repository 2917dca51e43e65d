"""The languages otpgate speaks, and how a message asks for its words.

Domain and service code never imports Babel: it takes a ``Translator`` (the account's or the
page's language) and calls ``gettext``/``ngettext`` with an English message id. The catalogues
behind it live in ``otpgate.i18n``; ``ENGLISH`` answers the message id itself, so a caller
that does not care about language (the JSON API, the tests of the rules) passes nothing.
"""

from __future__ import annotations

import re
from typing import Protocol

# English first: it is the message ids' own language and the fallback for every other.
LANGUAGES: tuple[str, ...] = ("en", "de", "fr")
DEFAULT_LANGUAGE = "en"
# Each language named in itself, for the picker (a German reader looks for "Deutsch").
NATIVE_NAMES: dict[str, str] = {"en": "English", "de": "Deutsch", "fr": "Français"}

_TAG = re.compile(r"^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*$")


class Translator(Protocol):
    @property
    def language(self) -> str: ...

    def gettext(self, message: str) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int) -> str: ...


class _English:
    language = DEFAULT_LANGUAGE

    def gettext(self, message: str) -> str:
        return message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return singular if n == 1 else plural


ENGLISH: Translator = _English()


def N_(message: str) -> str:
    """Marks ``message`` for the catalogue where it is defined; it is translated where shown."""
    return message


def supported(tag: str | None) -> str | None:
    """The language otpgate speaks for a tag ("de-AT" -> "de"), or None."""
    if not tag or len(tag) > 35 or not _TAG.match(tag):
        return None
    primary = tag.replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in LANGUAGES else None


def negotiate(accept_language: str | None) -> str:
    """The best of ``LANGUAGES`` for an ``Accept-Language`` header (RFC 9110 §12.5.4), by
    quality then order; English when nothing matches. A malformed entry is skipped, never an
    error: the header is the browser's, not the customer's choice."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    ranked: list[tuple[float, int, str]] = []
    for index, entry in enumerate(accept_language[:1000].split(",")[:40]):
        tag, _, params = entry.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = -1.0
        language = supported(tag.strip())
        if language is not None and 0 < quality <= 1:
            ranked.append((-quality, index, language))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE
