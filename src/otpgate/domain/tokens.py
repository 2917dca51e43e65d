"""Opaque bearer secrets (sessions, trusted browsers): made from the CSPRNG, stored as hashes."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32  # 256 bits, beyond ASVS 7.2.3's 128


def new_token(prefix: str) -> str:
    """A fresh token such as ``ses_<43 url-safe characters>``."""
    return f"{prefix}_{secrets.token_urlsafe(TOKEN_BYTES)}"


def token_hash(token: str) -> str:
    """What the database keeps: SHA-256 of the token (it has full entropy, so no salt needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_id(prefix: str) -> str:
    """A public identifier for rows (not a secret)."""
    return f"{prefix}_{secrets.token_urlsafe(12)}"
