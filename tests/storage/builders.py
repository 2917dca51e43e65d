"""Rows for the storage contract tests: fixed ids and fixed times, one builder per value."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from otpgate.domain.accounts import Account, Device, EventType, SecurityEvent, Session
from otpgate.domain.actions import ActionType, PendingAction
from otpgate.domain.addresses import AddressFields
from otpgate.domain.cards import PaymentMethod
from otpgate.domain.challenges import Challenge, Intent, SignIn, Status, StepUp, Subject
from otpgate.services.ports import RequestContext
from otpgate.services.storage import MessageRecord, Store, UnitOfWork

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
CTX = RequestContext(ip="203.0.113.7", user_agent="pytest")
R = TypeVar("R")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def an_account(n: int = 1, **changes: Any) -> Account:
    account = Account(
        id=f"acc_{n}",
        name=f"Customer {n}",
        email=f"c{n}@example.com",
        phone=f"+1415555{2600 + n:04d}",
        password_hash=f"hash-{n}",
        phone_verified=True,
        created_at=T0,
    )
    return replace(account, **changes)


def a_challenge(
    challenge_id: str, subject: Subject, intent: Intent | None = None, **changes: Any
) -> Challenge:
    challenge = Challenge(
        id=challenge_id,
        subject=subject,
        intent=intent or SignIn(),
        status=Status.PENDING,
        destination="+14155552601",
        code_digest="d" * 64,
        attempts=0,
        max_attempts=5,
        sends=1,
        created_at=T0,
        expires_at=at(300),
        last_sent_at=T0,
    )
    return replace(challenge, **changes)


def step_up(action_type: ActionType, payload: dict[str, Any], session_id: str = "se_1") -> StepUp:
    action = PendingAction(action_type, payload, f"Do {action_type.value}")
    return StepUp(session_id=session_id, action=action.bind("acc_1", session_id))


def a_session(n: int, account_id: str = "acc_1", **changes: Any) -> Session:
    session = Session(
        id=f"se_{n}",
        account_id=account_id,
        created_at=T0,
        last_seen_at=at(n),
        expires_at=at(3600),
        ip="203.0.113.7",
        user_agent="pytest",
    )
    return replace(session, **changes)


def a_device(n: int, account_id: str = "acc_1", **changes: Any) -> Device:
    device = Device(
        id=f"dv_{n}", account_id=account_id, created_at=at(n), expires_at=at(86400), user_agent="ua"
    )
    return replace(device, **changes)


def a_message(
    message_id: str, challenge_id: str | None, created: datetime, status: str
) -> MessageRecord:
    return MessageRecord(
        id=message_id,
        channel="sms",
        to="+14155552601",
        body_redacted="•••••• is your code",
        purpose="sign_in",
        status=status,
        created_at=created,
        expires_at=created + timedelta(minutes=5),
        challenge_id=challenge_id,
        account_id="acc_1",
        body_sealed=b"sealed",
    )


def an_event(account_id: str | None, outcome: str, **changes: Any) -> SecurityEvent:
    event = SecurityEvent(
        type=EventType.CODE_SENT, outcome=outcome, account_id=account_id, created_at=T0
    )
    return replace(event, **changes)


def address_fields(line1: str = "1 Main St") -> AddressFields:
    return AddressFields(
        label="Home",
        full_name="Ada Lovelace",
        line1=line1,
        line2="",
        city="Springfield",
        region="IL",
        postal_code="62701",
        country="US",
        phone="",
        instructions="",
    )


def a_card(n: int, account_id: str = "acc_1", **changes: Any) -> PaymentMethod:
    card = PaymentMethod(
        id=f"pm_{n}",
        account_id=account_id,
        brand="Visa",
        last4=f"{4240 + n}",
        exp_month=12,
        exp_year=2030,
        name_on_card="Ada Lovelace",
        billing_address_id=None,
        fingerprint=f"fp-{n}",
        is_default=False,
        version=1,
    )
    return replace(card, **changes)


async def run(store: Store, work: Callable[[UnitOfWork], Awaitable[R]]) -> R:
    """``work`` in a transaction of its own, committed."""
    async with store.transaction() as uow:
        return await work(uow)


async def given_accounts(store: Store, *accounts: Account) -> None:
    async with store.transaction() as uow:
        for account in accounts or (an_account(),):
            await uow.accounts.insert(account)


async def given_challenges(store: Store, *challenges: Challenge) -> None:
    async with store.transaction() as uow:
        for challenge in challenges:
            await uow.challenges.insert(challenge, CTX)


async def read_challenge(store: Store, challenge_id: str) -> Challenge:
    found = await run(store, lambda uow: uow.challenges.get(challenge_id))
    assert found is not None
    return found
