"""Signing in, step one: the password. Step two is a code (``ChallengeService.verify``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from otpgate.domain.accounts import Account, EventType
from otpgate.domain.challenges import (
    Challenge,
    ConfirmPhone,
    ForAccount,
    Intent,
    SignIn,
    Status,
)
from otpgate.domain.emails import normalize_email, throttle_key
from otpgate.domain.errors import (
    AccountDisabled,
    CodeLockout,
    InvalidCredentials,
    InvalidInput,
    NotAuthenticated,
)
from otpgate.domain.passwords import MAX_PASSWORD_LENGTH, normalize_password
from otpgate.domain.policy import seconds_until
from otpgate.services.approvals import Approval, VerifyRequest
from otpgate.services.audit import audit
from otpgate.services.challenges import ChallengeIssuer
from otpgate.services.deps import Deps
from otpgate.services.limits import PASSWORD_ACCOUNT, PASSWORD_IP, hit_send_limits, ip_key
from otpgate.services.mail import MailService
from otpgate.services.ports import RequestContext
from otpgate.services.recovery import end_on_sign_in
from otpgate.services.sessions import IssuedSession, SessionService, record_sign_in
from otpgate.services.storage import UnitOfWork


@dataclass(frozen=True, slots=True)
class CodeRequired:
    """The password was right; a code was sent (``challenge``)."""

    challenge: Challenge


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The password was right and this browser is trusted: no code needed (S22)."""

    issued: IssuedSession


