"""Reading what otpgate sends and shows, as a person would: shared by every kind of test."""

from __future__ import annotations

import re
from html import unescape

CODE_LINE = re.compile(r"^@[^ ]+ #(\d+)$")


def code_of(body: str) -> str:
    """The code from an SMS body: the origin-bound last line ``@host #code``."""
    match = CODE_LINE.match(body.splitlines()[-1])
    assert match, f"SMS does not end with an origin-bound code line: {body!r}"
    return match.group(1)


def wrong_code(code: str) -> str:
    """A code of the same length that is not ``code``."""
    return f"{(int(code) + 1) % 10 ** len(code):0{len(code)}d}"


def text_of(html: str) -> str:
    """The page as a person reads it: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
