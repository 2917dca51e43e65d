"""The customer's pages: server-rendered HTML that works without JavaScript (issues 3 and 4).

``install(app, settings)`` adds the routes, the static files, the HTML error pages and the
CSRF refusal handler to an app built by ``otpgate.web.app.create_app``.

    /                   home
    /register           create an account            POST: then the code page
    /signin             email and password           POST: then the code page (or the account)
    /verify             the code page                POST: check a code; /verify/resend: a new code
                        ?with=totp|backup_code|passkey: "Try another way"; /verify/call: a call;
                        /verify/passkey: WebAuthn options (POST)
    /account            "Your account"
    /account/security   sign-in methods, name, email, password, mobile number
                        every POST: then the code page; /factors adds one, /factors/{id}/delete
    /account/security/authenticator/{id}, /account/security/passkeys/{id}
                        a new factor's setup (QR code and first code; creating the passkey)
    /account/addresses  list; /new, /{id}/edit; POST add, edit, /{id}/default, /{id}/delete
    /account/payments   list; /new, /{id}/edit; POST add, edit, /{id}/default, /{id}/delete
    /account/devices    sessions and trusted browsers; POST sign out, forget
    /account/activity   security events (?before=<id> for older ones)
    /signout            POST only
    /language           POST only: the language picker (a cookie; the account's when signed in)
    /dev/sms            the outbox inbox (outbox provider only, else 404); /dev/mail likewise
    /email/confirm      ?token=: the page that confirms an address (POST applies it)
    /recovery/...       "I lost my phone" (web/pages/recovery.py)

Every account page needs a live session (else: /signin); every POST checks the origin and a
token bound to the session. A change that needs a code never happens on its own page: the
page opens a step-up challenge and the code page applies it (``stepup.py``).
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from otpgate.config import Settings
from otpgate.web.pages import (
    account,
    activity,
    addresses,
    codes,
    dev,
    devices,
    email,
    factors,
    language,
    other_ways,
    payments,
    public,
    recovery,
    returns,
    security,
)
from otpgate.web.pages.common import STATIC_DIR, Pages, SignInFirst
from otpgate.web.pages.csrf import CsrfRefused
from otpgate.web.pages.errors import csrf_refused_handler, render_error

__all__ = ["install"]


def install(app: FastAPI, settings: Settings) -> None:
    app.state.pages = Pages.build(settings)
    app.state.html_errors = render_error
    app.add_exception_handler(CsrfRefused, csrf_refused_handler)
    # A signed-out deep link comes back after sign-in (the destination kept server-side).
    app.add_exception_handler(SignInFirst, returns.sign_in_first_handler)
    for module in (
        public,
        codes,
        other_ways,
        account,
        security,
        factors,
        addresses,
        payments,
        devices,
        activity,
        email,
        recovery,
        dev,
        language,
    ):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
