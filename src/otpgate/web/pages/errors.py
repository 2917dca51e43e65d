"""Friendly HTML error pages for browsers (the JSON API keeps its problem details).

``web/problems.py`` calls ``render_error`` for any path outside the API and the operational
endpoints. Rendering touches no database and, should the template itself fail, falls back to a
fixed page: an error page must never become a second error.
"""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from otpgate import i18n
from otpgate.domain.language import DEFAULT_LANGUAGE, N_
from otpgate.web.middleware import CSP
from otpgate.web.pages import cookies
from otpgate.web.pages.common import Pages
from otpgate.web.pages.csrf import CsrfRefused, refused
from otpgate.web.pages.times import at

log = structlog.get_logger("otpgate.web.pages")

# What a person reads, by status (message ids, translated when a page is made); the
# service's own words are used where they say more and the reader's language has them.
FRIENDLY: dict[int, tuple[str, str]] = {
    400: (N_("We couldn't read that request"), N_("Go back, check the form and try again.")),
    403: (
        N_("We couldn't accept that form"),
        N_(
            "For your safety we only accept forms sent from our own pages. Go back, reload the "
            "page and try again."
        ),
    ),
    404: (
        N_("Page not found"),
        N_("We couldn't find that page. Check the address, or start again from the home page."),
    ),
    405: (
        N_("That doesn't work here"),
        N_("This page can't be used that way. Go back and use the page's own buttons."),
    ),
    413: (
        N_("That was too much to send"),
        N_("Go back, shorten what you typed and try again."),
    ),
    429: (
        N_("Please wait a little"),
        N_("There were too many tries in a short time, so we've paused this for your security."),
    ),
    500: (
        N_("Something went wrong"),
        N_("Something went wrong on our side. Nothing was changed; please try again."),
    ),
    503: (
        N_("We're having trouble right now"),
        N_("Part of our service isn't answering. Nothing was changed; please try again shortly."),
    ),
}
# Errors served outside our own middleware (a 500) still get the page headers.
BASE_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
}
FALLBACK = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Something went wrong</title>"
    "<h1>Something went wrong</h1><p>Nothing was changed; please try again.</p>"
    '<p><a href="/">Go to the home page</a></p></html>'
)


def render_error(
    request: Request,
    status: int,
    title: str | None = None,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """An HTML page for ``status``; ``title``/``detail`` override the generic words."""
    all_headers = {**BASE_HEADERS, **(headers or {})}
    pages: Pages | None = getattr(request.app.state, "pages", None)
    try:
        assert pages is not None
        if status == 429:
            # A limit that no page caught: in the site's layout, in plain words, with the
            # time it ends (never "429 Too many requests").
            return HTMLResponse(
                _limited(request, pages, all_headers), status_code=429, headers=all_headers
            )
        html = pages.env.get_template("error.html").render(
            brand=pages.settings.brand,
            asset=pages.assets.get,
            signed_in=False,
            flash=None,
            status=status,
            **_words(status, title, detail),
        )
    except Exception:  # the last line of defence: never a traceback in a browser
        log.exception("error_page_failed", status=status)
        html = FALLBACK
    return HTMLResponse(html, status_code=status, headers=all_headers)


def _words(status: int, title: str | None, detail: str | None) -> dict[str, str]:
    """The page's title and text in the reader's language: the service's own (an error's
    English title and detail) when the catalogue has both, else the generic words for
    ``status`` rather than English in the middle of a German page."""
    generic_title, generic_detail = FRIENDLY.get(status, FRIENDLY[500 if status >= 500 else 400])
    own_title, own_detail = title or generic_title, detail or generic_detail
    shown_title, shown_detail = i18n.gettext(own_title), i18n.gettext(own_detail)
    untranslated = shown_title == own_title or shown_detail == own_detail
    if untranslated and i18n.current_language() != DEFAULT_LANGUAGE:
        shown_title, shown_detail = i18n.gettext(generic_title), i18n.gettext(generic_detail)
    return {"title": shown_title, "detail": shown_detail}


def _limited(request: Request, pages: Pages, headers: dict[str, str]) -> str:
    """The limit page. No database is read: a session cookie only decides whether the
    account navigation is shown (its links check the session themselves)."""
    title, detail = FRIENDLY[429]
    runtime = getattr(request.app.state, "runtime", None)
    now = runtime.clock.now() if runtime is not None else datetime.now(UTC)
    try:
        retry_after = max(1, int(headers.get("Retry-After", "60")))
    except ValueError:
        retry_after = 60
    signed_in = pages.cookies.get(request, cookies.SESSION) is not None
    return pages.env.get_template("limited.html").render(
        brand=pages.settings.brand,
        asset=pages.assets.get,
        signed_in=signed_in,
        section=None,
        flash=None,
        title=i18n.gettext(title),
        detail=i18n.gettext(detail),
        until=at(now, retry_after),
    )


async def csrf_refused_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CsrfRefused)
    refused(request, exc)
    return render_error(request, 403)
