"""Your devices: signed-in browsers (sign one out, or all but this one) and trusted browsers.

Taking access away needs no code: it is what a customer does when something looks wrong.
"""

from __future__ import annotations

import contextlib
import re

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import Response

from otpgate.domain.errors import NotFound
from otpgate.web.pages.common import member, member_form

router = APIRouter(include_in_schema=False)

DEVICES = "/account/devices"
SESSION_ID = re.compile(r"^se_[A-Za-z0-9_-]{1,60}$")
DEVICE_ID = re.compile(r"^dv_[A-Za-z0-9_-]{1,60}$")

# First match wins: Edge and Opera also say "Chrome", Chrome also says "Safari".
BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
)
SYSTEMS = (
    ("Windows", "Windows"),
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def browser_name(user_agent: str | None) -> str:
    """ "Chrome on Linux" from a User-Agent: enough to recognise one's own browsers.

    A rough reading on purpose: the full string is shown beside it for anyone who wants more.
    """
    if not user_agent:
        return "Unknown browser"
    browser = next((name for token, name in BROWSERS if token in user_agent), None)
    system = next((name for token, name in SYSTEMS if token in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or f"A browser on {system}"
    return user_agent.split(" ", 1)[0][:40] or "Unknown browser"


@router.get("/account/devices")
async def devices_page(request: Request) -> Response:
    visit, auth = await member(request)
    sessions = await visit.services.devices.sessions(auth)
    trusted = await visit.services.devices.devices(auth)
    current = auth.session.id
    return visit.render(
        "devices.html",
        section="devices",
        sessions=[
            {
                "id": s.id,
                "browser": browser_name(s.user_agent),
                "user_agent": s.user_agent or "",
                "ip": s.ip,
                "last_seen": s.last_seen_at,
                "signed_in": s.created_at,
                "current": s.id == current,
            }
            # This browser first, then the most recently seen.
            for s in sorted(sessions, key=lambda s: (s.id != current, -s.last_seen_at.timestamp()))
        ],
        others=sum(1 for s in sessions if s.id != current),
        trusted=[
            {
                "id": d.id,
                "browser": browser_name(d.user_agent),
                "user_agent": d.user_agent or "",
                "since": d.created_at,
                "last_used": d.last_used_at,
                "expires": d.expires_at,
            }
            for d in trusted
        ],
    )


@router.post("/account/devices/sessions/{session_id}/sign-out")
async def sign_out_session(request: Request, session_id: str) -> Response:
    visit, auth, _fields = await member_form(request)
    if not SESSION_ID.match(session_id):
        raise HTTPException(status_code=404)
    try:
        await visit.services.devices.sign_out_session(auth, visit.ctx, session_id)
    except NotFound:
        return visit.redirect(DEVICES, flash="session_signed_out")  # already gone
    if session_id == auth.session.id:
        visit.end_session()
        return visit.redirect("/signin", flash="signed_out")
    return visit.redirect(DEVICES, flash="session_signed_out")


@router.post("/account/devices/sessions/sign-out-others")
async def sign_out_others(request: Request) -> Response:
    visit, auth, _fields = await member_form(request)
    await visit.services.devices.sign_out_others(auth, visit.ctx)
    return visit.redirect(DEVICES, flash="others_signed_out")


@router.post("/account/devices/trusted/{device_id}/forget")
async def forget_device(request: Request, device_id: str) -> Response:
    visit, auth, _fields = await member_form(request)
    if not DEVICE_ID.match(device_id):
        raise HTTPException(status_code=404)
    with contextlib.suppress(NotFound):  # already forgotten: what the customer asked for
        await visit.services.devices.forget_device(auth, visit.ctx, device_id)
    return visit.redirect(DEVICES, flash="device_forgotten")
