"""Who is asking: a customer with a live session, or (next) one of the shop's applications
with an API key. Services take a principal rather than a raw session."""

from __future__ import annotations

from dataclasses import dataclass

from otpgate.domain.accounts import Account, Session


@dataclass(frozen=True, slots=True)
class Customer:
    """A customer signed in with a live session (its account as loaded with the session)."""

    session: Session
    account: Account


@dataclass(frozen=True, slots=True)
class ApiClient:
    """One of the shop's applications, calling with an API key (``otk_...``)."""

    key_id: str
    name: str
    scopes: frozenset[str]


Principal = Customer | ApiClient
