"""Challenges: open one and send its code, check a code, send a new one.

Checking a code follows kratos: the attempt is counted *before* the comparison, in one atomic
``UPDATE ... WHERE status = 'pending' AND attempts < max_attempts``; the comparison is constant-
time against an HMAC; and the approval is a second conditional update, so of any number of
concurrent checks of the right code exactly one wins (S3).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime

from otpgate.domain.accounts import EventType, SecurityEvent
from otpgate.domain.challenges import (
    Challenge,
    Purpose,
    Status,
    code_expiry,
    ensure_open,
    ensure_resend_allowed,
    new_challenge_id,
)
from otpgate.domain.codes import (
    code_digest,
    code_matches,
    generate_code,
    is_well_formed,
    normalize_code_input,
)
from otpgate.domain.delivery import DeliveryStatus
from otpgate.domain.errors import (
    ChallengeFailed,
    ChallengeNotFound,
    ChallengeUsed,
    CodeLockout,
    Conflict,
    EmailUnavailable,
    InvalidCode,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    OtpgateError,
)
from otpgate.domain.messages import code_message, redact
from otpgate.domain.phones import country_of
from otpgate.domain.policy import after_code_failure, seconds_until
from otpgate.services.deps import Deps
from otpgate.services.limits import VERIFY_IP, hit_send_limits, ip_key
from otpgate.services.outbox import queue_sms
from otpgate.services.ports import (
    OutgoingSms,
    RequestContext,
    StepUpTransaction,
    Transaction,
)
from otpgate.services.pumping import conversion_labels

PURPOSE_TEXT = {
    Purpose.VERIFY_PHONE: "confirm your mobile number",
    Purpose.SIGN_IN: "sign in",
}

# What approving a challenge does, per purpose, inside the approving transaction. It returns
# what the caller gets back (a session, a device token, an applied action...).
ApprovalHook = Callable[
    [StepUpTransaction, Challenge, datetime, "VerifyRequest"], Awaitable["Approval"]
]


@dataclass(frozen=True, slots=True)
class VerifyRequest:
    challenge_id: str
    code: str
    remember_device: bool
    ctx: RequestContext
    session_id: str | None = None


@dataclass(frozen=True, slots=True)
class Approval:
    """What an approved challenge yields."""

    session_token: str | None = None
    session_expires_at: datetime | None = None
    device_token: str | None = None
    result: object | None = None
    next_challenge: Challenge | None = None
    # Messages the approval queued (a code to a new number, a notice to the old one): they
    # are handed to delivery only after the approving transaction commits.
    messages: tuple[OutgoingSms, ...] = ()


@dataclass(frozen=True, slots=True)
class Verified:
    challenge: Challenge
    approval: Approval


class ChallengeService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self._hooks: dict[Purpose, ApprovalHook] = {}

    def on_approval(self, purpose: Purpose, hook: ApprovalHook) -> None:
        """Register what approving a challenge of ``purpose`` does (one hook per purpose)."""
        self._hooks[purpose] = hook

    # -- opening -----------------------------------------------------------------------------

    async def open(
        self,
        tx: Transaction,
        *,
        account_id: str | None,
        purpose: Purpose,
        destination: str,
        ctx: RequestContext,
        purpose_text: str | None = None,
        remember_device: bool = False,
        session_id: str | None = None,
        action_type: str | None = None,
        action_summary: str | None = None,
        action_hash: str | None = None,
        action_payload: str | None = None,
    ) -> tuple[Challenge, OutgoingSms]:
        """Store a pending challenge and its message (transactional outbox) in ``tx``.

        The caller must have hit the send limits first and must ``submit`` the returned
        message only after ``tx`` commits.
        """
        ensure_country_allowed(self.deps.config.allowed_countries, destination)
        deps = self.deps
        policy = deps.config.policy
        now = deps.clock.now()
        challenge_id = new_challenge_id()
        code = generate_code(policy.code_length)
        challenge = Challenge(
            id=challenge_id,
            account_id=account_id,
            purpose=purpose,
            status=Status.PENDING,
            destination=destination,
            code_digest=code_digest(deps.config.code_key, challenge_id, code),
            attempts=0,
            max_attempts=policy.max_attempts,
            sends=1,
            created_at=now,
            expires_at=code_expiry(policy, now, now),
            last_sent_at=now,
            remember_device=remember_device,
            session_id=session_id,
            action_type=action_type,
            action_summary=action_summary,
            action_hash=action_hash,
            action_payload=action_payload,
        )
        if account_id is not None and purpose is not Purpose.STEP_UP:
            # A newer challenge supersedes older ones of the same purpose: one live code at a time.
            await tx.cancel_pending(account_id, purpose, now)
        await tx.insert_challenge(challenge, ctx)
        text = purpose_text or PURPOSE_TEXT[purpose]
        message = await self._queue_message(tx, challenge, code, text, now)
        await tx.add_event(
            SecurityEvent(
                type=EventType.CODE_SENT,
                outcome="ok",
                account_id=account_id,
                ip=ctx.ip,
                user_agent=ctx.user_agent,
                details={"challenge_id": challenge_id, "purpose": purpose.value, "send": 1},
                created_at=now,
            )
        )
        return replace(challenge, delivery_status=DeliveryStatus.QUEUED.value), message

    async def _queue_message(
        self, tx: Transaction, challenge: Challenge, code: str, text: str, now: datetime
    ) -> OutgoingSms:
        config = self.deps.config
        ttl = int((challenge.expires_at - now).total_seconds())
        body = code_message(
            code=code,
            brand=config.brand,
            purpose_text=text,
            ttl_seconds=max(1, ttl),
            host=config.host,
        )
        return await queue_sms(
            self.deps,
            tx,
            to=challenge.destination,
            body=body,
            body_redacted=redact(body, code),
            purpose=challenge.purpose.value,
            now=now,
            expires_at=challenge.expires_at,
            challenge_id=challenge.id,
            account_id=challenge.account_id,
        )

    # -- reading -----------------------------------------------------------------------------

    async def get(self, challenge_id: str, session_id: str | None = None) -> Challenge:
        """The challenge as a reader should see it (an overdue pending one reads as expired)."""
        async with self.deps.store.transaction() as tx:
            challenge = await tx.get_challenge(challenge_id)
        if challenge is None:
            raise ChallengeNotFound()
        _ensure_owner(challenge, session_id)
        return challenge

    # -- checking a code ---------------------------------------------------------------------

    async def verify(self, request: VerifyRequest) -> Verified:
        """Check a code; on success run the purpose's approval hook in the same transaction."""
        deps = self.deps
        code = normalize_code_input(request.code)
        if not is_well_formed(code, deps.config.policy.code_length):
            raise InvalidInput(
                "code", f"Enter the {deps.config.policy.code_length}-digit code from the text."
            )
        await deps.limiter.hit(VERIFY_IP, ip_key(request.ctx.ip))
        error: OtpgateError | None = None
        verified: Verified | None = None
        async with deps.store.transaction() as tx:
            now = deps.clock.now()
            challenge = await tx.get_challenge(request.challenge_id)
            if challenge is None:
                raise ChallengeNotFound()
            _ensure_owner(challenge, request.session_id)
            if challenge.status is Status.PENDING and now >= challenge.expires_at:
                await tx.end_challenge(challenge.id, Status.EXPIRED, now)
                await self._event(tx, challenge, EventType.CHALLENGE_EXPIRED, "expired", request)
                deps.metrics.incr(
                    "verifications", purpose=challenge.purpose.value, outcome="expired"
                )
            ensure_open_or_record = _open_error(challenge, now)
            if ensure_open_or_record is not None:
                error = ensure_open_or_record
            else:
                error = await self._check_lockout(tx, challenge, now)
            if error is None:
                verified, error = await self._attempt(tx, challenge, code, now, request)
        if error is not None:
            raise error
        assert verified is not None
        for message in verified.approval.messages:
            deps.dispatcher.submit(message)
        deps.metrics.incr(
            "verifications", purpose=verified.challenge.purpose.value, outcome="approved"
        )
        # Conversion (sent vs confirmed, per country and prefix): pumping shows as sends
        # that never convert.
        deps.metrics.incr("sms_verified", **conversion_labels(verified.challenge.destination))
        return verified

    async def _check_lockout(
        self, tx: StepUpTransaction, challenge: Challenge, now: datetime
    ) -> OtpgateError | None:
        # Every code the account owns pauses together: a stolen session guessing step-up codes
        # is stopped exactly like someone guessing sign-in codes (S12).
        if challenge.account_id is None:
            return None
        account = await tx.get_account(challenge.account_id)
        if account and account.code_locked_until and account.code_locked_until > now:
            wait = seconds_until(account.code_locked_until, now)
            return CodeLockout(wait, f"Too many wrong codes. Try again in {_minutes(wait)}.")
        return None

    async def _attempt(
        self,
        tx: StepUpTransaction,
        challenge: Challenge,
        code: str,
        now: datetime,
        request: VerifyRequest,
    ) -> tuple[Verified | None, OtpgateError | None]:
        deps = self.deps
        claimed = await tx.claim_attempt(challenge.id, now)
        if claimed is None:
            # Another request got there first (approved, failed or used up the last attempt).
            current = await tx.get_challenge(challenge.id)
            assert current is not None
            return None, _open_error(current, now) or ChallengeFailed()
        if code_matches(deps.config.code_keys, claimed.id, code, claimed.code_digest):
            if not await tx.approve_challenge(claimed.id, now):
                return None, ChallengeUsed()
            if claimed.account_id is not None:
                await tx.set_code_lockout(claimed.account_id, 0, 0, None)
            await self._event(tx, claimed, EventType.CODE_APPROVED, "ok", request)
            if claimed.account_id is None and claimed.action_type is None:
                # A registration decoy (the email was taken): the code was right, the account
                # can't be made. Said only now, to someone who holds the phone (see registration).
                return None, EmailUnavailable(
                    "This email address can't be used for a new account. "
                    "If it is yours, sign in instead."
                )
            hook = self._hooks.get(claimed.purpose)
            try:
                # A savepoint: if the approved change can't be applied any more (its target
                # was deleted, the email got taken) nothing of it stays, but the spent code
                # and the refusal are kept.
                async with tx.savepoint():
                    approval = await hook(tx, claimed, now, request) if hook else Approval()
            except (Conflict, NotFound) as refused:
                # Approved a moment ago, inside this transaction: the change it was for is
                # gone, so the challenge ends as canceled, and its code is spent.
                await tx.end_challenge(claimed.id, Status.CANCELED, now, Status.APPROVED)
                await self._event(tx, claimed, EventType.STEP_UP_REFUSED, refused.code, request)
                return None, refused
            approved = await tx.get_challenge(claimed.id)
            assert approved is not None
            return Verified(challenge=approved, approval=approval), None
        # Wrong code: the counted attempt stays counted whatever happens next.
        remaining = claimed.attempts_remaining
        await self._event(
            tx, claimed, EventType.CODE_FAILED, "wrong_code", request, remaining=remaining
        )
        deps.metrics.incr("verifications", purpose=claimed.purpose.value, outcome="wrong_code")
        if claimed.account_id is not None:
            await self._count_account_failure(tx, claimed, now, request)
        if remaining <= 0:
            await tx.end_challenge(claimed.id, Status.FAILED, now)
            await self._event(tx, claimed, EventType.CHALLENGE_FAILED, "failed", request)
            deps.metrics.incr("verifications", purpose=claimed.purpose.value, outcome="failed")
            return None, ChallengeFailed()
        return None, InvalidCode(remaining)

    async def _count_account_failure(
        self, tx: Transaction, challenge: Challenge, now: datetime, request: VerifyRequest
    ) -> None:
        assert challenge.account_id is not None
        streak, lockouts = await tx.add_code_failure(challenge.account_id)
        outcome = after_code_failure(self.deps.config.policy, streak - 1, lockouts, now)
        if outcome.locked_until is not None:
            await tx.set_code_lockout(
                challenge.account_id, outcome.streak, outcome.lockouts, outcome.locked_until
            )
            await self._event(
                tx,
                challenge,
                EventType.LOCKOUT_CODES,
                "locked",
                request,
                until=outcome.locked_until.isoformat(),
            )

    async def _event(
        self,
        tx: Transaction,
        challenge: Challenge,
        kind: EventType,
        outcome: str,
        request: VerifyRequest,
        **details: object,
    ) -> None:
        await tx.add_event(
            SecurityEvent(
                type=kind,
                outcome=outcome,
                account_id=challenge.account_id,
                ip=request.ctx.ip,
                user_agent=request.ctx.user_agent,
                details={
                    "challenge_id": challenge.id,
                    "purpose": challenge.purpose.value,
                    **details,
                },
                created_at=self.deps.clock.now(),
            )
        )

    # -- sending a new code ------------------------------------------------------------------

    async def resend(
        self, challenge_id: str, ctx: RequestContext, session_id: str | None = None
    ) -> Challenge:
        """Send a new code that voids the old one; the attempt count carries over (S11)."""
        deps = self.deps
        policy = deps.config.policy
        async with deps.store.transaction() as tx:
            challenge = await tx.get_challenge(challenge_id)
        if challenge is None:
            raise ChallengeNotFound()
        _ensure_owner(challenge, session_id)
        ensure_resend_allowed(challenge, policy, deps.clock.now())
        ensure_country_allowed(deps.config.allowed_countries, challenge.destination)
        await hit_send_limits(
            deps.limiter,
            challenge.destination,
            ctx,
            challenge.account_id,
            proven=is_proven_destination(challenge),
        )
        code = generate_code(policy.code_length)
        async with deps.store.transaction() as tx:
            now = deps.clock.now()
            expires_at = code_expiry(policy, challenge.created_at, now)
            digest = code_digest(deps.config.code_key, challenge.id, code)
            if not await tx.replace_code(challenge.id, digest, challenge.sends, now, expires_at):
                # A concurrent resend or verify changed the challenge: say what it is now.
                current = await tx.get_challenge(challenge.id)
                assert current is not None
                ensure_resend_allowed(current, policy, now)
                raise ChallengeUsed()
            updated = await tx.get_challenge(challenge.id)
            assert updated is not None
            text = updated.action_summary or PURPOSE_TEXT.get(updated.purpose, "continue")
            if updated.purpose is Purpose.STEP_UP and updated.action_summary:
                text = updated.action_summary[0].lower() + updated.action_summary[1:]
            message = await self._queue_message(tx, updated, code, text, now)
            await tx.add_event(
                SecurityEvent(
                    type=EventType.CODE_SENT,
                    outcome="ok",
                    account_id=updated.account_id,
                    ip=ctx.ip,
                    user_agent=ctx.user_agent,
                    details={
                        "challenge_id": updated.id,
                        "purpose": updated.purpose.value,
                        "send": updated.sends,
                    },
                    created_at=now,
                )
            )
        deps.dispatcher.submit(message)
        return replace(updated, delivery_status=DeliveryStatus.QUEUED.value)


def ensure_country_allowed(allowed: tuple[str, ...], destination: str) -> None:
    """Refuse to text a number outside the allow list, even one stored before the list
    narrowed (S38): the operator's list is the last word on where codes go."""
    if allowed and country_of(destination) not in allowed:
        raise InvalidInput("phone", "We can't send codes to numbers in that country.")


def is_proven_destination(challenge: Challenge) -> bool:
    """Whether the challenge texts an account's confirmed number (see ``hit_send_limits``)."""
    if challenge.purpose is Purpose.SIGN_IN:
        return True
    return challenge.purpose is Purpose.STEP_UP and challenge.action_type != "confirm_new_phone"


def _ensure_owner(challenge: Challenge, session_id: str | None) -> None:
    """A step-up challenge belongs to the session that asked for it, and to no other (S23)."""
    if challenge.purpose is Purpose.STEP_UP and challenge.session_id != session_id:
        if session_id is None:
            raise NotAuthenticated()
        raise ChallengeNotFound()


def _open_error(challenge: Challenge, now: datetime) -> OtpgateError | None:
    try:
        ensure_open(challenge, now)
    except OtpgateError as exc:
        return exc
    return None


def _minutes(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"
