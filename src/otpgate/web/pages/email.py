"""``/email/confirm``: the page a confirmation link opens, and the button that proves it.

Opening the link changes nothing (GET never changes state, S32, and mail scanners open
links): the page shows the address and one button, whose POST spends the link.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from otpgate.domain.errors import Conflict, NotFound, Throttled
from otpgate.web.pages.common import member_form, open_visit, shown

router = APIRouter(include_in_schema=False)

MAX_TOKEN = 100


@router.get("/email/confirm")
async def confirm_page(request: Request, token: str = "") -> Response:
    visit = await open_visit(request)
    if not token or len(token) > MAX_TOKEN:
        return visit.render("email_link.html", status=404, state="gone")
    try:
        link = await visit.services.mail.pending_link(token)
    except NotFound:
        return visit.render("email_link.html", status=404, state="gone")
    return visit.render("email_link.html", state="ask", token=token, address=link.email)


@router.post("/email/confirm")
async def confirm(request: Request) -> Response:
    visit = await open_visit(request)
    fields = await visit.guard()
    token = fields.get("token", "")[:MAX_TOKEN]
    try:
        confirmed = await visit.services.mail.confirm(token, visit.ctx)
    except NotFound:
        return visit.render("email_link.html", status=404, state="gone")
    except Conflict as exc:
        return visit.render("email_link.html", status=409, state="refused", message=shown(exc))
    return visit.render(
        "email_link.html", state="done", address=confirmed.account.email, changed=confirmed.changed
    )


@router.post("/account/security/email/resend")
async def resend(request: Request) -> Response:
    visit, customer, _fields = await member_form(request)
    try:
        await visit.services.mail.resend_confirmation(customer.account)
    except Throttled:
        return visit.redirect("/account/security", flash="email_link_wait")
    return visit.redirect("/account/security", flash="email_link_sent")
