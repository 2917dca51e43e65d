"""Login & security: sign-in methods, name and email, password, mobile number — each
change behind a code.

Each form asks the service for a step-up and sends the browser to the code page; the change
is made only when the code (or another of the account's factors) is accepted there.
Passwords are never sent back into a page. Adding a factor continues on its setup page
(``factors.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fastapi import APIRouter, Request
from starlette.responses import Response

from otpgate import i18n
from otpgate.domain.emails import normalize_email
from otpgate.domain.errors import InvalidInput, OtpgateError
from otpgate.domain.factors import FactorKind
from otpgate.domain.passwords import MIN_PASSWORD_LENGTH, check_password
from otpgate.domain.phones import mask
from otpgate.services.principal import Customer
from otpgate.services.registration import clean_name
from otpgate.web.pages.common import Visit, member, member_form, shown
from otpgate.web.pages.factors import factor_rows
from otpgate.web.pages.phone_entry import country_choices, default_country, mobile_as_typed
from otpgate.web.pages.public import PHONE_COUNTRY
from otpgate.web.pages.stepup import ask_for_code, refusal

router = APIRouter(include_in_schema=False)

PROFILE_FIELDS = ("name", "email")
PASSWORD_FIELDS = ("current_password", "new_password")
PHONE_FIELDS = ("phone",)
FACTOR_FIELDS = ("label",)


@router.get("/account/security")
async def security_page(request: Request) -> Response:
    visit, auth = await member(request)
    return await _page(visit, auth)


@router.post("/account/security/profile")
async def change_profile(request: Request) -> Response:
    visit, auth, fields = await member_form(request)
    values = {name: fields.get(name, "") for name in PROFILE_FIELDS}
    if errors := every_error({"name": clean_name, "email": normalize_email}, values):
        return await _page(visit, auth, "profile", errors, 422, values)
    try:
        challenge = await visit.services.profile.request_profile_change(
            auth, visit.ctx, values["name"], values["email"]
        )
    except OtpgateError as exc:
        errors, status = refusal(exc, PROFILE_FIELDS, visit.now())
        return await _page(visit, auth, "profile", errors, status, values)
    return ask_for_code(visit, challenge)


@router.post("/account/security/password")
async def change_password(request: Request) -> Response:
    visit, auth, fields = await member_form(request)
    if errors := _password_errors(visit, auth, fields):  # before a try is counted
        return await _page(visit, auth, "password", errors, 422)
    try:
        challenge = await visit.services.profile.request_password_change(
            auth, visit.ctx, fields.get("current_password", ""), fields.get("new_password", "")
        )
    except OtpgateError as exc:
        errors, status = refusal(exc, PASSWORD_FIELDS, visit.now())
        return await _page(visit, auth, "password", errors, status)
    return ask_for_code(visit, challenge)


@router.post("/account/security/phone")
async def change_phone(request: Request) -> Response:
    visit, auth, fields = await member_form(request)
    phone = fields.get("phone", "")
    typed = {"phone": phone, PHONE_COUNTRY: fields.get(PHONE_COUNTRY, "")}
    try:
        number = mobile_as_typed(phone, typed[PHONE_COUNTRY], visit.settings)
        challenge = await visit.services.profile.request_phone_change(auth, visit.ctx, number)
    except OtpgateError as exc:
        errors, status = refusal(exc, PHONE_FIELDS, visit.now())
        return await _page(visit, auth, "phone", errors, status, typed)
    return ask_for_code(visit, challenge)


@router.post("/account/security/factors")
async def add_factor(request: Request) -> Response:
    """Add an authenticator app or a passkey, or make backup codes: a step-up first."""
    visit, auth, fields = await member_form(request)
    kind = fields.get("kind", "")
    try:
        challenge = await visit.services.factors.request_add(
            auth, visit.ctx, kind, fields.get("label")
        )
    except OtpgateError as exc:
        errors, status = refusal(exc, FACTOR_FIELDS, visit.now())
        return await _page(visit, auth, f"factor-{kind}", errors, status)
    return ask_for_code(visit, challenge)


@router.post("/account/security/factors/{factor_id}/delete")
async def remove_factor(request: Request, factor_id: str) -> Response:
    visit, auth, _fields = await member_form(request)
    try:
        challenge = await visit.services.factors.request_remove(auth, visit.ctx, factor_id[:64])
    except OtpgateError as exc:
        errors, status = refusal(exc, (), visit.now())
        return await _page(visit, auth, "factors", errors, status)
    return ask_for_code(visit, challenge)


def every_error(
    checks: Mapping[str, Callable[[str], object]], values: Mapping[str, str]
) -> dict[str, str]:
    """Each field's check on its own, so a form shows every problem at once."""
    errors: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check(values.get(name, ""))
        except InvalidInput as exc:
            errors[name] = shown(exc)
    return errors


def _password_errors(visit: Visit, auth: Customer, fields: Mapping[str, str]) -> dict[str, str]:
    """What is wrong without checking the current password (that check counts a try)."""
    account = auth.account
    context = [visit.settings.brand, account.email.split("@")[0], *account.name.split()]
    errors = every_error(
        {"new_password": lambda raw: check_password(raw, context=context, field="new_password")},
        fields,
    )
    if errors and not fields.get("current_password"):
        errors = {"current_password": i18n.gettext("Enter your current password."), **errors}
    return errors


async def _page(
    visit: Visit,
    auth: Customer,
    form: str | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    typed: dict[str, str] | None = None,
) -> Response:
    """The page; after a refused form, that form's errors and what was typed (no password)."""
    account = auth.account
    values = {
        "name": account.name,
        "email": account.email,
        "phone": "",
        PHONE_COUNTRY: default_country(visit.settings, number=account.phone),
        **{name: value for name, value in (typed or {}).items() if value},
    }
    factors = await visit.services.factors.list(auth)
    return visit.render(
        "security.html",
        status=status,
        section="security",
        values=values,
        errors={form: errors or {}} if form else {},
        phone=mask(account.phone),
        countries=country_choices(visit.settings),
        min_password=MIN_PASSWORD_LENGTH,
        factors=factor_rows(factors),
        can_add={
            kind.value: visit.services.factors.offers(kind)
            and not any(f.kind is kind and f.is_active for f in factors)
            for kind in (FactorKind.TOTP, FactorKind.BACKUP_CODES)
        }
        | {"passkey": visit.services.factors.offers(FactorKind.PASSKEY)},
        can_renew_codes=visit.services.factors.offers(FactorKind.BACKUP_CODES),
        email_verified=account.email_verified,
        pending_email=account.pending_email,
    )
