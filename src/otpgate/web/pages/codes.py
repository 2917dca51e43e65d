"""The code page: enter the code we texted, ask for a new one, or start again.

The challenge being answered is named by the signed pre-session cookie, never by the URL.
The same page takes sign-in codes and step-up codes; for a step-up it names the change the
code is for (S24), and afterwards returns to the account page the change came from.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.responses import Response

from otpgate import i18n
from otpgate.domain.actions import ActionType
from otpgate.domain.challenges import Challenge, Purpose, Status
from otpgate.domain.channels import Channel
from otpgate.domain.durations import duration_text
from otpgate.domain.errors import (
    ChallengeCanceled,
    ChallengeError,
    ChallengeExpired,
    ChallengeFailed,
    ChallengeNotFound,
    ChallengeUsed,
    Conflict,
    EmailUnavailable,
    InvalidCode,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    OtpgateError,
    ResendLimitReached,
    ResendTooSoon,
    Throttled,
)
from otpgate.domain.factors import FactorType
from otpgate.domain.phones import mask
from otpgate.services.approvals import AccountChanged, Approval, VerifyRequest
from otpgate.web.pages import notice, other_ways, returns, stepup
from otpgate.web.pages.common import Visit, open_visit, shown
from otpgate.web.pages.public import end_previous_session, wait_text
from otpgate.web.pages.times import at, ends_at
from otpgate.web.problems import status_for

router = APIRouter(include_in_schema=False)

MAX_CODE_INPUT = 32


@router.get("/verify")
async def code_page(request: Request) -> Response:
    visit = await open_visit(request)
    challenge = await _current(visit)
    if challenge is None:
        return visit.redirect(_home(visit))
    said = notice.take(visit.pages.cookies, request, visit.keys, challenge.id)
    # "Try another way": ``?with=totp`` asks for another of the account's factors.
    response = await _page(
        visit,
        challenge,
        factor=other_ways.factor_of(request.query_params),
        code_error=said.code_text() if said else None,
        resend_error=said.resend_text() if said else None,
        resend_until=said.until() if said else None,
        remember=said.remember if said else False,
    )
    if visit.pages.cookies.get(request, notice.NOTICE) is not None:
        visit.pages.cookies.clear(response, notice.NOTICE)  # said once
    return response


@router.post("/verify")
async def verify(request: Request) -> Response:
    visit = await open_visit(request)
    fields = await visit.guard(session=visit.auth is not None)
    challenge_id = visit.pre.challenge_id
    if challenge_id is None:
        return visit.redirect(_home(visit))
    remember = fields.get("remember") == "1"
    factor = other_ways.factor_of(fields)
    code = other_ways.answer_of(fields, factor, MAX_CODE_INPUT)
    try:
        verified = await visit.services.verifier.verify(
            VerifyRequest(
                challenge_id=challenge_id,
                code=code,
                remember_device=remember,
                ctx=visit.ctx,
                session_id=visit.auth.session.id if visit.auth else None,
                factor=factor,
            )
        )
    except (InvalidCode, InvalidInput, Throttled) as exc:
        # Post/redirect/get: a reload of the page that says so never sends the code again.
        text = wait_text(exc, visit.now()) if isinstance(exc, Throttled) else _wrong(exc)
        error, html = notice.words(text)
        said = notice.Notice(challenge_id, code_error=error, code_html=html, remember=remember)
        return _back(visit, factor, said)
    except (ChallengeExpired, ChallengeFailed, ChallengeCanceled):
        return _back(visit, factor)  # the code page now says it ended, and offers a new code
    except EmailUnavailable as exc:
        visit.remember_challenge(None)
        return visit.render("email_unavailable.html", status=409, message=shown(exc))
    except (ChallengeUsed, ChallengeNotFound, NotAuthenticated):
        visit.remember_challenge(None)
        return visit.redirect(_home(visit))
    except (Conflict, NotFound) as exc:
        # The code was right but its change can't be applied any more (the address was
        # removed, the email got taken meanwhile): nothing of it was applied.
        return await _refused(visit, exc)
    approval = verified.approval
    if verified.challenge.purpose is Purpose.STEP_UP:
        return _changed(visit, verified.challenge, approval)
    signed_in = approval.signed_in
    if signed_in is None:
        visit.remember_challenge(None)
        return visit.redirect(_home(visit))
    await end_previous_session(visit)
    visit.start_session(signed_in.issued.token, signed_in.issued.session.expires_at)
    if signed_in.device_token is not None:
        visit.trust_device(signed_in.device_token)
    purpose = verified.challenge.purpose
    if purpose is Purpose.RECOVER:
        return visit.redirect("/account/security", flash="recovered")
    confirmed = purpose is Purpose.VERIFY_PHONE
    flash = "confirmed" if confirmed else "signed_in"
    if purpose is Purpose.SIGN_IN and factor is FactorType.BACKUP_CODE:
        # Signed in without the phone: the account page offers a new number at once (issue 14).
        flash = "backup_code_used"
    return await returns.finish_sign_in(visit, "/account", flash, deep_links=not confirmed)


@router.post("/verify/resend")
async def resend(request: Request) -> Response:
    return await _resend(request, Channel.SMS)


@router.post("/verify/call")
async def call_me(request: Request) -> Response:
    """A call reads a new code instead of a text (offered once a text may be resent)."""
    return await _resend(request, Channel.VOICE)


async def _resend(request: Request, channel: Channel) -> Response:
    visit = await open_visit(request)
    await visit.guard(session=visit.auth is not None)
    challenge_id = visit.pre.challenge_id
    if challenge_id is None:
        return visit.redirect(_home(visit))
    try:
        await visit.services.challenges.resend(
            challenge_id,
            visit.ctx,
            visit.auth.session.id if visit.auth else None,
            channel=channel,
        )
    except (ResendTooSoon, ResendLimitReached, Throttled, ChallengeError) as exc:
        if isinstance(exc, (ChallengeExpired, ChallengeFailed, ChallengeCanceled)):
            return _back(visit, FactorType.SMS_CODE)
        if isinstance(exc, ChallengeUsed):
            visit.remember_challenge(None)
            return visit.redirect(_home(visit))
        said = _resend_notice(visit, challenge_id, exc)
        factor = FactorType.VOICE_CODE if channel is Channel.VOICE else FactorType.SMS_CODE
        return _back(visit, factor, said)
    except (NotFound, NotAuthenticated):
        visit.remember_challenge(None)
        return visit.redirect(_home(visit))
    except OtpgateError as exc:
        said = _resend_notice(visit, challenge_id, exc)
        return _back(visit, FactorType.SMS_CODE, said)
    if channel is Channel.VOICE:
        return visit.redirect("/verify?with=voice_code", flash="calling")
    return visit.redirect("/verify", flash="resent")


@router.post("/verify/new")
async def new_code(request: Request) -> Response:
    """ "Send a new code" on a code that ended: a new challenge after the same password
    step (sign-in), or for the same change (step-up), within every limit."""
    visit = await open_visit(request)
    await visit.guard(session=visit.auth is not None)
    challenge = await _current(visit)
    if challenge is None:
        return visit.redirect(_home(visit))
    try:
        if visit.auth is not None and challenge.purpose is Purpose.STEP_UP:
            renewed = await visit.services.stepup.again(visit.auth, challenge, visit.ctx)
        else:
            renewed = await visit.services.signin.again(challenge, visit.ctx)
    except Throttled as exc:
        return _back(visit, FactorType.SMS_CODE, _resend_notice(visit, challenge.id, exc))
    except (NotAuthenticated, Conflict, NotFound):
        origin = stepup.origin_of(challenge)
        visit.remember_challenge(None)
        return visit.redirect(origin.path if origin else "/signin")
    visit.remember_challenge(renewed.id)
    return visit.redirect("/verify", flash="new_code")


def _resend_notice(visit: Visit, challenge_id: str, exc: OtpgateError) -> notice.Notice:
    """Why no new code was sent; a limit also keeps the buttons off until it ends."""
    if isinstance(exc, Throttled):
        error, html = notice.words(wait_text(exc, visit.now()))
        until = ends_at(visit.now(), exc.retry_after)
        return notice.Notice(
            challenge_id, resend_error=error, resend_html=html, resend_until=int(until.timestamp())
        )
    return notice.Notice(challenge_id, resend_error=shown(exc))


def _wrong(exc: InvalidCode | InvalidInput) -> str:
    """A wrong code in the page's language: the tries left as a plural ("1 Versuch")."""
    if isinstance(exc, InvalidCode):
        left = exc.attempts_remaining
        return i18n.ngettext(
            "That code is not right. %(num)d try left.",
            "That code is not right. %(num)d tries left.",
            left,
        ) % {"num": left}
    return shown(exc)


