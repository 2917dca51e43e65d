"""Your devices: signed-in browsers (sign one out, or all but this one) and trusted browsers.

Taking access away needs no code: it is what a customer does when something looks wrong.
"""

from __future__ import annotations

import contextlib
import re
from functools import lru_cache

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import Response
from ua_parser import parse as ua_parse

from otpgate import i18n
from otpgate.domain.errors import NotFound
from otpgate.web.pages.common import member, member_form

router = APIRouter(include_in_schema=False)

DEVICES = "/account/devices"
SESSION_ID = re.compile(r"^se_[A-Za-z0-9_-]{1,60}$")
DEVICE_ID = re.compile(r"^dv_[A-Za-z0-9_-]{1,60}$")

# ua-parser's names, as a customer knows their browser and system.
BROWSER_NAMES = {
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Chrome Mobile WebView": "Chrome",
    "HeadlessChrome": "Chrome",
    "Mobile Safari": "Safari",
    "Mobile Safari UI/WKWebView": "Safari",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Edge Mobile": "Edge",
    "Opera Mobile": "Opera",
}
SYSTEM_NAMES = {"Mac OS X": "macOS", "Chrome OS": "ChromeOS"}
# On iOS the device says more than the system ("Safari on iPhone").
IOS_DEVICES = ("iPhone", "iPad")


def browser_name(user_agent: str | None) -> str:
    """ "Chrome on Android" from a User-Agent (ua-parser): how a customer knows a browser,
    in the page's language (the names themselves are brands)."""
    browser, where = _names(user_agent) if user_agent else (None, None)
    if browser and where:
        return i18n.gettext("%(browser)s on %(system)s") % {"browser": browser, "system": where}
    if browser:
        return browser
    if where:
        return i18n.gettext("A browser on %(system)s") % {"system": where}
    return i18n.gettext("Unknown browser")


@lru_cache(maxsize=1024)
def _names(user_agent: str) -> tuple[str | None, str | None]:
    """The browser's and the system's names (ua-parser's, as customers know them)."""
    parsed = ua_parse(user_agent[:1000])
    agent = parsed.user_agent.family if parsed.user_agent else None
    system = parsed.os.family if parsed.os else None
    device = parsed.device.family if parsed.device else None
    browser = BROWSER_NAMES.get(agent or "", agent) if agent and agent != "Other" else None
    where = SYSTEM_NAMES.get(system or "", system) if system and system != "Other" else None
    if where == "iOS" and device in IOS_DEVICES:
        where = device
    return browser, where


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
