from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Query
from pydantic import Field

from otpgate.web.api.common import problems
from otpgate.web.deps import AuthDep, RuntimeDep
from otpgate.web.pagination import Cursor, decode_cursor, encode_cursor, event_id, event_number
from otpgate.web.schemas import Body, EventOut, EventsOut
from otpgate.web.views import ProfileOut, profile_out

router = APIRouter(tags=["me"])


@router.get("/me", response_model=ProfileOut, responses=problems(401), summary="Your profile")
async def profile(auth: AuthDep) -> ProfileOut:
    return profile_out(auth.account)


class LanguageIn(Body):
    language: str = Field(
        ..., max_length=35, description="`en`, `de` or `fr` (a tag such as `de-AT` is read as `de`)"
    )


@router.put(
    "/me/language",
    response_model=ProfileOut,
    responses=problems(401, 422),
    summary="Choose the language of your texts, calls and email",
    description=(
        "Sets the language otpgate writes this account's SMS, calls and email in (a new account "
        "starts in its sign-up request's `Accept-Language`). Not a high-risk change: no code."
    ),
)
async def set_language(body: LanguageIn, auth: AuthDep, runtime: RuntimeDep) -> ProfileOut:
    chosen = await runtime.services.profile.set_language(auth, body.language)
    return profile_out(replace(auth.account, language=chosen))


@router.get(
    "/me/events",
    response_model=EventsOut,
    responses=problems(401, 422),
    summary="Your security activity, newest first",
)
async def events(
    auth: AuthDep,
    runtime: RuntimeDep,
    limit: int = Query(50, ge=1, le=100),
    # Event ids are 32-bit integers in the database: a larger one is a 422 here, not a
    # PostgreSQL out-of-range error (found by the fuzz suite).
    before: int | None = Query(
        None, ge=1, le=2**31 - 1, description="Deprecated (use `cursor`): events older than this"
    ),
    cursor: Cursor = None,
) -> EventsOut:
    if cursor is not None:
        before = event_number(decode_cursor("events", cursor))
    found = list(await runtime.services.account.events(auth.account.id, limit + 1, before))
    has_more = len(found) > limit
    found = found[:limit]
    items = [
        EventOut(
            id=event_id(event.id or 0),
            type=event.type.value,
            outcome=event.outcome,
            ip=event.ip,
            user_agent=event.user_agent,
            created_at=event.created_at or runtime.clock.now(),
            details=event.details,
        )
        for event in found
    ]
    last = found[-1].id if found and has_more else None
    return EventsOut(
        events=items,
        has_more=has_more,
        next_cursor=encode_cursor("events", event_id(last)) if last else None,
        next_before=last,
    )
