"""What a signed-in customer reads about their own account."""

from __future__ import annotations

from collections.abc import Sequence

from otpgate.domain.accounts import SecurityEvent
from otpgate.services.deps import Deps

MAX_EVENTS_PAGE = 100


class AccountService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def events(
        self, account_id: str, limit: int = 50, before_id: int | None = None
    ) -> Sequence[SecurityEvent]:
        """The account's security activity, newest first, ``limit`` at a time."""
        limit = max(1, min(limit, MAX_EVENTS_PAGE))
        async with self.deps.store.transaction() as tx:
            return await tx.list_events(account_id, limit, before_id)
