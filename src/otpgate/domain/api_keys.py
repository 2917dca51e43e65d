"""API keys: how one of the shop's applications authenticates (the second kind of principal).

A key is ``key_...`` (its public id) plus a secret ``otk_...`` of 256 random bits, shown once.
Only the secret's SHA-256 is stored. A fast, unsalted hash is enough here, unlike for
passwords: a salt and a slow KDF defend low-entropy secrets against guessing, and nobody can
guess 256 random bits, so SHA-256 of the secret is as good as the secret is and lets the key
be found by one indexed lookup (S45).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from otpgate.domain.errors import InvalidInput
from otpgate.domain.tokens import token_hash

SECRET_PREFIX = "otk_"
MAX_NAME = 100


class Scope(StrEnum):
    """What a key may do: ``verify`` (the verification API); ``events`` is reserved for reading
    security events through the API (the webhooks need no key)."""

    VERIFY = "verify"
    EVENTS = "events"


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    name: str
    scopes: frozenset[Scope]
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def new_api_key_id() -> str:
    """The key's public id (it names the key in events and in the approval token's ``aud``)."""
    return "key_" + secrets.token_urlsafe(12)


def new_api_key_secret() -> str:
    """``otk_`` and 256 bits from the OS CSPRNG."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    """What the database keeps of a secret (see the module docstring for why no salt)."""
    return token_hash(secret)


def looks_like_api_key(token: str) -> bool:
    """Whether a bearer token is spelled like an API key (to refuse it on the customer API)."""
    return token.startswith(SECRET_PREFIX)


def check_name(name: str) -> str:
    """A key's name, for people: one line, 1 to 100 printable characters."""
    cleaned = " ".join(name.split())
    if not cleaned or not cleaned.isprintable() or len(cleaned) > MAX_NAME:
        raise InvalidInput(
            "name", "A key's name is 1 to %(count)d printable characters.", count=MAX_NAME
        )
    return cleaned


def parse_scopes(values: list[str] | tuple[str, ...]) -> frozenset[Scope]:
    """The scopes asked for (``verify`` when none are); ``InvalidInput`` for an unknown one."""
    try:
        scopes = frozenset(Scope(value) for value in values)
    except ValueError:
        known = ", ".join(scope.value for scope in Scope)
        raise InvalidInput("scope", "Scopes are %(known)s.", known=known) from None
    return scopes or frozenset({Scope.VERIFY})
