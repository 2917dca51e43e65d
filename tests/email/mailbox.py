"""Reading mail: the links our mails carry, and the checks every mail must pass."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

LINK = re.compile(r"https?://\S+")
# Six or more digits in a row: what a sign-in code would look like (none may be in a mail).
CODE_LIKE = re.compile(r"(?<![\d:.-])\d{6,10}(?![\d:.-])")


def links(mail: dict[str, Any]) -> list[str]:
    return LINK.findall(mail["text"])


def token_of(mail: dict[str, Any], path: str) -> str:
    """The token of the link in ``mail`` that opens ``path``."""
    for url in links(mail):
        parts = urlsplit(url)
        if parts.path == path:
            return parse_qs(parts.query)["token"][0]
    raise AssertionError(f"no {path} link in {mail['subject']!r}")


def assert_no_code(mail: dict[str, Any], *codes: str) -> None:
    """Nothing in a mail is a code that signs in (N4 3.1.3.1, S8)."""
    for part in (mail["subject"], mail["text"], mail.get("html", "")):
        without_links = LINK.sub("", part)
        assert not CODE_LIKE.search(without_links), part
        for code in codes:
            assert code not in part