def _back(visit: Visit, factor: FactorType, said: notice.Notice | None = None) -> Response:
    """To the code page (GET), with what the POST had to say."""
    path = "/verify" if factor is FactorType.SMS_CODE else f"/verify?with={factor.value}"
    response = visit.redirect(path)
    if said is not None:
        notice.put(visit.pages.cookies, response, visit.keys[0], said)
    return response


def _home(visit: Visit) -> str:
    return "/account" if visit.auth else "/signin"


def _changed(visit: Visit, challenge: Challenge, approval: Approval) -> Response:
    """A step-up code was right and its change is applied: back to where it came from."""
    if (shown := other_ways.after_factor_added(visit, approval)) is not None:
        return shown  # a new factor's next step (its setup page, or the backup codes)
    if approval.next_challenge is not None:
        # A new mobile number: the old number said yes, now the new one proves itself.
        visit.remember_challenge(approval.next_challenge.id)
        return visit.redirect("/verify", flash="phone_step_one")
    visit.remember_challenge(None)
    if approval.signed_in is not None:
        # A new password rotates this browser's session (the old token is already dead).
        issued = approval.signed_in.issued
        visit.start_session(issued.token, issued.session.expires_at)
    origin = stepup.origin_of(challenge)
    if origin is None:
        return visit.redirect("/account")
    result, action = approval.result, challenge.action
    asked_email = action is not None and "email" in action.values()
    if asked_email and isinstance(result, AccountChanged) and result.account.pending_email:
        # A new email waits for its link (DESIGN §5.7): say so, not "updated".
        return visit.redirect(origin.path, flash="email_pending")
    return visit.redirect(origin.path, flash=origin.flash)


