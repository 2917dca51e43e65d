"""The signed-in customer's overview ("Your account") and signing out."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from otpgate.domain.phones import mask
from otpgate.web.pages import csrf
from otpgate.web.pages.activity import rows_of
from otpgate.web.pages.common import member, open_visit

router = APIRouter(include_in_schema=False)

RECENT_EVENTS = 8


@router.get("/account")
async def account(request: Request) -> Response:
    visit, auth = await member(request)
    profile = auth.account
    events = await visit.services.account.events(profile.id, RECENT_EVENTS)
    return visit.render(
        "account.html",
        section="overview",
        name=profile.name,
        email=profile.email,
        phone=mask(profile.phone),
        activity=rows_of(events),
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
