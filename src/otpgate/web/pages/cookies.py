"""The browser's cookies: their names and attributes, and the signed pre-session value.

Three cookies, all ``HttpOnly`` and ``Path=/``, and over https ``Secure`` with the ``__Host-``
prefix (so no sibling host can plant or overwrite them):

- ``session``: the session token; ``SameSite=Lax``; lives no longer than the session.
- ``pre``: before sign-in, a random nonce (the CSRF binding of the anonymous forms) and the id
  of the challenge in progress, HMAC-signed so it reads back only as we wrote it. The
  challenge id never appears in a URL.
- ``device``: a trusted browser's token ("Don't ask for codes on this browser");
  ``SameSite=Strict``, since only our own sign-in form ever needs it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from starlette.requests import Request
from starlette.responses import Response

SESSION = "otpgate_session"
PRE = "otpgate_pre"
DEVICE = "otpgate_device"
FLASH = "otpgate_flash"

PRE_LABEL = b"otpgate.web.pre.v1|"
# Nonces and challenge ids are URL-safe base64; anything else was not written by us.
_PART = re.compile(r"^[A-Za-z0-9_-]{1,80}$")

SameSite = Literal["lax", "strict"]


@dataclass(frozen=True, slots=True)
class Cookies:
    """Cookie names and attributes for one deployment (https or not)."""

    https: bool

    def name(self, base: str) -> str:
        return f"__Host-{base}" if self.https else base

    def get(self, request: Request, base: str) -> str | None:
        value = request.cookies.get(self.name(base))
        return value or None

    def set(
        self,
        response: Response,
        base: str,
        value: str,
        *,
        max_age: int | None = None,
        samesite: SameSite = "lax",
    ) -> None:
        response.set_cookie(
            self.name(base),
            value,
            max_age=max_age,
            path="/",
            secure=self.https,
            httponly=True,
            samesite=samesite,
        )

    def clear(self, response: Response, base: str) -> None:
        response.delete_cookie(
            self.name(base), path="/", secure=self.https, httponly=True, samesite="lax"
        )


@dataclass(frozen=True, slots=True)
class PreSession:
    """An anonymous visitor: a nonce for CSRF tokens and the challenge they are answering."""

    nonce: str
    challenge_id: str | None = None

    @classmethod
    def fresh(cls) -> PreSession:
        return cls(nonce=secrets.token_urlsafe(32))

    def with_challenge(self, challenge_id: str | None) -> PreSession:
        return replace(self, challenge_id=challenge_id)


def seal(pre: PreSession, key: bytes) -> str:
    """The cookie value: ``nonce.challenge.signature`` (``-`` when there is no challenge)."""
    payload = f"{pre.nonce}.{pre.challenge_id or '-'}"
    return f"{payload}.{_sign(key, payload)}"


def unseal(value: str | None, keys: Sequence[bytes]) -> PreSession | None:
    """The pre-session in ``value`` when one of ``keys`` signed it, else None."""
    if not value or len(value) > 300:
        return None
    parts = value.split(".")
    if len(parts) != 3:
        return None
    nonce, challenge_id, signature = parts
    payload = f"{nonce}.{challenge_id}"
    valid = False
    for key in keys:
        valid |= hmac.compare_digest(_sign(key, payload), signature)
    if not valid or not _PART.match(nonce):
        return None
    if challenge_id == "-":
        return PreSession(nonce=nonce)
    if not _PART.match(challenge_id):
        return None
    return PreSession(nonce=nonce, challenge_id=challenge_id)


def _sign(key: bytes, payload: str) -> str:
    digest = hmac.new(key, PRE_LABEL + payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
