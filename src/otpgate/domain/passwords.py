"""Password rules (NIST SP 800-63B-4 §3.1.1.2, ASVS 6.2): length, normalisation, blocklists.

No composition rules, no truncation, no trimming: "Secret" and "Secret " are different.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from otpgate.domain.errors import InvalidInput
from otpgate.domain.language import N_

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
# zxcvbn scores 0..4; below 3 is guessable within an online/offline attack budget.
MIN_STRENGTH_SCORE = 3
# zxcvbn refuses longer input (4.5 raises above 72); the first 72 characters decide strength
# of a longer password well enough, and its cost grows with length.
ZXCVBN_MAX = 72
# zxcvbn's warnings (its own English words), each with our advice, as whole messages so every
# language can say them; a warning not listed here is shown as zxcvbn wrote it.
TOO_EASY = {
    "": N_("This password is too easy to guess. Try a longer phrase of unrelated words."),
    "Straight rows of keys are easy to guess.": N_(
        "Straight rows of keys are easy to guess. Try a longer phrase of unrelated words."
    ),
    "Short keyboard patterns are easy to guess.": N_(
        "Short keyboard patterns are easy to guess. Try a longer phrase of unrelated words."
    ),
    'Repeats like "aaa" are easy to guess.': N_(
        'Repeats like "aaa" are easy to guess. Try a longer phrase of unrelated words.'
    ),
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".': N_(
        'Repeats like "abcabcabc" are only slightly harder to guess than "abc". Try a longer '
        "phrase of unrelated words."
    ),
    'Sequences like "abc" or "6543" are easy to guess.': N_(
        'Sequences like "abc" or "6543" are easy to guess. Try a longer phrase of unrelated words.'
    ),
    "Recent years are easy to guess.": N_(
        "Recent years are easy to guess. Try a longer phrase of unrelated words."
    ),
    "Dates are often easy to guess.": N_(
        "Dates are often easy to guess. Try a longer phrase of unrelated words."
    ),
    "This is a top-10 common password.": N_(
        "This is a top-10 common password. Try a longer phrase of unrelated words."
    ),
    "This is a top-100 common password.": N_(
        "This is a top-100 common password. Try a longer phrase of unrelated words."
    ),
    "This is a very common password.": N_(
        "This is a very common password. Try a longer phrase of unrelated words."
    ),
    "This is similar to a commonly used password.": N_(
        "This is similar to a commonly used password. Try a longer phrase of unrelated words."
    ),
    "A word by itself is easy to guess.": N_(
        "A word by itself is easy to guess. Try a longer phrase of unrelated words."
    ),
    "Names and surnames by themselves are easy to guess.": N_(
        "Names and surnames by themselves are easy to guess. Try a longer phrase of unrelated "
        "words."
    ),
    "Common names and surnames are easy to guess.": N_(
        "Common names and surnames are easy to guess. Try a longer phrase of unrelated words."
    ),
}


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
        raise InvalidInput(field, "Use at least %(count)d characters.", count=MIN_PASSWORD_LENGTH)
    if length > MAX_PASSWORD_LENGTH:
        raise InvalidInput(field, "Use at most %(count)d characters.", count=MAX_PASSWORD_LENGTH)
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
        if warning in TOO_EASY:
            raise InvalidInput(field, TOO_EASY[warning])
        reason = warning if warning.endswith(".") else warning + "."
        raise InvalidInput(
            field, "%(reason)s Try a longer phrase of unrelated words.", reason=reason
        )
    return normalized


def _mostly_context(folded: str, words: Sequence[str]) -> bool:
    """Whether little but context words is left once they are taken out of the password."""
    residue = folded
    for word in sorted(words, key=len, reverse=True):
        residue = residue.replace(word, "")
    if residue == folded:
        return False
    return sum(ch.isalpha() for ch in residue) < MIN_PASSWORD_LENGTH // 2 + 2
