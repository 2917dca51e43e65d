"""CSRF defence for the HTML forms (S32): the request's origin, then a token tied to the visitor.

A POST is refused before anything else happens when

- the browser says it is cross-site (``Sec-Fetch-Site: cross-site``), or
- it names an ``Origin`` (or, lacking one, a ``Referer``) other than ours, or
- its ``csrf_token`` field is missing or is not HMAC(server key, binding), where the binding is
  the session token (signed in) or the pre-session cookie's nonce (signed out).

The token needs no storage: it is recomputed from the cookie the browser sends, and a page on
another site can neither read the cookie nor compute the HMAC.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from urllib.parse import urlsplit

import structlog
from starlette.requests import Request

FIELD = "csrf_token"
CSRF_LABEL = b"otpgate.web.csrf.v1|"
MAX_TOKEN_LENGTH = 100

log = structlog.get_logger("otpgate.web.csrf")


class CsrfRefused(Exception):
    """A state-changing request that did not come from one of our own pages."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def pre_binding(nonce: str) -> str:
    return f"pre|{nonce}"


def session_binding(session_token: str) -> str:
    return "ses|" + hashlib.sha256(session_token.encode()).hexdigest()


def token_for(key: bytes, binding: str) -> str:
    digest = hmac.new(key, CSRF_LABEL + binding.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def check_origin(request: Request, base_url: str) -> None:
    """Refuse a request the browser marks as cross-site or as sent from another origin."""
    if request.headers.get("sec-fetch-site", "").lower() == "cross-site":
        raise CsrfRefused("sec_fetch_site")
    allowed = {origin_of(base_url), origin_of(str(request.base_url))}
    origin = request.headers.get("origin")
    if origin is not None:
        if origin.lower() not in allowed:
            raise CsrfRefused("origin")
        return
    referer = request.headers.get("referer")
    if referer and origin_of(referer) not in allowed:
        raise CsrfRefused("referer")


def check_token(submitted: str | None, keys: Sequence[bytes], bindings: Sequence[str]) -> None:
    """Refuse unless ``submitted`` is the token of one of ``bindings`` under one of ``keys``."""
    if not submitted or len(submitted) > MAX_TOKEN_LENGTH or not bindings:
        raise CsrfRefused("missing_token" if not submitted else "bad_token")
    matched = False
    for key in keys:
        for binding in bindings:
            matched |= hmac.compare_digest(token_for(key, binding), submitted)
    if not matched:
        raise CsrfRefused("bad_token")


def refused(request: Request, exc: CsrfRefused) -> None:
    """Log a refusal: the reason and route only (never the token or the form)."""
    log.warning("csrf_refused", reason=exc.reason, path=request.url.path)
