"""Email addresses: syntax check and one canonical form for lookups."""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email

from otpgate.domain.errors import InvalidInput
from otpgate.domain.text import is_forbidden

MAX_EMAIL_LENGTH = 254


def normalize_email(raw: str, *, field: str = "email") -> str:
    """The canonical form used for storage and lookups (lower case), or ``InvalidInput``.

    No DNS lookup: deliverability checks would make sign-up depend on the network and leak
    timing. Case is folded on the whole address because shops treat addresses that way.
    """
    text = raw.strip()
    if not text:
        raise InvalidInput(field, "Enter your email address.")
    if len(text) > MAX_EMAIL_LENGTH:
        raise InvalidInput(field, "That email address is too long.")
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput(field, "Enter a valid email address, like name@example.com.") from exc
    address = checked.normalized.lower()
    # email-validator refuses these already; an address is named in texts (S41), so say so here.
    if any(is_forbidden(ch) for ch in address):
        raise InvalidInput(field, "Enter a valid email address, like name@example.com.")
    return address


def throttle_key(raw: str) -> str:
    """The key password throttling uses: the address in the form accounts are looked up by.

    Every spelling that reaches the same account (case, full-width letters, IDNA forms of the
    domain) must land in the same bucket, or each spelling would be a fresh set of tries.
    Unknown and invalid addresses are keyed by the same rule, so throttling never tells them
    apart from known ones.
    """
    try:
        return normalize_email(raw)
    except InvalidInput:
        return unicodedata.normalize("NFKC", raw).strip().casefold()[:MAX_EMAIL_LENGTH]


def mask_email(email: str) -> str:
    """ "alice@example.com" -> "a•••@example.com"."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"
