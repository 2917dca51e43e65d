"""User-typed text: one line of printable characters, quoted wherever our words surround it.

A value a customer types may end up inside a message we send (S41): a name in a step-up
text, an address line, a card's billing address. Two rules keep it from shaping that message:

- at input, every run of whitespace (line and paragraph separators, NEL, tabs included) becomes
  one space, and a value that still holds a control, format (bidi marks and overrides,
  zero-width characters), surrogate or separator character (Unicode Cc, Cf, Cs, Zl, Zp) is
  refused: it would be invisible, or change how the text around it reads;
- in a message, a value is reduced to one line again (values stored before these rules) and put
  in double quotes; a quotation mark inside it is shown as an apostrophe, so the only double
  quotes in a message are ours and no value can close them to pose as our text.
"""

from __future__ import annotations

import unicodedata

from otpgate.domain.errors import InvalidInput
from otpgate.domain.language import N_

FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# Marks that read as a double quote, besides the initial/final punctuation categories.
_DOUBLE_QUOTES = frozenset('"\uff02\u2033\u2036\u05f4\u3003\u301d\u301e\u301f\u275d\u275e')
UNSTORABLE = N_("This has characters we can't store.")


def is_forbidden(char: str) -> bool:
    """Whether ``char`` may never be part of a stored value (see the module docstring)."""
    return unicodedata.category(char) in FORBIDDEN_CATEGORIES


def one_line(text: str) -> str:
    """``text`` as one line of printable characters: forbidden characters dropped, every run
    of whitespace (line breaks too) one space, no space at either end."""
    kept = "".join(ch for ch in text if ch.isspace() or not is_forbidden(ch))
    return " ".join(kept.split())


def clean_line(raw: str, field: str, *, limit: int, unstorable: str = UNSTORABLE) -> str:
    """A one-line value as typed into ``field``: whitespace collapsed; ``InvalidInput`` when it
    holds a forbidden character or is longer than ``limit``."""
    text = " ".join(raw.split())
    if any(is_forbidden(ch) for ch in text):
        raise InvalidInput(field, unstorable)
    if len(text) > limit:
        raise InvalidInput(field, "Use at most %(count)d characters.", count=limit)
    return text


def _is_quote_mark(char: str) -> bool:
    return char in _DOUBLE_QUOTES or unicodedata.category(char) in ("Pi", "Pf")


def quote(value: str) -> str:
    """``value`` as a message shows it: one line, in double quotes that only we write."""
    inner = "".join("'" if _is_quote_mark(ch) else ch for ch in one_line(value))
    return f'"{inner}"'
