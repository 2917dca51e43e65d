"""One way to write the audit trail: ``await audit(uow, EventType.X, "ok", at=now, ...)``."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from otpgate.domain.accounts import EventType, SecurityEvent
from otpgate.services.ports import RequestContext
from otpgate.services.storage import UnitOfWork


def security_event(
    kind: EventType,
    outcome: str,
    *,
    at: datetime,
    ctx: RequestContext | None = None,
    account_id: str | None = None,
    ip: str | None = None,
    details: dict[str, object] | None = None,
) -> SecurityEvent:
    """An event as the trail keeps it. ``details`` must never hold a code, password, token or
    card number: callers pass ids, outcomes and the words a customer was shown."""
    return SecurityEvent(
        type=kind,
        outcome=outcome,
        account_id=account_id,
        ip=ip if ip is not None else (ctx.ip if ctx else None),
        user_agent=ctx.user_agent if ctx else None,
        details=dict(details or {}),
        created_at=at,
    )


async def audit(
    uow: UnitOfWork,
    kind: EventType,
    outcome: str,
    *,
    at: datetime,
    ctx: RequestContext | None = None,
    account_id: str | None = None,
    **details: object,
) -> None:
    """Add one event to the trail, in ``uow``'s transaction."""
    event = security_event(kind, outcome, at=at, ctx=ctx, account_id=account_id)
    await uow.audit.add(replace(event, details=dict(details)))
