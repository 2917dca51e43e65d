"""What a signed-in customer reads about their own account."""

from __future__ import annotations

from collections.abc import Sequence

from otpgate.domain.accounts import EventType, SecurityEvent
from otpgate.services.audit import audit
from otpgate.services.deps import Deps

MAX_EVENTS_PAGE = 101  # a page of 100 and one more, to know whether more follow


class AccountService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def events(
        self, account_id: str, limit: int = 50, before_id: int | None = None
    ) -> Sequence[SecurityEvent]:
        """The account's security activity, newest first, ``limit`` at a time."""
        limit = max(1, min(limit, MAX_EVENTS_PAGE))
        async with self.deps.store.transaction() as uow:
            now = self.deps.clock.now()
            # Codes nobody used still belong in the trail: record them as expired first.
            for challenge in await uow.challenges.expire_overdue(account_id, now):
                await audit(
                    uow,
                    EventType.CHALLENGE_EXPIRED,
                    "expired",
                    at=now,
                    account_id=account_id,
                    challenge_id=challenge.id,
                    purpose=challenge.purpose.value,
                    summary=challenge.action.summary if challenge.action else None,
                )
            return await uow.audit.list(account_id, limit, before_id)
