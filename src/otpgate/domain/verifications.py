"""The verification API's rules: what a shop's application may put in a text message, the
details a code is bound to, and the claims of the approval token.

A verification is a challenge of purpose ``verify`` (``domain.challenges.Verification``):
the SMS names the shop's ``summary`` ("Pay €1,250.00 to ACME GmbH"), reduced to one quoted
line of printable characters, never cut (S41, S42); ``details`` are kept as canonical JSON
with their SHA-256, and a check must present the very same details (S46, PSD2 RTS art. 5
dynamic linking), so a code obtained for "pay €12 to A" never approves "pay €1,250 to B".
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from otpgate.domain.errors import InvalidInput
from otpgate.domain.language import ENGLISH, N_, Translator

MAX_SUMMARY = 120
MAX_DETAILS_BYTES = 4096
NEUTRAL_TEXT = N_("confirm it's you")
APPROVAL_TOKEN_LIFETIME = timedelta(minutes=5)
# What the token says was used: a code texted to a phone (RFC 8176).
APPROVAL_AMR = ("sms",)
# Line breaks in every spelling Unicode has: a summary is one line, or it is refused.
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_SPACES = re.compile(r"\s+")
_LOCALE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def reduce_summary(raw: str | None) -> str:
    """The summary as the SMS, the API and the token show it; ``InvalidInput`` when it can't
    be shown in full on one line.

    Line breaks are refused; other control and format characters (Unicode Cc, Cf: bidi
    overrides, zero-width joiners) are removed, since they could make the text read
    otherwise than it is stored; runs of spaces become one; a double quote becomes a single
    one, so the summary can never close the quotes the SMS puts around it and pose as our own
    text. Nothing is ever cut: a summary that is too long is refused (S42).
    """
    if raw is None:
        return ""
    text = unicodedata.normalize("NFC", raw)
    if any(ch in _LINE_BREAKS for ch in text):
        raise InvalidInput("summary", "The summary must be a single line.")
    # A tab is a space; every other control or format character goes.
    spaced = _SPACES.sub(" ", text)
    kept = "".join(ch for ch in spaced if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))
    reduced = _SPACES.sub(" ", kept).strip().replace('"', "'")
    if raw.strip() and not reduced:
        raise InvalidInput("summary", "The summary has no printable characters.")
    if len(reduced) > MAX_SUMMARY:
        raise InvalidInput(
            "summary",
            "The summary must be at most %(count)d characters; it is never cut.",
            count=MAX_SUMMARY,
        )
    return reduced


def sms_text(summary: str, words: Translator = ENGLISH) -> str:
    """What the code is for, after "... code to": the quoted summary (the shop's own words,
    never translated), or a neutral phrase in ``words``' language."""
    return f'"{summary}"' if summary else words.gettext(NEUTRAL_TEXT)


def canonical_details(details: Mapping[str, Any] | None) -> str:
    """One spelling of ``details``: sorted keys, no spaces, UTF-8 as is (absent = ``{}``).

    ``InvalidInput`` for anything but a JSON object of at most 4 KB in that spelling.
    """
    if details is None:
        details = {}
    if not isinstance(details, Mapping):
        raise InvalidInput("details", "details must be a JSON object.")
    try:
        text = json.dumps(
            details, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError, RecursionError) as exc:
        raise InvalidInput("details", "details must be plain JSON.") from exc
    if len(text.encode("utf-8")) > MAX_DETAILS_BYTES:
        raise InvalidInput(
            "details", "details must be at most %(count)d bytes as JSON.", count=MAX_DETAILS_BYTES
        )
    return text


def details_sha256(canonical: str) -> str:
    """The hex SHA-256 of canonical details, as the approval token's ``details_sha256``."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def number_subject(e164: str) -> str:
    """The token's ``sub`` for a number: its hex SHA-256 (a pseudonym, not a secret: the
    space of numbers is small enough to search)."""
    return hashlib.sha256(e164.encode("ascii")).hexdigest()


def check_locale(locale: str | None) -> str | None:
    """A BCP 47 tag such as ``en`` or ``pt-BR``. The text is written in its language when
    otpgate speaks it (``domain.language.supported``), else in the account's, else English."""
    if locale is None:
        return None
    if not _LOCALE.match(locale) or len(locale) > 35:
        raise InvalidInput("locale", "locale must be a language tag such as 'en' or 'pt-BR'.")
    return locale


def approval_claims(
    *,
    issuer: str,
    api_key_id: str,
    subject: str,
    token_id: str,
    verification_id: str,
    summary: str,
    details_hash: str,
    issued_at: datetime,
) -> dict[str, Any]:
    """The approval token's claims (DESIGN §5.2): who approved what, for which key, until when."""
    iat = int(issued_at.timestamp())
    return {
        "iss": issuer,
        "aud": api_key_id,
        "sub": subject,
        "jti": token_id,
        "iat": iat,
        "exp": iat + int(APPROVAL_TOKEN_LIFETIME.total_seconds()),
        "verification_id": verification_id,
        "summary": summary,
        "details_sha256": details_hash,
        "amr": list(APPROVAL_AMR),
    }
