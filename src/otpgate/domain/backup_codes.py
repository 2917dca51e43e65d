"""Backup codes: ten single-use codes for when the phone is lost (DESIGN §4 "Recovery").

A code is 10 characters from a 30-character alphabet without look-alikes (no 0/o, 1/l/i, u),
shown as ``xxxxx-xxxxx``: 49 bits each, drawn with ``secrets``.

Stored as HMAC-SHA256 under the server key, bound to the account: a slow password hash buys
nothing for a random 49-bit secret (there is no dictionary to slow down), and the keyed digest
means a copy of the database alone gives nothing to try offline. Because the digest is
deterministic, a code is found and spent by one conditional update on its digest (``WHERE
digest IN (...) AND used_at IS NULL``); the database compares digests, never codes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Sequence

ALPHABET = "23456789abcdefghjkmnpqrstvwxyz"
LENGTH = 10
COUNT = 10


def new_codes(count: int = COUNT) -> list[str]:
    """``count`` distinct fresh codes, unformatted (``formatted`` shows them)."""
    codes: set[str] = set()
    while len(codes) < count:
        codes.add("".join(secrets.choice(ALPHABET) for _ in range(LENGTH)))
    return sorted(codes)


def formatted(code: str) -> str:
    """``abcdefghjk`` -> ``abcde-fghjk``."""
    return f"{code[:5]}-{code[5:]}"


def normalize(raw: str) -> str | None:
    """The code as typed, without spaces, dashes and case; None when it can't be one."""
    cleaned = "".join(
        ch
        for ch in unicodedata.normalize("NFKC", raw.strip()).lower()
        if ch not in "-." and not ch.isspace()
    )
    if len(cleaned) != LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def digest(key: bytes, account_id: str, code: str) -> str:
    """The hex HMAC-SHA256 that binds ``code`` to ``account_id`` under ``key``."""
    message = f"otpgate.backup.v1|{account_id}|{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def digests(keys: Sequence[bytes], account_id: str, code: str) -> list[str]:
    """The digest under every accepted key (a rotated key keeps its codes working)."""
    return [digest(key, account_id, code) for key in keys]
