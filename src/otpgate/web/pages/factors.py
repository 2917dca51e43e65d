"""Setting up a new sign-in method, after the step-up that added it: the authenticator app's
QR code and first code, the passkey's creation. Also the rows "Login & security" lists.

A pending factor is shown only to its account's live session, for as long as it can still be
completed (``domain.factors.PENDING_SECONDS``); the app's secret is shown on its setup page
only, never once the app is confirmed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from otpgate import i18n
from otpgate.domain.errors import Conflict, InvalidInput, NotFound, OtpgateError
from otpgate.domain.factors import EnrolledFactor, FactorKind
from otpgate.domain.language import N_
from otpgate.domain.totp import grouped
from otpgate.web.pages.common import Visit, member, member_form, shown
from otpgate.web.problems import from_error
from otpgate.web.qr import qr_svg

router = APIRouter(include_in_schema=False)
SECURITY = "/account/security"


@dataclass(frozen=True, slots=True)
class FactorRow:
    """One sign-in method as "Login & security" lists it."""

    id: str
    kind: str
    title: str
    note: str
    added: datetime | None
    last_used: datetime | None
    removable: bool
    finish: str | None = None


def _title(factor: EnrolledFactor) -> str:
    """The method's name in the page's language: "Authenticator app “Pixel”"."""
    if factor.kind is FactorKind.SMS_CODE:
        return i18n.gettext("Text message (SMS)")
    if factor.kind is FactorKind.VOICE_CODE:
        return i18n.gettext("Phone call")
    if factor.kind is FactorKind.BACKUP_CODES:
        left = factor.remaining or 0
        return i18n.ngettext(
            "Backup codes (%(count)d left)", "Backup codes (%(count)d left)", left
        ) % {"count": left}
    if factor.kind is FactorKind.TOTP:
        return i18n.gettext("Authenticator app “%(label)s”") % {"label": factor.label}
    return i18n.gettext("Passkey “%(label)s”") % {"label": factor.label}


# Marked here, translated where a page is built (the reader's language is known only then).
NOTES = {
    FactorKind.SMS_CODE: N_("Codes by text to %(label)s. Every account has this one."),
    FactorKind.VOICE_CODE: N_(
        "When a text doesn't arrive, we can call %(label)s and read the code."
    ),
    FactorKind.TOTP: N_("Codes from the app on your phone; they work without signal."),
    FactorKind.PASSKEY: N_("Your fingerprint, face or screen lock; it works only on this site."),
    FactorKind.BACKUP_CODES: N_("For when you lose your phone. Each code works once."),
}


def _note(factor: EnrolledFactor) -> str:
    return i18n.gettext(NOTES[factor.kind]) % {"label": factor.label}


def factor_rows(factors: Sequence[EnrolledFactor]) -> list[FactorRow]:
    rows = []
    for factor in factors:
        stored = factor.kind not in (FactorKind.SMS_CODE, FactorKind.VOICE_CODE)
        finish = None
        if not factor.is_active:
            path = "authenticator" if factor.kind is FactorKind.TOTP else "passkeys"
            finish = f"{SECURITY}/{path}/{factor.id}"
        rows.append(
            FactorRow(
                id=factor.id,
                kind=factor.kind.value,
                title=_title(factor)
                if factor.is_active
                else i18n.gettext("%(method)s (not set up yet)") % {"method": _title(factor)},
                note=_note(factor),
                added=factor.created_at if stored else None,
                last_used=factor.last_used_at,
                removable=stored,
                finish=finish,
            )
        )
    return rows


# -- the authenticator app ---------------------------------------------------------------------


@router.get("/account/security/authenticator/{factor_id}")
async def app_setup(request: Request, factor_id: str) -> Response:
    visit, _auth = await member(request)
    return await _app_page(visit, factor_id)


@router.post("/account/security/authenticator/{factor_id}")
async def app_confirm(request: Request, factor_id: str) -> Response:
    visit, auth, fields = await member_form(request)
    try:
        await visit.services.factors.confirm(
            auth, visit.ctx, factor_id[:64], fields.get("code", "")
        )
    except InvalidInput as exc:
        return await _app_page(visit, factor_id, shown(exc), status=422)
    except (NotFound, Conflict):
        return visit.redirect(SECURITY, flash="setup_over")
    return visit.redirect(SECURITY, flash="totp_added")


async def _app_page(
    visit: Visit, factor_id: str, error: str | None = None, status: int = 200
) -> Response:
    assert visit.auth is not None
    try:
        factor, secret = await visit.services.factors.pending_app(visit.auth, factor_id[:64])
    except NotFound:
        return visit.redirect(SECURITY, flash="setup_over")
    uri = visit.services.factors.app_uri(visit.auth, secret)
    return visit.render(
        "totp_setup.html",
        status=status,
        section="security",
        factor_id=factor.id,
        qr_svg=qr_svg(uri),
        secret_grouped=grouped(secret),
        error=error,
    )


# -- passkeys ----------------------------------------------------------------------------------


@router.get("/account/security/passkeys/{factor_id}")
async def passkey_setup(request: Request, factor_id: str) -> Response:
    visit, _auth = await member(request)
    return await _passkey_page(visit, factor_id)


@router.post("/account/security/passkeys/{factor_id}/options")
async def passkey_options(request: Request, factor_id: str) -> Response:
    """Creation options for the setup page's button (JSON, behind the form's token)."""
    visit, auth, _fields = await member_form(request)
    try:
        options = await visit.services.passkeys.options(auth, visit.ctx, factor_id[:64])
    except OtpgateError as exc:
        return from_error(exc)
    return JSONResponse(options)


@router.post("/account/security/passkeys/{factor_id}")
async def passkey_finish(request: Request, factor_id: str) -> Response:
    visit, auth, fields = await member_form(request)
    try:
        await visit.services.passkeys.finish(
            auth, visit.ctx, factor_id[:64], fields.get("credential", "")
        )
    except InvalidInput as exc:
        return await _passkey_page(visit, factor_id, shown(exc), status=422)
    except (NotFound, Conflict):
        return visit.redirect(SECURITY, flash="setup_over")
    return visit.redirect(SECURITY, flash="passkey_added")


async def _passkey_page(
    visit: Visit, factor_id: str, error: str | None = None, status: int = 200
) -> Response:
    assert visit.auth is not None
    listed = await visit.services.factors.list(visit.auth)
    factor = next((f for f in listed if f.id == factor_id and f.kind is FactorKind.PASSKEY), None)
    if factor is None or factor.is_active:
        return visit.redirect(SECURITY, flash="setup_over")
    return visit.render(
        "passkey_setup.html",
        status=status,
        section="security",
        factor_id=factor.id,
        label=factor.label,
        error=error,
    )