async def _refused(visit: Visit, exc: OtpgateError) -> Response:
    challenge = await _current(visit)
    origin = stepup.origin_of(challenge)
    visit.remember_challenge(None)
    return visit.render(
        "change_refused.html",
        status=status_for(exc),
        message=shown(exc),
        back=origin.path if origin else "/account",
        back_label=origin.label if origin else i18n.gettext("Your account"),
    )


async def _current(visit: Visit) -> Challenge | None:
    """The challenge named by the pre-session cookie, or None (and the cookie forgets it)."""
    challenge_id = visit.pre.challenge_id
    if challenge_id is None:
        return None
    try:
        return await visit.services.challenges.get(
            challenge_id, visit.auth.session.id if visit.auth else None
        )
    except (NotFound, NotAuthenticated):
        visit.remember_challenge(None)
        return None


async def _page(
    visit: Visit,
    challenge: Challenge,
    *,
    code_error: str | None = None,
    resend_error: str | None = None,
    resend_until: datetime | None = None,
    remember: bool = False,
    factor: FactorType = FactorType.SMS_CODE,
) -> Response:
    now = visit.now()
    state = challenge.effective_status(now)
    if state is Status.PENDING and challenge.attempts >= challenge.max_attempts:
        state = Status.FAILED
    origin = stepup.origin_of(challenge)
    if state is Status.APPROVED:
        visit.remember_challenge(None)
        return visit.redirect(origin.path if origin else _home(visit))
    if state is not Status.PENDING:
        return _ended(visit, state, challenge, resend_error)
    policy = visit.settings.policy
    available_at = challenge.resend_available_at(policy)
    resend_wait = None
    if available_at is not None:
        # A limit that refused a new code keeps the buttons off until it ends, too.
        if resend_until is not None and resend_until > available_at:
            available_at = resend_until
        resend_wait = max(0, math.ceil((available_at - now).total_seconds()))
    expires_seconds = max(0, math.ceil((challenge.expires_at - now).total_seconds()))
    ways = await other_ways.ways(visit, challenge, factor)
    wording = _wording(challenge, stepup.change_text(visit, challenge))
    return visit.render(
        ways.template,
        ways=ways,
        heading=_heading(wording.get("heading") or ways.entry.heading, challenge),
        purpose=challenge.purpose.value,
        wording=wording,
        again=origin.path if origin else "/signin",
        again_label=(
            i18n.gettext("Back to %(page)s") % {"page": origin.label}
            if origin
            else i18n.gettext("Start again")
        ),
        code_length=policy.code_length,
        attempts_remaining=challenge.attempts_remaining,
        max_attempts=challenge.max_attempts,
        expires_in=duration_text(expires_seconds, words=i18n.current()),
        expires_seconds=expires_seconds,
        resend_wait=resend_wait,
        # A wait longer than a countdown is said as the time it ends.
        resend_at=at(now, resend_wait) if resend_wait and resend_wait >= 90 else None,
        code_error=code_error,
        resend_error=resend_error,
        remember=remember,
        can_remember=visit.settings.remember_devices and origin is None,
    )


