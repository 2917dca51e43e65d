"""One-time codes: generation, keyed digests and constant-time checks.

A code is never stored. What is stored is HMAC-SHA256 over the challenge id and the code under
a server key, so a leaked database row is worthless without the key, and a code of one challenge
can never match another challenge's digest (S4). Several keys may be accepted at once so the
key can be rotated without voiding codes in flight.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Sequence

MIN_CODE_LENGTH = 6
MAX_CODE_LENGTH = 10


def generate_code(length: int) -> str:
    """A uniformly random decimal code of ``length`` digits from the OS CSPRNG."""
    if not MIN_CODE_LENGTH <= length <= MAX_CODE_LENGTH:
        raise ValueError(f"code length must be {MIN_CODE_LENGTH}..{MAX_CODE_LENGTH}")
    return f"{secrets.randbelow(10**length):0{length}d}"


def code_digest(key: bytes, challenge_id: str, code: str) -> str:
    """The hex HMAC-SHA256 that binds ``code`` to ``challenge_id`` under ``key``."""
    message = f"otpgate.code.v1|{challenge_id}|{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def code_matches(keys: Sequence[bytes], challenge_id: str, code: str, stored_digest: str) -> bool:
    """Whether ``code`` matches ``stored_digest`` under any accepted key, in constant time.

    Every key is tried even after a match so the time taken does not say which key matched.
    """
    matched = False
    for key in keys:
        candidate = code_digest(key, challenge_id, code)
        matched |= hmac.compare_digest(candidate, stored_digest)
    return matched


def normalize_code_input(raw: str) -> str:
    """Strip what people and autofill add around a code: spaces, dashes, dots, a leading '#'."""
    cleaned = raw.strip().lstrip("#")
    # Any kind of space or dash (thin spaces, en dashes...) and dots: what phones and people
    # put between digit groups. Everything else stays, so a stray letter is still refused.
    return "".join(
        ch for ch in cleaned if ch not in ".\t" and unicodedata.category(ch) not in ("Zs", "Pd")
    )


def is_well_formed(code: str, length: int) -> bool:
    """Whether ``code`` has exactly ``length`` ASCII digits."""
    return len(code) == length and code.isascii() and code.isdigit()
