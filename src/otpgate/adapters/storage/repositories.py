"""The ``Store`` and ``Transaction`` ports on SQLAlchemy Core: a few statements per use case."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import case, insert, null, select, text, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from otpgate.adapters.storage.account_data import AccountDataMixin
from otpgate.adapters.storage.models import (
    accounts,
    challenges,
    devices,
    events,
    sessions,
    sms_messages,
)
from otpgate.domain.accounts import Account, Device, EventType, SecurityEvent, Session
from otpgate.domain.challenges import Challenge, Purpose, Status
from otpgate.services.ports import RequestContext, SmsRecord


def _account(row: RowMapping) -> Account:
    return Account(
        id=row["id"],
        name=row["name"],
        email=row["email"],
        phone=row["phone"],
        password_hash=row["password_hash"],
        phone_verified=bool(row["phone_verified"]),
        created_at=row["created_at"],
        code_fail_streak=row["code_fail_streak"],
        code_lockouts=row["code_lockouts"],
        code_locked_until=row["code_locked_until"],
    )


def _challenge(row: RowMapping) -> Challenge:
    return Challenge(
        id=row["id"],
        account_id=row["account_id"],
        purpose=Purpose(row["purpose"]),
        status=Status(row["status"]),
        destination=row["destination"],
        code_digest=row["code_digest"],
        attempts=row["attempts"],
        max_attempts=row["max_attempts"],
        sends=row["sends"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        last_sent_at=row["last_sent_at"],
        remember_device=bool(row["remember_device"]),
        session_id=row["session_id"],
        action_type=row["action_type"],
        action_summary=row["action_summary"],
        action_hash=row["action_hash"],
        action_payload=row["action_payload"],
        delivery_status=row.get("delivery_status"),
    )


def latest_delivery_status() -> Any:
    """The status of a challenge's newest message, as a correlated subquery: one statement
    reads any number of challenges with their delivery status (no query per row)."""
    return (
        select(sms_messages.c.status)
        .where(sms_messages.c.challenge_id == challenges.c.id)
        .order_by(sms_messages.c.created_at.desc(), sms_messages.c.id.desc())
        .limit(1)
        .correlate(challenges)
        .scalar_subquery()
        .label("delivery_status")
    )


def _session(row: RowMapping) -> Session:
    return Session(
        id=row["id"],
        account_id=row["account_id"],
        created_at=row["created_at"],
        last_seen_at=row["last_seen_at"],
        expires_at=row["expires_at"],
        ip=row["ip"],
        user_agent=row["user_agent"],
        revoked_at=row["revoked_at"],
    )


def _device(row: RowMapping) -> Device:
    return Device(
        id=row["id"],
        account_id=row["account_id"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        user_agent=row["user_agent"],
        last_used_at=row["last_used_at"],
        revoked_at=row["revoked_at"],
    )


# Pending actions whose payload holds a password hash: once the challenge has ended the hash
# is either applied (and lives in ``accounts``) or never will be, so it is not kept.
SECRET_PAYLOAD_ACTIONS = ("change_password", "replace_unconfirmed")


def scrubbed_payload() -> Any:
    """The ``action_payload`` a challenge keeps after it ends."""
    return case(
        (challenges.c.action_type.in_(SECRET_PAYLOAD_ACTIONS), null()),
        else_=challenges.c.action_payload,
    )


class SqlTransaction(AccountDataMixin):
    """One open transaction on one pooled connection."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def _one(self, statement: Any) -> RowMapping | None:
        result = await self.conn.execute(statement)
        return result.mappings().first()

    # -- accounts ------------------------------------------------------------------------

    async def get_account(self, account_id: str) -> Account | None:
        row = await self._one(select(accounts).where(accounts.c.id == account_id))
        return _account(row) if row else None

    async def get_account_by_email(self, email: str) -> Account | None:
        row = await self._one(select(accounts).where(accounts.c.email == email))
        return _account(row) if row else None

    async def insert_account(self, account: Account) -> None:
        await self.conn.execute(
            insert(accounts).values(
                id=account.id,
                name=account.name,
                email=account.email,
                phone=account.phone,
                password_hash=account.password_hash,
                phone_verified=account.phone_verified,
                created_at=account.created_at,
                code_fail_streak=0,
                code_lockouts=0,
            )
        )

    async def set_phone_verified(self, account_id: str, now: datetime) -> None:
        await self.conn.execute(
            update(accounts)
            .where(accounts.c.id == account_id)
            .values(phone_verified=True, phone_verified_at=now)
        )

    async def set_password_hash(self, account_id: str, password_hash: str) -> None:
        await self.conn.execute(
            update(accounts).where(accounts.c.id == account_id).values(password_hash=password_hash)
        )

    async def add_code_failure(self, account_id: str) -> tuple[int, int]:
        row = await self._one(
            update(accounts)
            .where(accounts.c.id == account_id)
            .values(code_fail_streak=accounts.c.code_fail_streak + 1)
            .returning(accounts.c.code_fail_streak, accounts.c.code_lockouts)
        )
        if row is None:
            return 0, 0
        return int(row["code_fail_streak"]), int(row["code_lockouts"])

    async def set_code_lockout(
        self, account_id: str, streak: int, lockouts: int, locked_until: datetime | None
    ) -> None:
        await self.conn.execute(
            update(accounts)
            .where(accounts.c.id == account_id)
            .values(code_fail_streak=streak, code_lockouts=lockouts, code_locked_until=locked_until)
        )

    # -- challenges ----------------------------------------------------------------------

    async def insert_challenge(self, challenge: Challenge, ctx: RequestContext) -> None:
        await self.conn.execute(
            insert(challenges).values(
                id=challenge.id,
                account_id=challenge.account_id,
                purpose=challenge.purpose.value,
                status=challenge.status.value,
                destination=challenge.destination,
                code_digest=challenge.code_digest,
                attempts=challenge.attempts,
                max_attempts=challenge.max_attempts,
                sends=challenge.sends,
                created_at=challenge.created_at,
                expires_at=challenge.expires_at,
                last_sent_at=challenge.last_sent_at,
                remember_device=challenge.remember_device,
                session_id=challenge.session_id,
                action_type=challenge.action_type,
                action_summary=challenge.action_summary,
                action_hash=challenge.action_hash,
                action_payload=challenge.action_payload,
                ip=ctx.ip[:64],
                user_agent=ctx.user_agent[:300],
            )
        )

    async def get_challenge(self, challenge_id: str) -> Challenge | None:
        row = await self._one(
            select(challenges, latest_delivery_status()).where(challenges.c.id == challenge_id)
        )
        return _challenge(row) if row else None

    async def claim_attempt(self, challenge_id: str, now: datetime) -> Challenge | None:
        # Counting the attempt before the comparison, atomically: no request can compare a
        # code without first spending one of the challenge's attempts (kratos' order).
        row = await self._one(
            update(challenges)
            .where(
                challenges.c.id == challenge_id,
                challenges.c.status == Status.PENDING.value,
                challenges.c.attempts < challenges.c.max_attempts,
                challenges.c.expires_at > now,
            )
            .values(attempts=challenges.c.attempts + 1)
            .returning(*challenges.c)
        )
        return _challenge(row) if row else None

    async def approve_challenge(self, challenge_id: str, now: datetime) -> bool:
        result = await self.conn.execute(
            update(challenges)
            .where(challenges.c.id == challenge_id, challenges.c.status == Status.PENDING.value)
            .values(status=Status.APPROVED.value, ended_at=now, action_payload=scrubbed_payload())
        )
        return result.rowcount == 1

    async def end_challenge(
        self, challenge_id: str, status: str, now: datetime, from_status: str = Status.PENDING
    ) -> bool:
        result = await self.conn.execute(
            update(challenges)
            .where(challenges.c.id == challenge_id, challenges.c.status == from_status)
            .values(status=status, ended_at=now, action_payload=scrubbed_payload())
        )
        return result.rowcount == 1

    async def replace_code(
        self, challenge_id: str, digest: str, sends_before: int, now: datetime, expires_at: datetime
    ) -> bool:
        result = await self.conn.execute(
            update(challenges)
            .where(
                challenges.c.id == challenge_id,
                challenges.c.status == Status.PENDING.value,
                challenges.c.sends == sends_before,
            )
            .values(
                code_digest=digest,
                sends=challenges.c.sends + 1,
                last_sent_at=now,
                expires_at=expires_at,
            )
        )
        return result.rowcount == 1

    async def cancel_pending(
        self, account_id: str, purpose: Purpose, now: datetime, keep: str | None = None
    ) -> None:
        statement = update(challenges).where(
            challenges.c.account_id == account_id,
            challenges.c.purpose == purpose.value,
            challenges.c.status == Status.PENDING.value,
        )
        if keep is not None:
            statement = statement.where(challenges.c.id != keep)
        await self.conn.execute(
            statement.values(
                status=Status.CANCELED.value, ended_at=now, action_payload=scrubbed_payload()
            )
        )

    # -- sessions and devices ------------------------------------------------------------

    async def insert_session(
        self, session: Session, token_hash: str, device_id: str | None
    ) -> None:
        await self.conn.execute(
            insert(sessions).values(
                id=session.id,
                token_hash=token_hash,
                account_id=session.account_id,
                device_id=device_id,
                created_at=session.created_at,
                last_seen_at=session.last_seen_at,
                expires_at=session.expires_at,
                ip=(session.ip or "")[:64],
                user_agent=(session.user_agent or "")[:300],
            )
        )

    async def get_session_by_token_hash(self, token_hash: str) -> Session | None:
        row = await self._one(select(sessions).where(sessions.c.token_hash == token_hash))
        return _session(row) if row else None

    async def touch_session(self, session_id: str, now: datetime) -> None:
        await self.conn.execute(
            update(sessions).where(sessions.c.id == session_id).values(last_seen_at=now)
        )

    async def revoke_session(self, session_id: str, now: datetime) -> bool:
        result = await self.conn.execute(
            update(sessions)
            .where(sessions.c.id == session_id, sessions.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return result.rowcount == 1

    async def insert_device(self, device: Device, token_hash: str) -> None:
        await self.conn.execute(
            insert(devices).values(
                id=device.id,
                token_hash=token_hash,
                account_id=device.account_id,
                created_at=device.created_at,
                expires_at=device.expires_at,
                user_agent=device.user_agent,
            )
        )

    async def get_device_by_token_hash(self, token_hash: str) -> Device | None:
        row = await self._one(select(devices).where(devices.c.token_hash == token_hash))
        return _device(row) if row else None

    async def touch_device(self, device_id: str, now: datetime) -> None:
        await self.conn.execute(
            update(devices).where(devices.c.id == device_id).values(last_used_at=now)
        )

    # -- messages and events -------------------------------------------------------------

    async def insert_sms(self, record: SmsRecord) -> None:
        await self.conn.execute(
            insert(sms_messages).values(
                id=record.id,
                challenge_id=record.challenge_id,
                to=record.to,
                body_redacted=record.body_redacted,
                purpose=record.purpose,
                status=record.status,
                attempts=record.attempts,
                created_at=record.created_at,
                updated_at=record.created_at,
                account_id=record.account_id,
                expires_at=record.expires_at,
                body_sealed=record.body_sealed,
            )
        )

    async def add_event(self, event: SecurityEvent) -> None:
        await self.conn.execute(
            insert(events).values(
                account_id=event.account_id,
                type=event.type.value,
                outcome=event.outcome,
                ip=(event.ip or "")[:64] or None,
                user_agent=(event.user_agent or "")[:300] or None,
                details=event.details,
                created_at=event.created_at,
            )
        )

    async def list_events(
        self, account_id: str, limit: int, before_id: int | None = None
    ) -> Sequence[SecurityEvent]:
        statement = select(events).where(events.c.account_id == account_id)
        if before_id is not None:
            statement = statement.where(events.c.id < before_id)
        result = await self.conn.execute(statement.order_by(events.c.id.desc()).limit(limit))
        return [
            SecurityEvent(
                id=row["id"],
                type=EventType(row["type"]),
                outcome=row["outcome"],
                account_id=row["account_id"],
                ip=row["ip"],
                user_agent=row["user_agent"],
                details=dict(row["details"] or {}),
                created_at=row["created_at"],
            )
            for row in result.mappings()
        ]


class SqlStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlTransaction]:
        async with self.engine.begin() as conn:
            yield SqlTransaction(conn)

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - readiness reports any failure as "not ready"
            return False
        return True

    async def aclose(self) -> None:
        await self.engine.dispose()
