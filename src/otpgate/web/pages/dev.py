"""``/dev/sms``: the outbox provider's inbox, for developers, tests and demos (DESIGN §6).

It exists only while the outbox provider is configured (with real providers it is a 404),
and only for callers on this machine: the socket peer must be a loopback address and no proxy
may have forwarded the request (``web.security.is_loopback_peer``). Calls placed through the
voice outbox are listed below the texts.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import Response

from otpgate import i18n
from otpgate.adapters.email.outbox import MailOutboxProvider
from otpgate.adapters.sms.outbox import OutboxProvider
from otpgate.domain.language import N_
from otpgate.web.pages.common import open_visit
from otpgate.web.security import is_loopback_peer

router = APIRouter(include_in_schema=False)

LINK = re.compile(r"https?://[^\s<>\"]+")
CODE_LINE = re.compile(r"^@\S+ #(\d+)$")
# A call reads the code digit by digit ("1. 2. 3. 4. 5. 6."), in whatever language: the
# first run of spoken digits is the code.
SPOKEN_CODE = re.compile(r"(?<!\d)((?:\d\.(?:\s|$)){4,})")
# What each outbox purpose is called on the page (developers' words, in the page's language).
PURPOSES = {
    "verify_phone": N_("verify phone"),
    "sign_in": N_("sign in"),
    "step_up": N_("step up"),
    "verify": N_("verify"),
    "recover": N_("recover"),
    "recovery": N_("recovery"),
    "notice": N_("notice"),
}


@dataclass(frozen=True, slots=True)
class Message:
    to: str
    body: str
    code: str | None
    purpose: str
    sent_at: datetime | None


def to_message(raw: dict[str, Any]) -> Message:
    body = str(raw.get("body", ""))
    lines = body.strip().splitlines()
    match = CODE_LINE.match(lines[-1].strip()) if lines else None
    spoken = SPOKEN_CODE.search(body)
    code = match.group(1) if match else None
    if code is None and spoken is not None:
        code = "".join(ch for ch in spoken.group(1) if ch.isdigit())
    try:
        sent_at = datetime.fromisoformat(str(raw.get("created_at")))
    except ValueError:
        sent_at = None
    return Message(
        to=str(raw.get("to", "")),
        body=body,
        code=code,
        purpose=_purpose(str(raw.get("purpose", ""))),
        sent_at=sent_at,
    )


def _purpose(raw: str) -> str:
    known = PURPOSES.get(raw)
    return i18n.gettext(known) if known else raw.replace("_", " ")


def dev_pages_allowed(request: Request, enabled: bool) -> bool:
    """Development pages exist only when ``enabled``, and only for callers on this machine."""
    peer = request.client.host if request.client else None
    return enabled and is_loopback_peer(peer, request.headers)


@router.get("/dev/sms")
async def dev_sms(request: Request) -> Response:
    # Checked before anything else: to anyone else the page does not exist.
    if not dev_pages_allowed(request, request.app.state.runtime.settings.dev_inbox_enabled):
        raise HTTPException(status_code=404)
    visit = await open_visit(request)
    settings = visit.settings
    outbox = OutboxProvider(settings.outbox_path)
    raw = await asyncio.to_thread(outbox.read)
    calls: list[dict[str, Any]] = []
    if "voice-outbox" in settings.voice_provider_order:
        calls = await asyncio.to_thread(OutboxProvider(settings.voice_outbox_path).read)
    return visit.render(
        "dev_sms.html",
        messages=[to_message(item) for item in raw],
        calls=[to_message(item) for item in calls],
        path=str(settings.outbox_path),
    )


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    text: str
    links: tuple[str, ...]
    sent_at: datetime | None


def to_mail(raw: dict[str, Any], base_url: str) -> Mail:
    text = str(raw.get("text", ""))
    try:
        sent_at = datetime.fromisoformat(str(raw.get("created_at")))
    except ValueError:
        sent_at = None
    # Only our own links are offered as links (a mail names nothing else, but be sure).
    links = tuple(url for url in LINK.findall(text) if url.startswith(base_url + "/"))
    return Mail(
        to=str(raw.get("to", "")),
        subject=str(raw.get("subject", "")),
        text=text,
        links=links,
        sent_at=sent_at,
    )


@router.get("/dev/mail")
async def dev_mail(request: Request) -> Response:
    if not dev_pages_allowed(request, request.app.state.runtime.settings.dev_mail_enabled):
        raise HTTPException(status_code=404)
    visit = await open_visit(request)
    settings = visit.settings
    raw = await asyncio.to_thread(MailOutboxProvider(settings.mail_outbox_path).read)
    return visit.render(
        "dev_mail.html",
        mails=[to_mail(item, settings.base_url) for item in raw],
        path=str(settings.mail_outbox_path),
    )
