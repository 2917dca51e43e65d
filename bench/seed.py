"""Seeding through otpgate's own services (never through the Argon2-bound API).

Accounts share one precomputed Argon2id hash (hashing 10,000 passwords would take minutes and
measure nothing); challenges are opened by ``ChallengeIssuer.open`` exactly as sign-in opens
them; the code of each is read from the message the issuer queued; sessions are issued by
``SessionService.issue``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tests.texts import code_of

from otpgate.bootstrap import Runtime
from otpgate.domain.accounts import Account
from otpgate.domain.challenges import ForAccount, SignIn
from otpgate.domain.tokens import new_id
from otpgate.services.ports import RequestContext

CTX = RequestContext(ip="198.51.100.1", user_agent="bench")
PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Seeded:
    challenge_id: str
    code: str
    account_id: str


def phone(n: int) -> str:
    """A distinct valid US mobile number per account."""
    return f"+1415{5550000 + n:07d}"[:12]


async def accounts(runtime: Runtime, count: int, *, start: int = 0) -> list[str]:
    """``count`` confirmed accounts bench{n}@example.com with one shared password hash."""
    services = runtime.services
    password_hash = await runtime.hasher.hash(PASSWORD)
    now = runtime.clock.now()
    ids = []
    async with services.deps.store.transaction() as uow:
        for n in range(start, start + count):
            account_id = new_id("acc")
            await uow.accounts.insert(
                Account(
                    id=account_id,
                    name="Bench Customer",
                    email=f"bench{n}@example.com",
                    phone=phone(n),
                    password_hash=password_hash,
                    phone_verified=True,
                    created_at=now,
                )
            )
            ids.append(account_id)
    return ids


async def challenges(runtime: Runtime, account_ids: list[str]) -> list[Seeded]:
    """One pending sign-in challenge per account (a newer one would cancel the older), with
    its code; the messages are queued, not sent."""
    issuer = runtime.services.challenges
    seeded = []
    batch = 200
    for start in range(0, len(account_ids), batch):
        async with runtime.services.deps.store.transaction() as uow:
            for account_id in account_ids[start : start + batch]:
                account = await uow.accounts.get(account_id)
                assert account is not None
                challenge, message = await issuer.open(
                    uow,
                    subject=ForAccount(account_id),
                    intent=SignIn(),
                    destination=account.phone,
                    ctx=CTX,
                )
                seeded.append(Seeded(challenge.id, code_of(message.body), account_id))
    return seeded


async def sessions(runtime: Runtime, account_ids: list[str]) -> list[str]:
    """One live session token per account."""
    tokens = []
    async with runtime.services.deps.store.transaction() as uow:
        now: datetime = runtime.clock.now()
        for account_id in account_ids:
            issued = await runtime.services.sessions.issue(uow, account_id, CTX, now)
            tokens.append(issued.token)
    return tokens
