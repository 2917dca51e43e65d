"""Issue 15, point 10: every message the pages, SMS and email use is in every catalogue,
translated (not fuzzy, not empty) and with exactly the placeholders of its English id."""

from __future__ import annotations

import pytest

from otpgate.domain.language import LANGUAGES
from otpgate.i18n import translator
from tests.i18n.catalogue import catalogue, problem, used

TRANSLATED = [language for language in LANGUAGES if language != "en"]


def test_the_code_and_templates_ask_for_messages() -> None:
    ids = used()
    # The extraction itself works: the footer's warning and a flash are found.
    assert "Sign out" in ids
    assert "You have signed out." in ids
    assert len(ids) > 30


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated(language: str) -> None:
    cat = catalogue(language)
    wrong = {
        f"{where}: {key!r}: {why}"
        for key, where in used().items()
        if (why := problem(cat.get(key if isinstance(key, str) else key[0]), key))
    }
    assert not wrong, f"{language}: {len(wrong)} messages:\n" + "\n".join(sorted(wrong))


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_catalogue_is_what_the_service_reads(language: str) -> None:
    words = translator(language)
    assert words.language == language
    assert words.gettext("Sign out") == catalogue(language)["Sign out"].string
    assert words.gettext("Sign out") != "Sign out"
    # An id no catalogue has reads as itself: never an empty text.
    assert words.gettext("no such message id") == "no such message id"


def test_english_is_the_message_ids() -> None:
    words = translator("en")
    assert words.gettext("Sign out") == "Sign out"
    assert words.ngettext("%(n)d minute", "%(n)d minutes", 2) == "%(n)d minutes"
    assert translator("xx") is words
