"""Recovery when the phone is lost (services/recovery.py): the pages a sign-in's code page
links to ("Lost your phone?"), and the pages the mailed and texted links open.

    /recovery            the choices (a backup code, or recovery by email); POST: ask
    /recovery/start      ?token=: start the wait (POST)
    /recovery/cancel     ?token=: cancel, from the mail or the text (POST)
    /recovery/finish     ?token=: after the wait, the password and a new number (POST: the
                         code page, then the account)

A link's GET only shows its page (GET never changes state, S32; mail scanners open links);
each page's one button POSTs the token back with the visitor's CSRF token.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from otpgate.domain.errors import (
    Conflict,
    InvalidCredentials,
    InvalidInput,
    NotFound,
    OtpgateError,
    Throttled,
)
from otpgate.services.email_storage import LinkPurpose
from otpgate.web.pages.common import Visit, open_visit, shown
from otpgate.web.pages.public import wait_text
from otpgate.web.problems import status_for

router = APIRouter(include_in_schema=False)

MAX_TOKEN = 100
PAGE = "recovery.html"


def _token(value: str | None) -> str:
    return (value or "")[:MAX_TOKEN]


def _gone(visit: Visit) -> Response:
    return visit.render(PAGE, status=404, state="gone")


@router.get("/recovery")
async def choices(request: Request) -> Response:
    visit = await open_visit(request)
    if visit.pre.challenge_id is None:
        return visit.redirect("/signin")
    return visit.render(PAGE, state="choose", error=None)


@router.post("/recovery")
async def ask(request: Request) -> Response:
    visit = await open_visit(request)
    await visit.guard()
    challenge_id = visit.pre.challenge_id
    if challenge_id is None:
        return visit.redirect("/signin")
    try:
        requested = await visit.services.recovery.request(challenge_id, visit.ctx)
    except NotFound:
        return visit.redirect("/signin")
    except Throttled as exc:
        return visit.render(PAGE, status=429, state="choose", error=wait_text(exc, visit.now()))
    return visit.render(PAGE, state="requested", masked=requested.masked_email)


@router.get("/recovery/start")
async def start_page(request: Request, token: str = "") -> Response:
    visit = await open_visit(request)
    try:
        await visit.services.recovery.view(_token(token), LinkPurpose.START_RECOVERY)
    except NotFound:
        return _gone(visit)
    return visit.render(PAGE, state="start", token=_token(token))


@router.post("/recovery/start")
async def start(request: Request) -> Response:
    visit = await open_visit(request)
    fields = await visit.guard()
    try:
        recovery = await visit.services.recovery.start(_token(fields.get("token")), visit.ctx)
    except NotFound:
        return _gone(visit)
    return visit.render(PAGE, state="started", ready_at=recovery.ready_at)


@router.get("/recovery/cancel")
async def cancel_page(request: Request, token: str = "") -> Response:
    visit = await open_visit(request)
    try:
        await visit.services.recovery.view(_token(token), LinkPurpose.CANCEL_RECOVERY)
    except NotFound:
        return _gone(visit)
    return visit.render(PAGE, state="cancel", token=_token(token))


@router.post("/recovery/cancel")
async def cancel(request: Request) -> Response:
    visit = await open_visit(request)
    fields = await visit.guard()
    try:
        await visit.services.recovery.cancel(_token(fields.get("token")), visit.ctx)
    except NotFound:
        return _gone(visit)
    return visit.render(PAGE, state="canceled")


@router.get("/recovery/finish")
async def finish_page(request: Request, token: str = "") -> Response:
    visit = await open_visit(request)
    try:
        view = await visit.services.recovery.view(_token(token), LinkPurpose.FINISH_RECOVERY)
    except NotFound:
        return _gone(visit)
    if not view.ready:
        return visit.render(PAGE, state="waiting", ready_at=view.recovery.ready_at)
    return visit.render(PAGE, state="finish", token=_token(token), errors={}, values={})


@router.post("/recovery/finish")
async def finish(request: Request) -> Response:
    visit = await open_visit(request)
    fields = await visit.guard()
    token = _token(fields.get("token"))
    values = {"phone": fields.get("phone", "")}

    def again(status: int, errors: dict[str, str]) -> Response:
        return visit.render(
            PAGE, status=status, state="finish", token=token, errors=errors, values=values
        )

    try:
        challenge = await visit.services.recovery.finish(
            token, fields.get("password", ""), values["phone"], visit.ctx
        )
    except NotFound:
        return _gone(visit)
    except InvalidCredentials as exc:
        return again(400, {"password": shown(exc)})
    except InvalidInput as exc:
        return again(422, {"phone" if exc.field == "phone" else "form": shown(exc)})
    except Throttled as exc:
        return again(429, {"form": wait_text(exc, visit.now())})
    except (Conflict, OtpgateError) as exc:
        return again(status_for(exc), {"form": shown(exc)})
    visit.remember_challenge(challenge.id)
    return visit.redirect("/verify")
