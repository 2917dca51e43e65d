"""The ports services need besides storage (``storage.py``): small Protocols that adapters
implement and tests fake."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from otpgate.domain.language import DEFAULT_LANGUAGE


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Who is asking: the client address (after trusted proxies) and the user agent."""

    ip: str = "unknown"
    user_agent: str = ""
    # The request's language (picker, then Accept-Language): a new account's, and the texts'
    # of a challenge whose account has none yet.
    language: str = DEFAULT_LANGUAGE


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A message to hand to a channel's providers. ``body`` may hold a code: it lives in
    memory only (the stored row has it sealed)."""

    message_id: str
    channel: str
    to: str
    body: str
    purpose: str
    challenge_id: str | None
    account_id: str | None
    expires_at: datetime


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str:
        """Argon2id hash of ``password``, computed off the event loop."""
        ...

    async def verify(self, password_hash: str, password: str) -> bool:
        """Whether ``password`` matches ``password_hash``."""
        ...

    async def burn(self, password: str) -> None:
        """Spend the time of one verify, for accounts that do not exist (S17)."""
        ...

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether the hash was made with weaker parameters than today's."""
        ...


class RateLimiter(Protocol):
    async def hit(self, rule: str, key: str) -> None:
        """Count one use of ``rule`` for ``key``; raise ``RateLimited`` when over the limit."""
        ...

    async def hit_all(self, buckets: Sequence[tuple[str, str]]) -> None:
        """Count one use in every ``(rule, key)`` bucket, atomically: all are counted, or
        (``RateLimited`` naming the fullest) none is. One round trip, whatever the number."""
        ...

    async def test(self, rule: str, key: str) -> None:
        """Raise ``RateLimited`` when one more use of ``rule`` for ``key`` would be refused;
        counts nothing."""
        ...

    async def clear(self, rule: str, key: str) -> None:
        """Forget the uses of ``rule`` for ``key``."""
        ...

    async def ping(self) -> bool:
        """Whether the limiter's storage answers."""
        ...


class Provider(Protocol):
    """One provider of one channel (an SMS gateway, later a voice or mail service). Vendor
    errors never escape: they become our ``DeliveryError`` (retry later, maybe elsewhere) or
    ``PermanentDeliveryError`` (this destination will never work)."""

    name: str

    async def send(self, to: str, body: str, *, message_id: str, purpose: str) -> str:
        """Send ``body`` to ``to``; return the provider's message id.

        ``message_id`` is ours and stable across retries: providers that accept an
        idempotency key get it, so a retried send never produces a second message.
        """
        ...

    async def check(self) -> str:
        """A short line for ``otpgate doctor`` saying whether the provider is usable."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


class Sealer(Protocol):
    """Authenticated encryption for message bodies at rest (they hold codes)."""

    def seal(self, plaintext: str, context: str) -> bytes:
        """Encrypt ``plaintext`` bound to ``context`` (the message id)."""
        ...

    def open(self, sealed: bytes, context: str) -> str:
        """Decrypt what ``seal`` made for the same ``context``; raise if it does not open."""
        ...


class Dispatcher(Protocol):
    def submit(self, message: OutgoingMessage) -> None:
        """Hand a committed message to delivery; returns at once."""
        ...


class Metrics(Protocol):
    def incr(self, name: str, **labels: str) -> None:
        """Count one occurrence of ``name`` (a counter declared by the adapter)."""
        ...


class NoMetrics:
    """Metrics that go nowhere (unit tests, tools)."""

    def incr(self, name: str, **labels: str) -> None:
        return None
