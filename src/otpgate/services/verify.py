"""Checking an answer to a challenge, and approving what the challenge was for.

Kratos' order: the attempt is counted *before* the comparison, in one atomic
``UPDATE ... WHERE status = 'pending' AND attempts < max_attempts``; the comparison is constant
time against an HMAC; and the approval is a second conditional update, so of any number of
concurrent checks of the right code exactly one wins (S3). What approving does is the
purpose's ``ApprovalHandler``, run in the approving transaction inside a savepoint.

Every check ends in one of two values, ``Verified`` or ``Refused``, returned out of the
transaction. A refusal is raised only after the transaction has committed: the attempt it
spent, the failure streak it grew and the events it wrote must survive the refusal (raising
inside the block would roll them back and hand a brute-forcer free guesses).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from otpgate.domain.accounts import EventType
from otpgate.domain.challenges import Challenge, Decoy, Purpose, Status, ensure_open
from otpgate.domain.durations import duration_text
from otpgate.domain.errors import (
    ChallengeFailed,
    ChallengeNotFound,
    ChallengeUsed,
    CodeLockout,
    Conflict,
    EmailUnavailable,
    InvalidCode,
    NotFound,
    OtpgateError,
)
from otpgate.domain.factors import SENT_FACTORS
from otpgate.domain.policy import after_code_failure, seconds_until
from otpgate.services.approvals import ApprovalHandler, Verified, VerifyRequest
from otpgate.services.audit import audit
from otpgate.services.challenges import ensure_owner
from otpgate.services.deps import Deps
from otpgate.services.factors import Factor, Factors
from otpgate.services.limits import VERIFY_IP, ip_key
from otpgate.services.pumping import conversion_labels
from otpgate.services.storage import UnitOfWork


@dataclass(frozen=True, slots=True)
class Refused:
    """The answer was not accepted; ``error`` says why (raised once the transaction is in)."""

    error: OtpgateError


Outcome = Verified | Refused


class Verifier:
    def __init__(
        self, deps: Deps, factors: Factors, approvals: Mapping[Purpose, ApprovalHandler]
    ) -> None:
        self.deps = deps
        self.factors = factors
        self.approvals = approvals

    async def verify(self, request: VerifyRequest) -> Verified:
        """Check an answer; on success approve what the challenge was for."""
        deps = self.deps
        factor = self.factors[request.factor]
        answer = factor.parse(request.code)
        await deps.limiter.hit(VERIFY_IP, ip_key(request.ctx.ip))
        async with deps.store.transaction() as uow:
            outcome = await self._settle(uow, factor, answer, request)
        # Committed: only now may a refusal leave (see the module docstring).
        if isinstance(outcome, Refused):
            raise outcome.error
        for message in outcome.approval.messages:
            deps.dispatcher.submit(message)
        purpose = outcome.challenge.purpose.value
        deps.metrics.incr("verifications", purpose=purpose, outcome="approved")
        # Conversion (sent vs confirmed, per country and prefix): pumping shows as sends
        # that never convert.
        if request.factor in SENT_FACTORS:
            deps.metrics.incr("sms_verified", **conversion_labels(outcome.challenge.destination))
        return outcome

    async def _settle(
        self, uow: UnitOfWork, factor: Factor, answer: str, request: VerifyRequest
    ) -> Outcome:
        now = self.deps.clock.now()
        challenge = await uow.challenges.get(request.challenge_id)
        if challenge is None:
            raise ChallengeNotFound()
        ensure_owner(challenge, request.session_id)
        if challenge.status is Status.PENDING and now >= challenge.expires_at:
            await uow.challenges.end(challenge.id, Status.EXPIRED, now)
            await self._event(uow, challenge, EventType.CHALLENGE_EXPIRED, "expired", request)
            self._count(challenge, "expired")
        if (closed := _closed(challenge, now)) is not None:
            return Refused(closed)
        if (paused := await self._paused(uow, challenge, now)) is not None:
            return Refused(paused)
        claimed = await uow.challenges.claim_attempt(challenge.id, now)
        if claimed is None:
            # Another request got there first (approved, failed or used up the last attempt).
            current = await uow.challenges.get(challenge.id)
            assert current is not None
            return Refused(_closed(current, now) or ChallengeFailed())
        if await factor.check(uow, claimed, answer):
            return await self._approve(uow, claimed, now, request)
        return await self._wrong(uow, claimed, now, request)

    async def _paused(
        self, uow: UnitOfWork, challenge: Challenge, now: datetime
    ) -> CodeLockout | None:
        # Every code the account owns pauses together: a stolen session guessing step-up codes
        # is stopped exactly like someone guessing sign-in codes (S12).
        if challenge.account_id is None:
            return None
        account = await uow.accounts.get(challenge.account_id)
        if account and account.code_locked_until and account.code_locked_until > now:
            wait = seconds_until(account.code_locked_until, now)
            return CodeLockout(
                wait,
                f"Too many wrong codes. Try again in {duration_text(wait, at_least_minutes=True)}.",
            )
        return None

    async def _approve(
        self, uow: UnitOfWork, claimed: Challenge, now: datetime, request: VerifyRequest
    ) -> Outcome:
        if not await uow.challenges.approve(claimed.id, now):
            return Refused(ChallengeUsed())
        if claimed.account_id is not None:
            await uow.accounts.set_code_lockout(claimed.account_id, 0, 0, None)
        # Which factor answered: what ``amr`` will report (otp, hwk, sms).
        await self._event(
            uow, claimed, EventType.CODE_APPROVED, "ok", request, factor=request.factor.value
        )
        if isinstance(claimed.subject, Decoy):
            # The email was taken: the code was right, the account can't be made. Said only
            # now, to someone who holds the phone (see registration).
            return Refused(EmailUnavailable())
        try:
            # A savepoint: if the approved change can't be applied any more (its target was
            # deleted, the email got taken) nothing of it stays, but the spent code and the
            # refusal are kept.
            async with uow.savepoint():
                approval = await self.approvals[claimed.purpose].approve(uow, claimed, now, request)
        except (Conflict, NotFound) as refused:
            # Approved a moment ago, inside this transaction: the change it was for is gone,
            # so the challenge ends as canceled, and its code is spent.
            await uow.challenges.end(claimed.id, Status.CANCELED, now, Status.APPROVED)
            await self._event(uow, claimed, EventType.STEP_UP_REFUSED, refused.code, request)
            return Refused(refused)
        approved = await uow.challenges.get(claimed.id)
        assert approved is not None
        return Verified(challenge=approved, approval=approval)

    async def _wrong(
        self, uow: UnitOfWork, claimed: Challenge, now: datetime, request: VerifyRequest
    ) -> Refused:
        # The counted attempt stays counted whatever happens next.
        remaining = claimed.attempts_remaining
        await self._event(
            uow, claimed, EventType.CODE_FAILED, "wrong_code", request, remaining=remaining
        )
        self._count(claimed, "wrong_code")
        if claimed.account_id is not None:
            await self._count_account_failure(uow, claimed, claimed.account_id, now, request)
        if remaining <= 0:
            await uow.challenges.end(claimed.id, Status.FAILED, now)
            await self._event(uow, claimed, EventType.CHALLENGE_FAILED, "failed", request)
            self._count(claimed, "failed")
            return Refused(ChallengeFailed())
        return Refused(InvalidCode(remaining))

    async def _count_account_failure(
        self,
        uow: UnitOfWork,
        challenge: Challenge,
        account_id: str,
        now: datetime,
        request: VerifyRequest,
    ) -> None:
        streak, lockouts = await uow.accounts.add_code_failure(account_id)
        outcome = after_code_failure(self.deps.config.policy, streak - 1, lockouts, now)
        if outcome.locked_until is not None:
            await uow.accounts.set_code_lockout(
                account_id, outcome.streak, outcome.lockouts, outcome.locked_until
            )
            await self._event(
                uow,
                challenge,
                EventType.LOCKOUT_CODES,
                "locked",
                request,
                until=outcome.locked_until.isoformat(),
            )

    def _count(self, challenge: Challenge, outcome: str) -> None:
        self.deps.metrics.incr("verifications", purpose=challenge.purpose.value, outcome=outcome)

    async def _event(
        self,
        uow: UnitOfWork,
        challenge: Challenge,
        kind: EventType,
        outcome: str,
        request: VerifyRequest,
        **details: object,
    ) -> None:
        await audit(
            uow,
            kind,
            outcome,
            at=self.deps.clock.now(),
            ctx=request.ctx,
            account_id=challenge.account_id,
            challenge_id=challenge.id,
            purpose=challenge.purpose.value,
            **details,
        )


def _closed(challenge: Challenge, now: datetime) -> OtpgateError | None:
    """Why ``challenge`` can take no answer now, or None when it can."""
    try:
        ensure_open(challenge, now)
    except OtpgateError as exc:
        return exc
    return None
