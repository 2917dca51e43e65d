"""The signed-in customer's pages: "Your account" and signing out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from starlette.responses import Response

from otpgate.domain.accounts import EventType, SecurityEvent
from otpgate.domain.phones import mask
from otpgate.web.pages import csrf
from otpgate.web.pages.common import open_visit

router = APIRouter(include_in_schema=False)

RECENT_EVENTS = 10

# What each security event means to the customer, and whether it deserves their attention.
EVENT_TEXT: dict[EventType, tuple[str, bool]] = {
    EventType.ACCOUNT_REGISTERED: ("Account created", False),
    EventType.PHONE_VERIFIED: ("Mobile number confirmed", False),
    EventType.SIGNIN_PASSWORD_FAILED: ("Sign-in refused: wrong password", True),
    EventType.SIGNIN_PASSWORD_OK: ("Password accepted, code sent", False),
    EventType.SIGNIN_SUCCEEDED: ("Signed in", False),
    EventType.SIGNIN_TRUSTED_DEVICE: ("Signed in on a trusted browser", False),
    EventType.CODE_SENT: ("Code sent by text message", False),
    EventType.CODE_FAILED: ("Wrong code entered", True),
    EventType.CODE_APPROVED: ("Code accepted", False),
    EventType.CHALLENGE_FAILED: ("Too many wrong codes", True),
    EventType.CHALLENGE_EXPIRED: ("Code expired unused", False),
    EventType.LOCKOUT_CODES: ("Codes paused after many wrong attempts", True),
    EventType.RATE_LIMITED: ("Too many attempts", True),
    EventType.SESSION_SIGNED_OUT: ("Signed out", False),
    EventType.SMS_FAILED: ("A text message could not be delivered", True),
}


@dataclass(frozen=True, slots=True)
class Activity:
    text: str
    warning: bool
    at: datetime | None
    ip: str | None


def describe(event: SecurityEvent) -> Activity:
    text, warning = EVENT_TEXT.get(event.type, (event.type.value, False))
    return Activity(text=text, warning=warning, at=event.created_at, ip=event.ip)


@router.get("/account")
async def account(request: Request) -> Response:
    visit = await open_visit(request)
    if visit.auth is None:
        return visit.redirect("/signin")
    profile = visit.auth.account
    events = await visit.services.account.events(profile.id, RECENT_EVENTS)
    return visit.render(
        "account.html",
        name=profile.name,
        email=profile.email,
        phone=mask(profile.phone),
        activity=[describe(event) for event in events],
        csrf_session=visit.csrf_session(),
    )


@router.post("/signout")
async def sign_out(request: Request) -> Response:
    visit = await open_visit(request)
    if visit.auth is None:
        # Nothing to revoke; still refuse a cross-site request before touching the cookie.
        csrf.check_origin(request, visit.settings.base_url)
        visit.end_session()
        return visit.redirect("/signin")
    await visit.guard(session=True)
    await visit.services.sessions.sign_out(visit.auth, visit.ctx)
    visit.end_session()
    return visit.redirect("/signin", flash="signed_out")
