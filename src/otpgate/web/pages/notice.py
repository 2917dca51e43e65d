"""What a code form said, carried across its redirect (post/redirect/get).

A code POST is always answered with a redirect to the code page, so a reload or the back
button never sends a code again (a try spent twice). What the POST had to say, the wrong
code's error, a limit's end, the "remember" tick, travels in a short-lived cookie signed with
the server key and bound to the challenge; the page reads it once and clears it. Only words
the server wrote are ever in it, so a planted or altered cookie is ignored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from otpgate.web.pages.cookies import Cookies

NOTICE = "otpgate_notice"
LABEL = b"otpgate.web.notice.v1|"
MAX_AGE = 120


@dataclass(frozen=True, slots=True)
class Notice:
    challenge_id: str
    code_error: str | None = None
    code_html: bool = False  # the words are our own markup (a <time>), not plain text
    resend_error: str | None = None
    resend_html: bool = False
    resend_until: int | None = None  # epoch seconds: no new code before then
    remember: bool = False

    def code_text(self) -> str | None:
        return _shown(self.code_error, self.code_html)

    def resend_text(self) -> str | None:
        return _shown(self.resend_error, self.resend_html)

    def until(self) -> datetime | None:
        if self.resend_until is None:
            return None
        return datetime.fromtimestamp(self.resend_until, UTC)


def _shown(text: str | None, html: bool) -> str | None:
    if text is None:
        return None
    return Markup(text) if html else text  # noqa: S704 - signed: only words we wrote


def words(text: str) -> tuple[str, bool]:
    """A message and whether it is our markup (``wait_text`` gives Markup)."""
    return str(text), isinstance(text, Markup)


def put(jar: Cookies, response: Response, key: bytes, notice: Notice) -> None:
    payload = base64.urlsafe_b64encode(
        json.dumps(asdict(notice), separators=(",", ":")).encode()
    ).decode()
    jar.set(response, NOTICE, f"{payload}.{_sign(key, payload)}", max_age=MAX_AGE)


def take(jar: Cookies, request: Request, keys: Sequence[bytes], challenge_id: str) -> Notice | None:
    """The notice for ``challenge_id`` if one of ``keys`` signed it (the caller clears it)."""
    value = jar.get(request, NOTICE)
    if not value or len(value) > 3000 or value.count(".") != 1:
        return None
    payload, signature = value.split(".")
    if not any(hmac.compare_digest(_sign(key, payload), signature) for key in keys):
        return None
    try:
        fields = json.loads(base64.urlsafe_b64decode(payload.encode()))
        notice = Notice(**fields)
    except (ValueError, TypeError):
        return None
    return notice if notice.challenge_id == challenge_id else None


def _sign(key: bytes, payload: str) -> str:
    digest = hmac.new(key, LABEL + payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