def _heading(heading: str, challenge: Challenge) -> Markup:
    """The code page's heading in the page's language, around the masked number it went to
    (kept on one line)."""
    where = Markup('<span class="nowrap">{}</span>').format(mask(challenge.destination))
    return Markup(heading) % {"destination": where}  # noqa: S704 - the catalogue's own words


def _wording(challenge: Challenge, change: str | None) -> dict[str, str | None]:
    """What the code page says, in the page's language: above the heading, the heading
    around the number, the lead; ``change`` is the step-up's change in the same language."""
    _ = i18n.gettext
    action = stepup.action_of(challenge)
    if challenge.purpose is Purpose.VERIFY_PHONE:
        return {"eyebrow": _("Confirm your mobile number"), "lead": None, "change": None}
    if challenge.purpose is Purpose.RECOVER:
        return {
            "eyebrow": _("Recover your account · last step"),
            "change": None,
            "lead": _(
                "This proves the new number is yours. Once it is accepted, every other "
                "browser is signed out and your other sign-in methods are removed."
            ),
        }
    if action is None:
        return {"eyebrow": _("Sign in · step 2 of 2"), "lead": None, "change": None}
    if action is ActionType.CHANGE_PHONE:
        return {
            "eyebrow": _("New mobile number · step 1 of 2"),
            "change": change,
            "lead": _(
                "This code goes to your current number. Next we'll text a code to the new one."
            ),
        }
    if action is ActionType.CONFIRM_NEW_PHONE:
        return {
            "eyebrow": _("New mobile number · step 2 of 2"),
            "heading": _("Now enter the code we sent to your new number %(destination)s"),
            "change": None,
            "lead": _(
                "This proves the new number is yours. Your number changes only once this "
                "code is accepted."
            ),
        }
    return {
        "eyebrow": _("Confirm a change"),
        "change": change,
        "lead": _("Nothing changes until you enter this code, and it works only for this change."),
    }


def _ended(visit: Visit, state: Status, challenge: Challenge, error: str | None = None) -> Response:
    """A challenge that can take no more codes: say why, and offer a new code where the
    same password step (sign-in) or the same change (step-up) may ask for one; else start
    again. A renewable challenge stays named by the cookie, so a reload says the same."""
    origin = stepup.origin_of(challenge)
    renewable = _renewable(visit, challenge)
    if not renewable:
        visit.remember_challenge(None)
    return visit.render(
        "code_ended.html",
        status=410,
        state=state.value,
        confirming=challenge.purpose is Purpose.VERIFY_PHONE,
        step_up=origin is not None,
        again=origin.path if origin else "/signin",
        again_label=origin.label if origin else None,
        ttl=duration_text(visit.settings.code_ttl_seconds, words=i18n.current()),
        renewable=renewable,
        error=error,
    )


def _renewable(visit: Visit, challenge: Challenge) -> bool:
    """Whether "Send a new code" is offered (the services decide again when it is used)."""
    if challenge.purpose is Purpose.SIGN_IN:
        window = timedelta(seconds=2 * visit.settings.challenge_max_life_seconds)
        return visit.auth is None and visit.now() - challenge.created_at <= window
    if challenge.purpose is Purpose.STEP_UP:
        return (
            visit.auth is not None
            and challenge.session_id == visit.auth.session.id
            and stepup.action_of(challenge) is not ActionType.CONFIRM_NEW_PHONE
        )
    return False
