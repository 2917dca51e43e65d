"""Password rules (NIST SP 800-63B-4 §3.1.1.2, ASVS 6.2): length, normalisation, blocklists.

No composition rules, no truncation, no trimming: "Secret" and "Secret " are different.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from otpgate.domain.errors import InvalidInput

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
# zxcvbn scores 0..4; below 3 is guessable within an online/offline attack budget.
MIN_STRENGTH_SCORE = 3
# zxcvbn refuses longer input (4.5 raises above 72); the first 72 characters decide strength
# of a longer password well enough, and its cost grows with length.
ZXCVBN_MAX = 72


def normalize_password(raw: str) -> str:
    """NFKC form, so the same password typed on two keyboards hashes the same."""
    return unicodedata.normalize("NFKC", raw)


def check_password(password: str, *, context: Sequence[str] = (), field: str = "password") -> str:
    """Return the normalised password, or raise ``InvalidInput`` with the reason it is refused.

    ``context`` holds words specific to this account and service (brand, email local part,
    name): a password built from them is refused (ASVS 6.2.11).
    """
    normalized = normalize_password(password)
    length = len(normalized)
    if length < MIN_PASSWORD_LENGTH:
        raise InvalidInput(field, f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    if length > MAX_PASSWORD_LENGTH:
        raise InvalidInput(field, f"Use at most {MAX_PASSWORD_LENGTH} characters.")
    folded = normalized.casefold()
    words = [w.casefold() for w in context if w and len(w) >= 3]
    if _mostly_context(folded, words):
        raise InvalidInput(field, "Don't build your password from your name, email or our name.")
    # Loaded on the first password checked: its dictionaries cost every process ~14 MB.
    from zxcvbn import zxcvbn

    result = zxcvbn(normalized[:ZXCVBN_MAX], user_inputs=words)
    if result["score"] < MIN_STRENGTH_SCORE:
        feedback = result.get("feedback") or {}
        warning = str(feedback.get("warning") or "").strip()
        reason = warning or "This password is too easy to guess."
        if not reason.endswith("."):
            reason += "."
        raise InvalidInput(field, f"{reason} Try a longer phrase of unrelated words.")
    return normalized


def _mostly_context(folded: str, words: Sequence[str]) -> bool:
    """Whether little but context words is left once they are taken out of the password."""
    residue = folded
    for word in sorted(words, key=len, reverse=True):
        residue = residue.replace(word, "")
    if residue == folded:
        return False
    return sum(ch.isalpha() for ch in residue) < MIN_PASSWORD_LENGTH // 2 + 2
