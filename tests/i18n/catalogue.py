"""What the code and the templates ask to be translated, read as ``make messages`` reads it
(``babel.cfg``), and the catalogues' entries, one language at a time."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from otpgate.i18n import LOCALES_DIR

ROOT = Path(__file__).resolve().parents[2]
# The same keywords as ``make messages``: an error's message is a message id too.
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "InvalidInput": (2,), "ChangeTooLong": (2,)}
# ``%(name)s`` of gettext's python-format, and a stray ``%s``.
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")

MessageId = str | tuple[str, ...]


@cache
def used() -> dict[MessageId, str]:
    """Every message id the code and templates use -> where the first one is."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found: dict[MessageId, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        key: MessageId = message if isinstance(message, str) else tuple(message)
        found.setdefault(key, f"{filename}:{lineno}")
    return found


@cache
def catalogue(language: str) -> Catalog:
    """Every ``.po`` file of ``language``, merged (as ``otpgate.i18n`` loads them)."""
    merged = Catalog(locale=language)
    for path in sorted((LOCALES_DIR / language / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle, locale=language):
                if message.id:
                    merged[message.id] = message
    return merged


def placeholders(text: str) -> list[str]:
    return sorted(match.group(0) for match in PLACEHOLDER.finditer(text))


def problem(message: Message | None, key: MessageId) -> str | None:
    """Why an entry can't be used for ``key``, or None when it can."""
    if message is None:
        return "missing"
    if message.fuzzy:
        return "fuzzy"
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    if not all(strings):
        return "empty"
    ids = key if isinstance(key, tuple) else (key,)
    wanted = placeholders(ids[-1])
    for string in strings:
        # A plural's one-form may leave out the number ("eine Minute"), never a name.
        have = placeholders(string)
        if have != wanted and not (isinstance(key, tuple) and set(have) <= set(wanted)):
            return f"placeholders {have} instead of {wanted}"
    return None
