"""The code page: enter the code we texted, ask for a new one, or start again.

The challenge being answered is named by the signed pre-session cookie, never by the URL.
The same page takes sign-in codes and step-up codes; for a step-up it names the change the
code is for (S24), and afterwards returns to the account page the change came from.
"""

from __future__ import annotations

import math

from fastapi import APIRouter, Request
from starlette.responses import Response

from otpgate.domain.actions import ActionType
from otpgate.domain.challenges import Challenge, Purpose, Status
from otpgate.domain.channels import Channel
from otpgate.domain.durations import duration_text
from otpgate.domain.errors import (
    ChallengeCanceled,
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
from otpgate.web.pages import other_ways, stepup
from otpgate.web.pages.common import Visit, open_visit
from otpgate.web.pages.public import end_previous_session, wait_text
from otpgate.web.problems import status_for

router = APIRouter(include_in_schema=False)

MAX_CODE_INPUT = 32
ENDED = {
    ChallengeExpired: Status.EXPIRED,
    ChallengeFailed: Status.FAILED,
    ChallengeCanceled: Status.CANCELED,
}


@router.get("/verify")
async def code_page(request: Request) -> Response:
    visit = await open_visit(request)
    challenge = await _current(visit)
    if challenge is None:
        return visit.redirect(_home(visit))
    # "Try another way": ``?with=totp`` asks for another of the account's factors.
    return await _page(visit, challenge, factor=other_ways.factor_of(request.query_params))


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
        error = wait_text(exc) if isinstance(exc, Throttled) else exc.detail
        status = 429 if isinstance(exc, Throttled) else 400
        return await _again(
            visit, challenge_id, status, code_error=error, remember=remember, factor=factor
        )
    except (ChallengeExpired, ChallengeFailed, ChallengeCanceled) as exc:
        return await _finished(visit, ENDED[type(exc)])
    except EmailUnavailable as exc:
        visit.remember_challenge(None)
        return visit.render("email_unavailable.html", status=409, message=exc.detail)
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
    if purpose is Purpose.SIGN_IN and factor is FactorType.BACKUP_CODE:
        # Signed in without the phone: offer a new number or factor at once (issue 14).
        return visit.redirect("/account", flash="backup_code_used")
    confirmed = purpose is Purpose.VERIFY_PHONE
    return visit.redirect("/account", flash="confirmed" if confirmed else "signed_in")


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
    except (ResendTooSoon, ResendLimitReached) as exc:
        return await _again(visit, challenge_id, 429, resend_error=exc.detail)
    except Throttled as exc:
        return await _again(visit, challenge_id, 429, resend_error=wait_text(exc))
    except (ChallengeExpired, ChallengeFailed, ChallengeCanceled) as exc:
        return await _finished(visit, ENDED[type(exc)])
    except (ChallengeUsed, NotFound, NotAuthenticated):
        visit.remember_challenge(None)
        return visit.redirect(_home(visit))
    except OtpgateError as exc:
        return await _again(visit, challenge_id, status_for(exc), resend_error=exc.detail)
    if channel is Channel.VOICE:
        return visit.redirect("/verify?with=voice_code", flash="calling")
    return visit.redirect("/verify", flash="resent")


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
        message=exc.detail,
        back=origin.path if origin else "/account",
        back_label=origin.label if origin else "Your account",
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


async def _again(
    visit: Visit,
    challenge_id: str,
    status: int,
    *,
    code_error: str | None = None,
    resend_error: str | None = None,
    remember: bool = False,
    factor: FactorType = FactorType.SMS_CODE,
) -> Response:
    challenge = await _current(visit)
    if challenge is None or challenge.id != challenge_id:
        return visit.redirect(_home(visit))
    return await _page(
        visit,
        challenge,
        status=status,
        code_error=code_error,
        resend_error=resend_error,
        remember=remember,
        factor=factor,
    )


async def _page(
    visit: Visit,
    challenge: Challenge,
    *,
    status: int = 200,
    code_error: str | None = None,
    resend_error: str | None = None,
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
        return _ended(visit, state, challenge)
    policy = visit.settings.policy
    available_at = challenge.resend_available_at(policy)
    resend_wait = None
    if available_at is not None:
        resend_wait = max(0, math.ceil((available_at - now).total_seconds()))
    ways = await other_ways.ways(visit, challenge, factor)
    return visit.render(
        ways.template,
        status=status,
        ways=ways,
        destination=mask(challenge.destination),
        purpose=challenge.purpose.value,
        wording=_wording(challenge),
        again=origin.path if origin else "/signin",
        again_label=f"Back to {origin.label}" if origin else "Start again",
        code_length=policy.code_length,
        attempts_remaining=challenge.attempts_remaining,
        max_attempts=challenge.max_attempts,
        expires_in=duration_text(math.ceil((challenge.expires_at - now).total_seconds())),
        resend_wait=resend_wait,
        code_error=code_error,
        resend_error=resend_error,
        remember=remember,
        can_remember=visit.settings.remember_devices and origin is None,
    )


def _wording(challenge: Challenge) -> dict[str, str | None]:
    """What the code page says: above the heading, the heading around the number, the lead."""
    action = stepup.action_of(challenge)
    if challenge.purpose is Purpose.VERIFY_PHONE:
        return {"eyebrow": "Confirm your mobile number", "lead": None, "change": None}
    if challenge.purpose is Purpose.RECOVER:
        return {
            "eyebrow": "Recover your account · last step",
            "change": None,
            "lead": "This proves the new number is yours. Once it is accepted, every other "
            "browser is signed out and your other sign-in methods are removed.",
        }
    if action is None:
        return {"eyebrow": "Sign in · step 2 of 2", "lead": None, "change": None}
    if action is ActionType.CHANGE_PHONE:
        return {
            "eyebrow": "New mobile number · step 1 of 2",
            "change": stepup.change_text(challenge),
            "lead": "This code goes to your current number. Next we'll text a code to the new one.",
        }
    if action is ActionType.CONFIRM_NEW_PHONE:
        return {
            "eyebrow": "New mobile number · step 2 of 2",
            "heading": "Now enter the code we sent to your new number",
            "change": None,
            "lead": "This proves the new number is yours. Your number changes only once this "
            "code is accepted.",
        }
    return {
        "eyebrow": "Confirm a change",
        "change": stepup.change_text(challenge),
        "lead": "Nothing changes until you enter this code, and it works only for this change.",
    }


async def _finished(visit: Visit, state: Status) -> Response:
    return _ended(visit, state, await _current(visit))


def _ended(visit: Visit, state: Status, challenge: Challenge | None) -> Response:
    """A challenge that can take no more codes: say why and offer to start again."""
    visit.remember_challenge(None)
    origin = stepup.origin_of(challenge)
    return visit.render(
        "code_ended.html",
        status=410,
        state=state.value,
        confirming=challenge is not None and challenge.purpose is Purpose.VERIFY_PHONE,
        step_up=origin is not None,
        again=origin.path if origin else "/signin",
        again_label=origin.label if origin else None,
        ttl=duration_text(visit.settings.code_ttl_seconds),
    )
