"""The customer's pages: server-rendered HTML that works without JavaScript (issue 3).

``install(app, settings)`` adds the routes, the static files, the HTML error pages and the
CSRF refusal handler to an app built by ``otpgate.web.app.create_app``.

    /               home
    /register       create an account            POST: then the code page
    /signin         email and password           POST: then the code page (or the account)
    /verify         the code page                POST: check a code; /verify/resend: a new code
    /account        "Your account"
    /signout        POST only
    /dev/sms        the outbox inbox (outbox provider only, else 404)
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from otpgate.config import Settings
from otpgate.web.pages import account, codes, dev, public
from otpgate.web.pages.common import STATIC_DIR, Pages
from otpgate.web.pages.csrf import CsrfRefused
from otpgate.web.pages.errors import csrf_refused_handler, render_error

__all__ = ["install"]


def install(app: FastAPI, settings: Settings) -> None:
    app.state.pages = Pages.build(settings)
    app.state.html_errors = render_error
    app.add_exception_handler(CsrfRefused, csrf_refused_handler)
    for module in (public, codes, account, dev):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
