""" "Try another way" on the code page: the same challenge answered with another factor.

``/verify?with=totp`` (or ``backup_code``, ``passkey``) shows the page for that factor; the
form posts ``factor`` with its answer to ``/verify``, so the challenge, its tries and the
account's pause are the same whichever factor answers. A call is asked for like a new text
(``/verify/call`` in ``codes.py``, after the same wait); a passkey's options come from
``/verify/passkey`` (a POST with the form's token: asking for them writes a ceremony).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from otpgate import i18n
from otpgate.domain.challenges import Challenge
from otpgate.domain.errors import OtpgateError, Throttled
from otpgate.domain.factors import FactorKind, FactorType
from otpgate.domain.language import N_
from otpgate.services.approvals import Approval, FactorAdded
from otpgate.services.factors.passkey import MAX_CREDENTIAL_CHARS
from otpgate.web.pages.common import Visit, open_visit, shown
from otpgate.web.pages.public import wait_text
from otpgate.web.problems import PROBLEM_JSON, from_error

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True, slots=True)
class Way:
    label: str
    href: str

    def translated(self) -> Way:
        return replace(self, label=i18n.gettext(self.label))


@dataclass(frozen=True, slots=True)
class Entry:
    """How the page asks for one factor's answer. The words are message ids, in the page's
    language once ``translated``; a heading may name the number (``%(destination)s``)."""

    heading: str
    label: str = N_("Code")
    hint: str | None = None
    inputmode: str = "numeric"
    autocomplete: str = "one-time-code"
    pattern: str | None = "[0-9]*"

    def translated(self) -> Entry:
        return replace(
            self,
            heading=i18n.gettext(self.heading),
            label=i18n.gettext(self.label),
            hint=i18n.gettext(self.hint) if self.hint else None,
        )


ENTRIES = {
    FactorType.SMS_CODE: Entry(N_("Enter the code we sent to %(destination)s")),
    FactorType.VOICE_CODE: Entry(N_("Enter the code we read out on a call to %(destination)s")),
    FactorType.TOTP: Entry(
        N_("Enter the code from your authenticator app"),
        label=N_("Code from the app"),
        hint=N_("Your app shows a new 6-digit code every 30 seconds."),
    ),
    FactorType.BACKUP_CODE: Entry(
        N_("Enter one of your backup codes"),
        label=N_("Backup code"),
        hint=N_("10 letters and digits, like 2bx7k-9mqpa. Each code works once."),
        inputmode="text",
        autocomplete="off",
        pattern=None,
    ),
    FactorType.PASSKEY: Entry(N_("Use your passkey"), label=N_("Passkey")),
}
WAYS = {
    FactorType.SMS_CODE: Way(N_("Get a code by text message"), "/verify"),
    FactorType.TOTP: Way(N_("Use your authenticator app"), "/verify?with=totp"),
    FactorType.PASSKEY: Way(N_("Use a passkey"), "/verify?with=passkey"),
    FactorType.BACKUP_CODE: Way(N_("Use a backup code"), "/verify?with=backup_code"),
}


@dataclass(frozen=True, slots=True)
class Ways:
    """The factor this page asks for, and the other ways offered."""

    factor: FactorType
    entry: Entry
    others: list[Way] = field(default_factory=list)
    can_call: bool = False

    @property
    def template(self) -> str:
        sent = self.factor in (FactorType.SMS_CODE, FactorType.VOICE_CODE)
        return "code.html" if sent else "factor_code.html"


def factor_of(values: Mapping[str, str]) -> FactorType:
    """The factor named by ``?with=`` or the form's ``factor`` (SMS when none or unknown)."""
    raw = values.get("factor") or values.get("with") or ""
    try:
        return FactorType(raw)
    except ValueError:
        return FactorType.SMS_CODE


def answer_of(fields: Mapping[str, str], factor: FactorType, max_code: int) -> str:
    if factor is FactorType.PASSKEY:
        return fields.get("credential", "")[:MAX_CREDENTIAL_CHARS]
    return fields.get("code", "")[:max_code]


async def ways(visit: Visit, challenge: Challenge, asked: FactorType) -> Ways:
    available = await visit.services.factors.available(challenge)
    factor = asked if asked in available else FactorType.SMS_CODE
    others = [WAYS[f] for f in available if f in WAYS and f is not factor]
    if factor is FactorType.VOICE_CODE:
        others = [WAYS[FactorType.SMS_CODE], *(w for w in others if w.href != "/verify")]
    return Ways(
        factor=factor,
        entry=ENTRIES[factor].translated(),
        others=[way.translated() for way in others],
        can_call=FactorType.VOICE_CODE in available,
    )


def after_factor_added(visit: Visit, approval: Approval) -> Response | None:
    """After the step-up that added a factor: its setup page, or the new backup codes
    (shown in this answer only: they are never stored in the clear, so never shown again)."""
    added = approval.result
    if not isinstance(added, FactorAdded):
        return None
    visit.remember_challenge(None)
    kind = added.factor.kind
    if kind is FactorKind.TOTP:
        return visit.redirect(f"/account/security/authenticator/{added.factor.id}")
    if kind is FactorKind.PASSKEY:
        return visit.redirect(f"/account/security/passkeys/{added.factor.id}")
    return visit.render("backup_codes.html", section="security", codes=added.codes)


@router.post("/verify/passkey")
async def passkey_options(request: Request) -> Response:
    """WebAuthn request options for the code page's passkey button (JSON)."""
    visit = await open_visit(request)
    await visit.guard(session=visit.auth is not None)
    challenge_id = visit.pre.challenge_id
    if challenge_id is None:
        return JSONResponse({"detail": i18n.gettext("Start again.")}, status_code=404)
    try:
        options = await visit.services.passkey.options(
            challenge_id, visit.auth.session.id if visit.auth else None, visit.ctx
        )
    except OtpgateError as exc:
        return _refused(visit, exc)
    return JSONResponse(options)


def _refused(visit: Visit, exc: OtpgateError) -> Response:
    """The problem details, their ``detail`` in the page's language: passkeys.js shows it."""
    answer = from_error(exc)
    body = json.loads(bytes(answer.body))
    if isinstance(exc, Throttled):
        body["detail"] = wait_text(exc, visit.now()).striptags()
    else:
        body["detail"] = shown(exc)
    # The same headers (Retry-After, WWW-Authenticate), for a body of another length.
    headers = {
        name: value
        for name, value in answer.headers.items()
        if name not in ("content-length", "content-type")
    }
    return JSONResponse(
        body, status_code=answer.status_code, media_type=PROBLEM_JSON, headers=headers
    )
