"""The ``Challenges`` port on SQL: every state change is a conditional UPDATE."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from otpgate.adapters.storage import rows
from otpgate.adapters.storage.base import Repository
from otpgate.adapters.storage.claims import claim_in_steps, claim_on_postgres, claim_with_driver
from otpgate.adapters.storage.models import challenges, messages
from otpgate.domain.challenges import Challenge, Purpose, Status
from otpgate.domain.policy import StreakRule
from otpgate.services.ports import RequestContext
from otpgate.services.storage import Claim

_PENDING = Status.PENDING.value


def latest_delivery_status() -> Any:
    """The status of a challenge's newest message, as a correlated subquery: one statement
    reads any number of challenges with their delivery status (no query per row)."""
    return (
        select(messages.c.status)
        .where(messages.c.challenge_id == challenges.c.id)
        .order_by(messages.c.created_at.desc(), messages.c.id.desc())
        .limit(1)
        .correlate(challenges)
        .scalar_subquery()
        .label("delivery_status")
    )


class SqlChallenges(Repository):
    async def insert(self, challenge: Challenge, ctx: RequestContext) -> None:
        await self.conn.execute(
            insert(challenges).values(
                id=challenge.id,
                status=challenge.status.value,
                destination=challenge.destination,
                code_digest=challenge.code_digest,
                attempts=challenge.attempts,
                max_attempts=challenge.max_attempts,
                sends=challenge.sends,
                created_at=challenge.created_at,
                expires_at=challenge.expires_at,
                last_sent_at=challenge.last_sent_at,
                ip=ctx.ip[:64],
                user_agent=ctx.user_agent[:300],
                **rows.challenge_columns(challenge),
            )
        )

    async def get(self, challenge_id: str) -> Challenge | None:
        row = await self._one(
            select(challenges, latest_delivery_status()).where(challenges.c.id == challenge_id)
        )
        return rows.challenge(row) if row else None

    async def claim_attempt(
        self,
        challenge_id: str,
        now: datetime,
        *,
        session_id: str | None,
        streak: StreakRule,
        api_key_id: str | None = None,
    ) -> Claim:
        # Counting the attempt before the comparison, atomically: no request can compare a
        # code without first spending one of the challenge's attempts (kratos' order), and
        # none can skip the account's pause (see claims.py).
        if self.driver is not None:
            return await claim_with_driver(
                self.driver, challenge_id, now, session_id, api_key_id, streak
            )
        claim = claim_on_postgres if self.conn.dialect.name == "postgresql" else claim_in_steps
        return await claim(self.conn, challenge_id, now, session_id, api_key_id, streak)

    async def approve(self, challenge_id: str, now: datetime) -> bool:
        return await self.end(challenge_id, Status.APPROVED, now)

    async def end(
        self,
        challenge_id: str,
        status: Status,
        now: datetime,
        from_status: Status = Status.PENDING,
    ) -> bool:
        changed = await self._count(
            update(challenges)
            .where(challenges.c.id == challenge_id, challenges.c.status == from_status.value)
            .values(status=status.value, ended_at=now, action_payload=rows.scrubbed_payload())
        )
        return changed == 1

    async def replace_code(
        self, challenge_id: str, digest: str, sends_before: int, now: datetime, expires_at: datetime
    ) -> Challenge | None:
        row = await self._one(
            update(challenges)
            .where(
                challenges.c.id == challenge_id,
                challenges.c.status == _PENDING,
                challenges.c.sends == sends_before,
            )
            .values(
                code_digest=digest,
                sends=challenges.c.sends + 1,
                last_sent_at=now,
                expires_at=expires_at,
            )
            .returning(*challenges.c)
        )
        return rows.challenge(row) if row else None

    async def cancel_pending(self, account_id: str, purpose: Purpose, now: datetime) -> None:
        await self.conn.execute(
            update(challenges)
            .where(
                challenges.c.account_id == account_id,
                challenges.c.purpose == purpose.value,
                challenges.c.status == _PENDING,
            )
            .values(
                status=Status.CANCELED.value, ended_at=now, action_payload=rows.scrubbed_payload()
            )
        )

    async def expire_overdue(self, account_id: str, now: datetime) -> Sequence[Challenge]:
        result = await self.conn.execute(
            update(challenges)
            .where(
                challenges.c.account_id == account_id,
                challenges.c.status == _PENDING,
                challenges.c.expires_at <= now,
            )
            .values(
                status=Status.EXPIRED.value, ended_at=now, action_payload=rows.scrubbed_payload()
            )
            .returning(*challenges.c)
        )
        return [rows.challenge(row) for row in result.mappings()]
