"""Login & security: name, email, password and mobile number, each behind a step-up code."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from otpgate.domain.accounts import EventType, SecurityEvent
from otpgate.domain.actions import ActionType, PendingAction
from otpgate.domain.challenges import Challenge, Purpose
from otpgate.domain.emails import mask_email, normalize_email
from otpgate.domain.errors import Conflict, InvalidInput
from otpgate.domain.passwords import check_password, normalize_password
from otpgate.domain.phones import mask, parse_mobile
from otpgate.services.challenges import Approval, VerifyRequest
from otpgate.services.deps import Deps
from otpgate.services.limits import PASSWORD_CHANGE, hit_send_limits
from otpgate.services.outbox import queue_sms
from otpgate.services.ports import OutgoingSms, RequestContext, StepUpTransaction
from otpgate.services.registration import clean_name
from otpgate.services.sessions import Authenticated, SessionService
from otpgate.services.stepup import StepUpService


class ProfileService:
    def __init__(self, deps: Deps, stepup: StepUpService, sessions: SessionService) -> None:
        self.deps = deps
        self.stepup = stepup
        self.sessions = sessions
        stepup.on_apply(ActionType.UPDATE_PROFILE, self._apply_profile)
        stepup.on_apply(ActionType.CHANGE_PASSWORD, self._apply_password)
        stepup.on_apply(ActionType.CHANGE_PHONE, self._apply_phone_request)
        stepup.on_apply(ActionType.CONFIRM_NEW_PHONE, self._apply_new_phone)

    # -- name and email --------------------------------------------------------------------

    async def request_profile_change(
        self, auth: Authenticated, ctx: RequestContext, name: str | None, email: str | None
    ) -> Challenge:
        """Ask for a code to change the name and/or email.

        A taken email is not refused here (that would reveal someone else's account to anyone
        with a session); it is refused, generically, when the change is applied.
        """
        account = auth.account
        changes: dict[str, str] = {}
        if name is not None and clean_name(name) != account.name:
            changes["name"] = clean_name(name)
        if email is not None and normalize_email(email) != account.email:
            changes["email"] = normalize_email(email)
        if not changes:
            raise InvalidInput("name", "Nothing would change: enter a new name or email.")
        parts = []
        if "name" in changes:
            parts.append(f"your name to {changes['name']}")
        if "email" in changes:
            parts.append(f"your email to {mask_email(changes['email'])}")
        summary = "Change " + " and ".join(parts)
        action = PendingAction(ActionType.UPDATE_PROFILE, changes, summary)
        return await self.stepup.request(auth, action, ctx)

    async def _apply_profile(
        self,
        tx: StepUpTransaction,
        challenge: Challenge,
        payload: dict[str, Any],
        now: datetime,
        request: VerifyRequest,
    ) -> Approval:
        assert challenge.account_id is not None
        if "email" in payload:
            other = await tx.get_account_by_email(payload["email"])
            if other is not None and other.id != challenge.account_id:
                raise Conflict("That email address can't be used. Choose another one.")
        await tx.update_account(challenge.account_id, dict(payload))
        account = await tx.get_account(challenge.account_id)
        return Approval(result=account)

    # -- password ----------------------------------------------------------------------------

    async def request_password_change(
        self, auth: Authenticated, ctx: RequestContext, current: str, new: str
    ) -> Challenge:
        """Check the current password, vet the new one, and ask for a code (S26)."""
        deps = self.deps
        account = auth.account
        await deps.limiter.hit(PASSWORD_CHANGE, account.id)
        if not await deps.hasher.verify(account.password_hash, normalize_password(current)):
            async with deps.store.transaction() as tx:
                await tx.add_event(
                    SecurityEvent(
                        type=EventType.PASSWORD_CHANGE_FAILED,
                        outcome="wrong_current_password",
                        account_id=account.id,
                        ip=ctx.ip,
                        user_agent=ctx.user_agent,
                        details={"session_id": auth.session.id},
                        created_at=deps.clock.now(),
                    )
                )
            raise InvalidInput("current_password", "Your current password is not right.")
        context = [deps.config.brand, account.email.split("@")[0], *account.name.split()]
        normalized = check_password(new, context=context, field="new_password")
        if await deps.hasher.verify(account.password_hash, normalized):
            raise InvalidInput("new_password", "That is your current password; choose a new one.")
        password_hash = await deps.hasher.hash(normalized)
        action = PendingAction(
            ActionType.CHANGE_PASSWORD, {"password_hash": password_hash}, "Change your password"
        )
        return await self.stepup.request(auth, action, ctx)

    async def _apply_password(
        self,
        tx: StepUpTransaction,
        challenge: Challenge,
        payload: dict[str, Any],
        now: datetime,
        request: VerifyRequest,
    ) -> Approval:
        assert challenge.account_id is not None and challenge.session_id is not None
        account_id = challenge.account_id
        await tx.update_account(account_id, {"password_hash": payload["password_hash"]})
        # Everyone else is signed out and every trusted browser forgotten (S26); this browser
        # gets a new session id, since its privilege just changed (ASVS 7.2.4).
        await _cancel_pending_codes(tx, account_id, now)
        signed_out = await tx.revoke_sessions(account_id, now)
        forgotten = await tx.revoke_devices(account_id, now)
        issued = await self.sessions.issue(tx, account_id, request.ctx, now)
        await _event(tx, account_id, request, now, signed_out=signed_out, devices=forgotten)
        return Approval(
            session_token=issued.token,
            session_expires_at=issued.session.expires_at,
            result={"signed_out_sessions": signed_out - 1, "forgotten_devices": forgotten},
        )

    # -- mobile number -------------------------------------------------------------------------

    async def request_phone_change(
        self, auth: Authenticated, ctx: RequestContext, phone: str
    ) -> Challenge:
        """First code: to the CURRENT number, to authorise the change (S25)."""
        config = self.deps.config
        number = parse_mobile(
            phone, default_region=config.default_region, allowed_countries=config.allowed_countries
        )
        if number == auth.account.phone:
            raise InvalidInput("phone", "That is already your mobile number.")
        action = PendingAction(
            ActionType.CHANGE_PHONE,
            {"phone": number, "old": auth.account.phone},
            f"Change your mobile number to {mask(number)}",
        )
        return await self.stepup.request(auth, action, ctx)

    async def _apply_phone_request(
        self,
        tx: StepUpTransaction,
        challenge: Challenge,
        payload: dict[str, Any],
        now: datetime,
        request: VerifyRequest,
    ) -> Approval:
        """The old number said yes; now the new number must prove itself with its own code."""
        assert challenge.account_id is not None and challenge.session_id is not None
        await hit_send_limits(
            self.deps.limiter, payload["phone"], request.ctx, challenge.account_id, proven=False
        )
        action = PendingAction(
            ActionType.CONFIRM_NEW_PHONE,
            {"phone": payload["phone"], "old": payload["old"]},
            "Confirm your new mobile number",
        )
        next_challenge, message = await self.stepup.open(
            tx,
            (challenge.account_id, challenge.session_id),
            action,
            request.ctx,
            payload["phone"],
        )
        return Approval(next_challenge=next_challenge, messages=(message,))

    async def _apply_new_phone(
        self,
        tx: StepUpTransaction,
        challenge: Challenge,
        payload: dict[str, Any],
        now: datetime,
        request: VerifyRequest,
    ) -> Approval:
        assert challenge.account_id is not None
        account = await tx.get_account(challenge.account_id)
        if account is None or account.phone != payload["old"]:
            raise Conflict("Your mobile number changed in the meantime. Start again.")
        await tx.update_account(
            account.id,
            {"phone": payload["phone"], "phone_verified": True, "phone_verified_at": now},
        )
        forgotten = await tx.revoke_devices(account.id, now)
        await _cancel_pending_codes(tx, account.id, now)
        notice = await self._notice(tx, account.id, payload["old"], payload["phone"], now)
        await _event(tx, account.id, request, now, devices=forgotten, phone=mask(payload["phone"]))
        return Approval(result=await tx.get_account(account.id), messages=(notice,))

    async def _notice(
        self, tx: StepUpTransaction, account_id: str, old: str, new: str, now: datetime
    ) -> OutgoingSms:
        """Tell the old number that it no longer receives this account's codes (S25)."""
        body = (
            f"Your {self.deps.config.brand} mobile number was changed to {mask(new)}. "
            "If this wasn't you, contact us right away."
        )
        return await queue_sms(
            self.deps,
            tx,
            to=old,
            body=body,
            body_redacted=body,  # no code in a notice: nothing to blank out
            purpose="notice",
            now=now,
            expires_at=now + timedelta(hours=1),
            account_id=account_id,
        )


async def _cancel_pending_codes(tx: StepUpTransaction, account_id: str, now: datetime) -> None:
    """A sign-in begun with the old password or number must not finish after the change."""
    await tx.cancel_pending(account_id, Purpose.SIGN_IN, now)
    await tx.cancel_pending(account_id, Purpose.VERIFY_PHONE, now)


async def _event(
    tx: StepUpTransaction,
    account_id: str,
    request: VerifyRequest,
    now: datetime,
    **details: object,
) -> None:
    await tx.add_event(
        SecurityEvent(
            type=EventType.CHANGE_APPLIED,
            outcome="ok",
            account_id=account_id,
            ip=request.ctx.ip,
            user_agent=request.ctx.user_agent,
            details=dict(details),
            created_at=now,
        )
    )
