"""All use cases wired together, with what approving each kind of challenge does."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

from otpgate.domain.accounts import EventType, SecurityEvent
from otpgate.domain.challenges import Challenge, Purpose
from otpgate.domain.errors import EmailUnavailable
from otpgate.services.account import AccountService
from otpgate.services.addresses import AddressService
from otpgate.services.challenges import Approval, ChallengeService, VerifyRequest
from otpgate.services.deps import Deps
from otpgate.services.devices import DeviceService
from otpgate.services.payments import PaymentService
from otpgate.services.ports import StepUpTransaction
from otpgate.services.profile import ProfileService
from otpgate.services.registration import REPLACE_UNCONFIRMED, RegistrationService
from otpgate.services.sessions import SessionService
from otpgate.services.signin import SignInService
from otpgate.services.stepup import StepUpService


class Services:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.sessions = SessionService(deps)
        self.challenges = ChallengeService(deps)
        self.registration = RegistrationService(deps, self.challenges)
        self.signin = SignInService(deps, self.challenges, self.sessions)
        self.account = AccountService(deps)
        self.stepup = StepUpService(deps, self.challenges)
        self.profile = ProfileService(deps, self.stepup, self.sessions)
        self.addresses = AddressService(deps, self.stepup, strict=deps.config.strict_address_edits)
        self.payments = PaymentService(deps, self.stepup)
        self.devices = DeviceService(deps)
        self.challenges.on_approval(Purpose.VERIFY_PHONE, self._phone_confirmed)
        self.challenges.on_approval(Purpose.SIGN_IN, self._signed_in)

    async def _phone_confirmed(
        self, tx: StepUpTransaction, challenge: Challenge, now: datetime, request: VerifyRequest
    ) -> Approval:
        """Confirming the number at registration also signs the customer in."""
        if challenge.action_type == REPLACE_UNCONFIRMED and challenge.action_payload:
            challenge = await self._take_over_unconfirmed(tx, challenge, now)
        assert challenge.account_id is not None
        await tx.set_phone_verified(challenge.account_id, now)
        await tx.add_event(
            SecurityEvent(
                type=EventType.PHONE_VERIFIED,
                outcome="ok",
                account_id=challenge.account_id,
                ip=request.ctx.ip,
                user_agent=request.ctx.user_agent,
                details={"challenge_id": challenge.id},
                created_at=now,
            )
        )
        return await self._new_session(tx, challenge, now, request)

    async def _take_over_unconfirmed(
        self, tx: StepUpTransaction, challenge: Challenge, now: datetime
    ) -> Challenge:
        """Give a never-confirmed account the name, number and password just proven."""
        assert challenge.action_payload is not None
        payload = json.loads(challenge.action_payload)
        account = await tx.get_account(payload["account_id"])
        if account is None or account.phone_verified:
            # Confirmed (or gone) in the meantime: it is somebody's account now.
            raise EmailUnavailable(
                "This email address can't be used for a new account. "
                "If it is yours, sign in instead."
            )
        await tx.update_account(
            account.id,
            {
                "name": payload["name"],
                "phone": payload["phone"],
                "password_hash": payload["password_hash"],
            },
        )
        await tx.cancel_pending(account.id, Purpose.VERIFY_PHONE, now)
        await tx.revoke_sessions(account.id, now)
        await tx.revoke_devices(account.id, now)
        return replace(challenge, account_id=account.id)

    async def _signed_in(
        self, tx: StepUpTransaction, challenge: Challenge, now: datetime, request: VerifyRequest
    ) -> Approval:
        return await self._new_session(tx, challenge, now, request)

    async def _new_session(
        self, tx: StepUpTransaction, challenge: Challenge, now: datetime, request: VerifyRequest
    ) -> Approval:
        assert challenge.account_id is not None
        device_token = None
        device_id = None
        remember = request.remember_device or challenge.remember_device
        if remember and self.deps.config.remember_devices:
            device_token, device = await self.sessions.trust_device(
                tx, challenge.account_id, request.ctx, now
            )
            device_id = device.id
        issued = await self.sessions.issue(
            tx, challenge.account_id, request.ctx, now, device_id=device_id
        )
        await tx.add_event(
            SecurityEvent(
                type=EventType.SIGNIN_SUCCEEDED,
                outcome="ok",
                account_id=challenge.account_id,
                ip=request.ctx.ip,
                user_agent=request.ctx.user_agent,
                details={
                    "session_id": issued.session.id,
                    "purpose": challenge.purpose.value,
                    "trusted_device": device_id is not None,
                },
                created_at=now,
            )
        )
        return Approval(
            session_token=issued.token,
            session_expires_at=issued.session.expires_at,
            device_token=device_token,
        )