class SignInService:
    """Step one (the password) and what a right sign-in code does (the ``sign_in`` approval)."""

    def __init__(
        self,
        deps: Deps,
        issuer: ChallengeIssuer,
        sessions: SessionService,
        *,
        mail: MailService | None = None,
    ) -> None:
        self.deps = deps
        self.issuer = issuer
        self.sessions = sessions
        self.mail = mail

    async def start(
        self,
        *,
        email: str,
        password: str,
        ctx: RequestContext,
        device_token: str | None = None,
        remember_device: bool = False,
    ) -> CodeRequired | SignedIn:
        """Check the password; on success send a sign-in code (or skip it on a trusted browser).

        Unknown addresses and wrong passwords take the same path, the same time (a dummy
        Argon2 verify) and the same error (S17), and nothing is sent (S40).
        """
        deps = self.deps
        await self.count_try(email, device_token, ctx)
        candidate = normalize_password(password)
        account = await self._find(email)
        if account is None or len(candidate) > MAX_PASSWORD_LENGTH:
            await deps.hasher.burn(candidate)
            await self._password_failed(None if account is None else account.id, ctx)
            raise InvalidCredentials()
        if not await deps.hasher.verify(account.password_hash, candidate):
            await self._password_failed(account.id, ctx)
            raise InvalidCredentials()
        if account.disabled_at is not None:
            # Only the right password learns it (a guess gets invalid_credentials above).
            raise AccountDisabled()
        if deps.hasher.needs_rehash(account.password_hash):
            new_hash = await deps.hasher.hash(candidate)
            async with deps.store.transaction() as uow:
                await uow.accounts.update(account.id, {"password_hash": new_hash})
        if not account.phone_verified:
            # The number was never confirmed: the only way on is to confirm it (S36).
            return CodeRequired(await self._send(account, ConfirmPhone(), ctx))
        now = deps.clock.now()
        if account.code_locked_until and account.code_locked_until > now:
            wait = seconds_until(account.code_locked_until, now)
            raise CodeLockout(wait, "Too many wrong codes on this account. Try again later.")
        async with deps.store.transaction() as uow:
            device = await self.sessions.trusted_device(uow, account.id, device_token, now)
            if device is not None:
                await uow.sessions.touch_device(device.id, now)
                issued = await self.sessions.issue(uow, account.id, ctx, now, device_id=device.id)
                await record_sign_in(uow, issued.session.id, now, None)
                await audit(
                    uow,
                    EventType.SIGNIN_TRUSTED_DEVICE,
                    "ok",
                    at=now,
                    ctx=ctx,
                    account_id=account.id,
                    device_id=device.id,
                    session_id=issued.session.id,
                )
                return SignedIn(issued)
        return CodeRequired(await self._send(account, SignIn(remember_device), ctx))

    async def count_try(self, email: str, device_token: str | None, ctx: RequestContext) -> None:
        """Count one password try (or raise ``Throttled``). On the email as typed, *before*
        anything is looked up, so an unknown address is throttled exactly like a known one
        (S13). A replayed Idempotency-Key counts too: its answer (replayed, or
        ``idempotency_key_reused`` for another password) says whether the password matched."""
        await self.deps.limiter.hit_all(
            [
                (PASSWORD_ACCOUNT, await self._throttle_key(email, device_token)),
                (PASSWORD_IP, ip_key(ctx.ip)),
            ]
        )

    async def again(self, challenge: Challenge, ctx: RequestContext) -> Challenge:
        """A new sign-in code after ``challenge`` ended (expired, too many wrong codes, or
        replaced) without a session: the same password step, a new challenge.

        Only for a sign-in challenge that can take no more codes and was opened at most two
        challenge lives ago (30 minutes by default); later the password is asked again.
        Every limit holds: the send caps count the text, and a paused account is refused
        (``CodeLockout``), so the wrong-code streak across challenges still pauses it (S12:
        a new challenge has its own 5 tries, S10, but never a fresh streak).
        """
        deps = self.deps
        now = deps.clock.now()
        policy = deps.config.policy
        ended = (
            challenge.effective_status(now) in (Status.EXPIRED, Status.FAILED, Status.CANCELED)
            or challenge.attempts >= challenge.max_attempts
        ) and challenge.effective_status(now) is not Status.APPROVED
        window = timedelta(seconds=2 * policy.challenge_max_life_seconds)
        if (
            not isinstance(challenge.intent, SignIn)
            or challenge.account_id is None
            or not ended
            or now - challenge.created_at > window
        ):
            raise NotAuthenticated("Sign in again to get a new code.")
        async with deps.store.autocommit() as uow:
            account = await uow.accounts.get(challenge.account_id)
        if account is None or not account.phone_verified:
            raise NotAuthenticated("Sign in again to get a new code.")
        if account.code_locked_until and account.code_locked_until > now:
            wait = seconds_until(account.code_locked_until, now)
            raise CodeLockout(wait, "Too many wrong codes on this account. Try again later.")
        return await self._send(account, challenge.intent, ctx)

    async def approve(
        self, uow: UnitOfWork, challenge: Challenge, now: datetime, request: VerifyRequest
    ) -> Approval:
        """A right sign-in code: a session (and, when asked, a trusted browser)."""
        assert challenge.account_id is not None and isinstance(challenge.intent, SignIn)
        # Asked before this sign-in is recorded: was this browser ever signed in here?
        notice = (
            await self.mail.new_sign_in(uow, challenge.account_id, request.ctx, now)
            if self.mail is not None
            else None
        )
        await end_on_sign_in(uow, challenge.account_id, now, request.ctx)
        signed_in = await self.sessions.sign_in(
            uow,
            challenge.account_id,
            request.ctx,
            now,
            remember=request.remember_device or challenge.intent.remember_device,
            purpose=challenge.purpose.value,
            factor=request.factor.value,
        )
        return Approval(signed_in=signed_in, messages=() if notice is None else (notice,))

    async def _throttle_key(self, email: str, device_token: str | None) -> str:
        """The owner's trusted browser gets a bucket of its own (S14): wrong passwords typed
        elsewhere for this email can't keep its owner out. Only a valid device token of the
        very account the email names earns that; anything else shares the email's bucket."""
        key = throttle_key(email)
        if not device_token:
            return key
        async with self.deps.store.transaction() as uow:
            account = await uow.accounts.get_by_email(key)
            if account is None:
                return key
            device = await self.sessions.trusted_device(
                uow, account.id, device_token, self.deps.clock.now()
            )
        return f"device:{device.id}" if device is not None else key

    async def _find(self, email: str) -> Account | None:
        try:
            address = normalize_email(email)
        except InvalidInput:
            return None
        async with self.deps.store.autocommit() as uow:
            return await uow.accounts.get_by_email(address)

    async def _send(self, account: Account, intent: Intent, ctx: RequestContext) -> Challenge:
        deps = self.deps
        # A confirmed number reached with the right password draws on its own budget; an
        # unconfirmed one shares the budget of numbers typed into sign-up forms.
        await hit_send_limits(
            deps.limiter, account.phone, ctx, account.id, proven=account.phone_verified
        )
        async with deps.store.transaction() as uow:
            if isinstance(intent, SignIn):
                await audit(
                    uow,
                    EventType.SIGNIN_PASSWORD_OK,
                    "code_required",
                    at=deps.clock.now(),
                    ctx=ctx,
                    account_id=account.id,
                )
            challenge, message = await self.issuer.open(
                uow,
                subject=ForAccount(account.id),
                intent=intent,
                destination=account.phone,
                ctx=ctx,
            )
        deps.dispatcher.submit(message)
        return challenge

    async def _password_failed(self, account_id: str | None, ctx: RequestContext) -> None:
        async with self.deps.store.transaction() as uow:
            await audit(
                uow,
                EventType.SIGNIN_PASSWORD_FAILED,
                "invalid_credentials",
                at=self.deps.clock.now(),
                ctx=ctx,
                account_id=account_id,
            )
        self.deps.metrics.incr("signin_password_failures")
