"""The pages anyone can open: home, create an account, sign in."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from starlette.responses import Response

from otpgate.domain.durations import duration_text
from otpgate.domain.emails import normalize_email
from otpgate.domain.errors import InvalidCredentials, InvalidInput, OtpgateError, Throttled
from otpgate.domain.passwords import MIN_PASSWORD_LENGTH
from otpgate.domain.phones import parse_mobile
from otpgate.services.registration import clean_name
from otpgate.services.signin import SignedIn
from otpgate.web.pages import returns
from otpgate.web.pages.common import Visit, open_visit
from otpgate.web.problems import status_for

router = APIRouter(include_in_schema=False)

WRONG_CREDENTIALS = "Your email or password is incorrect"
REGISTER_FIELDS = ("name", "email", "phone", "password")


def wait_text(exc: Throttled) -> str:
    """A throttling error as a sentence that says how long to wait."""
    if exc.code in ("rate_limited", "throttled"):
        return f"Too many attempts. Please try again in {duration_text(exc.retry_after)}."
    return exc.detail


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
    values = {name: fields.get(name, "") for name in REGISTER_FIELDS}
    errors = _field_errors(visit, values)
    if errors:
        return _register_page(visit, values, errors, status=422)
    try:
        registered = await visit.services.registration.register(
            name=values["name"],
            email=values["email"],
            password=values["password"],
            phone=values["phone"],
            ctx=visit.ctx,
        )
    except InvalidInput as exc:
        field = exc.field if exc.field in REGISTER_FIELDS else "form"
        return _register_page(visit, values, {field: exc.detail}, status=422)
    except Throttled as exc:
        return _register_page(visit, values, {"form": wait_text(exc)}, status=429)
    except OtpgateError as exc:
        return _register_page(visit, values, {"form": exc.detail}, status=status_for(exc))
    visit.remember_challenge(registered.challenge.id)
    return visit.redirect("/verify")


def _field_errors(visit: Visit, values: dict[str, str]) -> dict[str, str]:
    """Every wrong field at once, not one per try: the same checks the service runs first.

    The password is left to the service: whether it is acceptable depends on the other fields.
    """
    settings = visit.settings
    checks: dict[str, Callable[[str], object]] = {
        "name": clean_name,
        "email": normalize_email,
        "phone": lambda raw: parse_mobile(
            raw,
            default_region=settings.sms_default_region,
            allowed_countries=settings.sms_allowed_countries,
        ),
    }
    errors: dict[str, str] = {}
    for field, check in checks.items():
        try:
            check(values[field])
        except InvalidInput as exc:
            errors[field] = exc.detail
    return errors


def _register_page(
    visit: Visit, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    # The password is never sent back to the browser, not even to refill the form.
    shown = {name: values.get(name, "") for name in ("name", "email", "phone")}
    return visit.render(
        "register.html",
        status=status,
        values=shown,
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
        return visit.render("signin.html", status=401, email=email, error=WRONG_CREDENTIALS)
    except Throttled as exc:
        return visit.render("signin.html", status=429, email=email, error=wait_text(exc))
    except InvalidInput:
        return visit.render("signin.html", status=401, email=email, error=WRONG_CREDENTIALS)
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
