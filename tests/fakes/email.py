"""In-memory ``EmailLinks`` and ``Recoveries`` (services/email_storage.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from otpgate.services.email_storage import (
    OPEN_RECOVERY,
    EmailLink,
    LinkPurpose,
    Recovery,
    RecoveryChanges,
    RecoveryStatus,
)
from tests.fakes.tables import Tables, require


class MemoryEmailLinks:
    def __init__(self, tables: Tables) -> None:
        self.t = tables

    async def add(self, link: EmailLink) -> None:
        require(link.account_id in self.t.accounts, "email_links.account_id")
        require(
            all(other.token_hash != link.token_hash for other in self.t.email_links.values()),
            "email_links.token_hash",
        )
        self.t.email_links[link.id] = link

    def _usable(self, token_hash: str, purpose: LinkPurpose, now: datetime) -> EmailLink | None:
        return next(
            (
                link
                for link in self.t.email_links.values()
                if link.token_hash == token_hash
                and link.purpose is purpose
                and link.used_at is None
                and link.expires_at > now
            ),
            None,
        )

    async def find(self, token_hash: str, purpose: LinkPurpose, now: datetime) -> EmailLink | None:
        return self._usable(token_hash, purpose, now)

    async def take(self, token_hash: str, purpose: LinkPurpose, now: datetime) -> EmailLink | None:
        link = self._usable(token_hash, purpose, now)
        if link is None:
            return None
        taken = replace(link, used_at=now)
        self.t.email_links[link.id] = taken
        return taken

    async def void(self, account_id: str, purpose: LinkPurpose, now: datetime) -> None:
        for key, link in list(self.t.email_links.items()):
            if link.account_id == account_id and link.purpose is purpose and link.used_at is None:
                self.t.email_links[key] = replace(link, used_at=now)

    async def void_target(self, target_id: str, now: datetime) -> None:
        for key, link in list(self.t.email_links.items()):
            if link.target_id == target_id and link.used_at is None:
                self.t.email_links[key] = replace(link, used_at=now)


class MemoryRecoveries:
    def __init__(self, tables: Tables) -> None:
        self.t = tables

    async def add(self, recovery: Recovery) -> None:
        require(recovery.account_id in self.t.accounts, "recoveries.account_id")
        self.t.recoveries[recovery.id] = recovery

    async def get(self, recovery_id: str) -> Recovery | None:
        return self.t.recoveries.get(recovery_id)

    async def open_for(self, account_id: str, now: datetime) -> Recovery | None:
        found = [
            r
            for r in self.t.recoveries.values()
            if r.account_id == account_id and r.status in OPEN_RECOVERY and r.expires_at > now
        ]
        return max(found, key=lambda r: r.created_at, default=None)

    async def move(
        self, recovery_id: str, expected: RecoveryStatus, changes: RecoveryChanges
    ) -> bool:
        recovery = self.t.recoveries.get(recovery_id)
        if recovery is None or recovery.status is not expected:
            return False
        values: dict[str, Any] = dict(changes)
        if "status" in values:
            values["status"] = RecoveryStatus(values["status"])
        self.t.recoveries[recovery_id] = replace(recovery, **values)
        return True

    async def for_challenge(self, challenge_id: str) -> Recovery | None:
        return next((r for r in self.t.recoveries.values() if r.challenge_id == challenge_id), None)
