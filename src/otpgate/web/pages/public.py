"""The pages anyone can open: home, create an account, sign in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.responses import Response

from otpgate import i18n
from otpgate.domain.durations import duration_text
from otpgate.domain.emails import normalize_email
from otpgate.domain.errors import (
    CodeLockout,
    InvalidCredentials,
    InvalidInput,
    OtpgateError,
    RateLimited,
    ResendTooSoon,
    Throttled,
)
from otpgate.domain.language import N_
from otpgate.domain.passwords import MIN_PASSWORD_LENGTH, check_password
from otpgate.services.registration import clean_name
from otpgate.services.signin import SignedIn
from otpgate.web.pages import returns
from otpgate.web.pages.common import Visit, open_visit, shown
from otpgate.web.pages.phone_entry import country_choices, default_country, mobile_as_typed
from otpgate.web.pages.times import at
from otpgate.web.problems import status_for

router = APIRouter(include_in_schema=False)

WRONG_CREDENTIALS = N_("Your email or password is incorrect")
REGISTER_FIELDS = ("name", "email", "phone", "password")
# The mobile number's country (a list), besides the fields the service reads.
PHONE_COUNTRY = "phone_country"


# A limit's name -> what happened in plain words, and when it ends (``%(time)s``, a <time>).
LIMIT_WORDS = {
    "send": (
        N_("We've sent a lot of codes in a short time, so we can't send another one yet."),
        N_("You can ask for a new code at %(time)s."),
    ),
    "voice": (
        N_("We've called a lot in a short time, so we can't call again yet."),
        N_("You can ask for a call at %(time)s."),
    ),
    "password": (N_("There were too many password tries."), N_("You can try again at %(time)s.")),
    "register": (
        N_("Many accounts were made from this connection."),
        N_("You can make one at %(time)s."),
    ),
    "verify": (
        N_("Many codes were entered from this connection."),
        N_("You can try again at %(time)s."),
    ),
}
OTHER_LIMIT = (
    N_("There were too many tries in a short time."),
    N_("You can try again at %(time)s."),
)


def wait_text(exc: Throttled, now: datetime) -> Markup:
    """A throttling error as plain words that say what happened and exactly when it ends
    ("You can ask for a new code at 14:32 UTC", shown in the browser's zone by app.js), in
    the page's language."""
    if isinstance(exc, ResendTooSoon) and exc.retry_after < 90:
        return _words(
            N_("A new code was just sent. You can ask for another in %(wait)s."),
            wait=duration_text(exc.retry_after, words=i18n.current()),
        )
    when = at(now, exc.retry_after)
    if isinstance(exc, CodeLockout):
        return _words(
            N_(
                "Too many wrong codes were entered for this account, so its codes are paused "
                "for your security. Codes work again at %(time)s."
            ),
            time=when,
        )
    rule = exc.rule if isinstance(exc, RateLimited) else None
    what, then = LIMIT_WORDS.get((rule or "").split("_", 1)[0], OTHER_LIMIT)
    return Markup("{} {}").format(i18n.gettext(what), _words(then, time=when))


def _words(message: str, **params: object) -> Markup:
    """``message`` in the page's language, ``params`` filled in (escaped unless Markup)."""
    return Markup(i18n.gettext(message)) % params  # noqa: S704 - the catalogue's own words


@router.get("/")
async def home(request: Request) -> Response:
    visit = await open_visit(request)
    return visit.render("home.html")


@router.get("/register")
async def register_form(request: Request) -> Response:
    visit = await open_visit(request)
    if visit.auth is not None:
        return visit.redirect("/account")
    return _register_page(visit, {}, {})


@router.post("/register")
async def register(request: Request) -> Response:
    visit = await open_visit(request)
    fields = await visit.guard()
    values = {name: fields.get(name, "") for name in (*REGISTER_FIELDS, PHONE_COUNTRY)}
    errors = _field_errors(visit, values)
    if errors:
        return _register_page(visit, values, errors, status=422)
    try:
        registered = await visit.services.registration.register(
            name=values["name"],
            email=values["email"],
            password=values["password"],
            phone=mobile_as_typed(values["phone"], values[PHONE_COUNTRY], visit.settings),
            ctx=visit.ctx,
        )
    except InvalidInput as exc:
        field = exc.field if exc.field in REGISTER_FIELDS else "form"
        return _register_page(visit, values, {field: shown(exc)}, status=422)
    except Throttled as exc:
        return _register_page(visit, values, {"form": wait_text(exc, visit.now())}, status=429)
    except OtpgateError as exc:
        return _register_page(visit, values, {"form": shown(exc)}, status=status_for(exc))
    visit.remember_challenge(registered.challenge.id)
    return visit.redirect("/verify")


def _field_errors(visit: Visit, values: dict[str, str]) -> dict[str, str]:
    """Every wrong field at once, not one per try: the same checks the service runs first.

    The password is checked against the name and email as typed, as the service does.
    """
    settings = visit.settings
    checks: dict[str, Callable[[str], object]] = {
        "name": clean_name,
        "email": normalize_email,
        "phone": lambda raw: mobile_as_typed(raw, values[PHONE_COUNTRY], settings),
    }
    errors: dict[str, str] = {}
    for field, check in checks.items():
        try:
            check(values[field])
        except InvalidInput as exc:
            errors[field] = shown(exc)
    # The password's rules look at the name and email as typed (as the service does).
    context = [settings.brand, values["email"].split("@")[0], *values["name"].split()]
    try:
        check_password(values["password"], context=context)
    except InvalidInput as exc:
        errors["password"] = shown(exc)
    return errors


def _register_page(
    visit: Visit, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    # The password is never sent back to the browser, not even to refill the form.
    kept = {name: values.get(name, "") for name in ("name", "email", "phone")}
    kept[PHONE_COUNTRY] = values.get(PHONE_COUNTRY) or default_country(visit.settings)
    return visit.render(
        "register.html",
        status=status,
        values=kept,
        countries=country_choices(visit.settings),
        errors=errors,
        min_password=MIN_PASSWORD_LENGTH,
    )


@router.get("/signin")
async def signin_form(request: Request) -> Response:
    visit = await open_visit(request)
    if visit.auth is not None:
        return visit.redirect("/account")
    return visit.render("signin.html", email="", error=None)


@router.post("/signin")
async def signin(request: Request) -> Response:
    visit = await open_visit(request)
    fields = await visit.guard()
    email = fields.get("email", "")
    try:
        outcome = await visit.services.signin.start(
            email=email,
            password=fields.get("password", ""),
            ctx=visit.ctx,
            # An app that asked for acr mfa gets a typed code even on a trusted browser.
            device_token=None if await returns.wants_code(visit) else visit.device_token(),
        )
    except InvalidCredentials:
        return visit.render(
            "signin.html", status=401, email=email, error=i18n.gettext(WRONG_CREDENTIALS)
        )
    except Throttled as exc:
        error = wait_text(exc, visit.now())
        return visit.render("signin.html", status=429, email=email, error=error)
    except InvalidInput:
        return visit.render(
            "signin.html", status=401, email=email, error=i18n.gettext(WRONG_CREDENTIALS)
        )
    if isinstance(outcome, SignedIn):
        await end_previous_session(visit)
        visit.start_session(outcome.issued.token, outcome.issued.session.expires_at)
        return await returns.finish_sign_in(visit, "/account", "signed_in")
    visit.remember_challenge(outcome.challenge.id)
    return visit.redirect("/verify")


async def end_previous_session(visit: Visit) -> None:
    """A new sign-in replaces whatever session this browser held: revoke the old one."""
    if visit.auth is not None:
        await visit.services.sessions.sign_out(visit.auth, visit.ctx)
