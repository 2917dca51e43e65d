"""Issue 15, point 10: a template's words all come from the catalogue. This fails on any text
a reader sees (an element's text, or an ``aria-label``, ``title``, ``placeholder``, ``alt`` or
button ``value``) that is written into a template instead of going through ``{% trans %}``
or ``_()``: such a string would stay English on a German page."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from otpgate.web.pages.common import TEMPLATES_DIR

TEMPLATES = sorted(TEMPLATES_DIR.glob("*.html"))
SHOWN_ATTRIBUTES = {"aria-label", "title", "placeholder", "alt", "aria-description"}
# Jinja's own syntax, in the order it must be taken out: comments, translated blocks, the
# rest of the statements, then expressions (which the catalogue tests cover when they call _).
COMMENT = re.compile(r"\{#.*?#\}", re.S)
# A block that fills in a class name (``{% block main_class %} main--wide{% endblock %}``).
CLASS_BLOCK = re.compile(r"\{%-?\s*block\s+\w*class\s*-?%\}.*?\{%-?\s*endblock\b.*?%\}", re.S)
TRANS_BLOCK = re.compile(r"\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}", re.S)
STATEMENT = re.compile(r"\{%.*?%\}", re.S)
EXPRESSION = re.compile(r"\{\{.*?\}\}", re.S)
# Marks a filled-in value: no letters, so it never reads as a word.
FILLED = "\u2063"
WORD = re.compile(r"[^\W\d_]{2,}")
# Not words: the brand mark's text, and separators.
NOT_WORDS = {"otpgate"}


class _Shown(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        values = dict(attrs)
        for name, value in attrs:
            # An <input type=submit>'s value is its label; a <button>'s value is not shown.
            shown = name in SHOWN_ATTRIBUTES or (
                tag == "input"
                and name == "value"
                and values.get("type") in ("submit", "button", "reset")
            )
            if shown and value:
                self.found.append(f"{tag}[{name}]: {value}")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.found.append(data.strip())


def untranslated(source: str) -> list[str]:
    text = COMMENT.sub("", source)
    text = CLASS_BLOCK.sub("", text)
    text = TRANS_BLOCK.sub(FILLED, text)
    text = STATEMENT.sub("", text)
    text = EXPRESSION.sub(FILLED, text)
    parser = _Shown()
    parser.feed(text)
    parser.close()
    return [
        found
        for found in parser.found
        if any(word.lower() not in NOT_WORDS for word in WORD.findall(found.split("]: ")[-1]))
    ]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_every_shown_word_goes_through_the_catalogue(template: Path) -> None:
    left = untranslated(template.read_text())
    assert not left, f"{template.name}: words outside the catalogue: {left}"


def test_the_check_finds_words_and_leaves_translated_ones() -> None:
    source = (
        '<p>{% trans %}Hello {{ name }}{% endtrans %}</p><button aria-label="Close">'
        "{{ _('Save') }}</button><h1>Your account</h1>{# a comment #}"
        '<input type="submit" value="Send"><script>var a = "text";</script>'
        '<button type="submit" name="choice" value="allow">{{ _("Allow") }}</button>'
        "{% block main_class %} main--wide{% endblock %}"
    )
    assert untranslated(source) == [
        "button[aria-label]: Close",
        "Your account",
        "input[value]: Send",
    ]
