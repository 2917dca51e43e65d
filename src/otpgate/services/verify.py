"""Checking an answer to a challenge, and approving what the challenge was for.

Kratos' order, made atomic with the account pause: one statement claims the attempt *before*
any comparison (pending, unexpired, attempts left, the right session, the account not paused)
and counts it toward the account's streak; it commits on its own, so the spent attempt
survives whatever follows. Then the answer is compared in constant time. A wrong one is
recorded (events; the challenge ends ``failed`` after its last attempt); a right one is
approved in one transaction: the streak reset, the conditional approval (of any number of
concurrent right answers exactly one wins, S3) and what the purpose's ``ApprovalHandler``
applies. If the handler refuses (its target is gone), that transaction rolls back whole and a
second one ends the challenge ``canceled``: nothing of the change stays, the code is spent.

Every check ends in ``Verified`` or ``Refused``; a refusal is raised only after what it
recorded has committed (raising inside a transaction would roll back the evidence).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
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
from otpgate.domain.factors import SENT_FACTORS, FactorType
from otpgate.domain.language import ENGLISH
from otpgate.domain.policy import StreakRule, seconds_until
from otpgate.services.approvals import ApprovalHandler, Verified, VerifyRequest
from otpgate.services.audit import audit
from otpgate.services.challenges import ensure_owner
from otpgate.services.deps import Deps
from otpgate.services.factors import Factor, Factors
from otpgate.services.factors.available import ensure_answerable
from otpgate.services.limits import VERIFY_IP, ip_key
from otpgate.services.number_pause import (
    clear_number_failures,
    count_number_failure,
    number_locked_until,
    pauses_number,
)
from otpgate.services.pumping import conversion_labels
from otpgate.services.storage import Claim, UnitOfWork


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
        self.streak = StreakRule.of(deps.config.policy)

    async def verify(self, request: VerifyRequest) -> Verified:
        """Check an answer; on success approve what the challenge was for."""
        deps = self.deps
        factor = self.factors[request.factor]
        answer = factor.parse(request.code)
        if request.api_key_id is None:
            # API checks come from the shop's servers, whose address says nothing about who
            # types the code: the key's own check limit counts them (services/verifications).
            await deps.limiter.hit(VERIFY_IP, ip_key(request.ctx.ip))
        if request.factor is not FactorType.SMS_CODE:
            # Said before an attempt is spent: whether this challenge takes that factor at all.
            await ensure_answerable(deps, request.challenge_id, request.session_id, request.factor)
        outcome = await self._settle(factor, answer, request)
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

    async def _settle(self, factor: Factor, answer: str, request: VerifyRequest) -> Outcome:
        store, now = self.deps.store, self.deps.clock.now()
        async with store.autocommit() as uow:
            if request.api_key_id is not None and (
                paused := await self._number_paused(uow, request, now)
            ):
                return paused
            claim = await uow.challenges.claim_attempt(
                request.challenge_id,
                now,
                session_id=request.session_id,
                api_key_id=request.api_key_id,
                streak=self.streak,
            )
            claimed = claim.challenge
            if claimed is None:
                return await self._unclaimed(uow, claim, now, request)
            if not await factor.check(uow, claimed, answer):
                return await self._wrong(uow, claimed, claim.pause_started, now, request)
        return await self._approve(claimed, now, request)

    async def _number_paused(
        self, uow: UnitOfWork, request: VerifyRequest, now: datetime
    ) -> Refused | None:
        """A verification to a number no account owns pauses with its number
        (services/number_pause.py): checked before the claim, which knows only accounts."""
        challenge = await uow.challenges.get(request.challenge_id)
        if challenge is None or not pauses_number(challenge):
            return None
        locked_until = await number_locked_until(uow, challenge)
        if locked_until is None or locked_until <= now:
            return None
        return Refused(_paused(locked_until, now))

    async def _unclaimed(
        self, uow: UnitOfWork, claim: Claim, now: datetime, request: VerifyRequest
    ) -> Refused:
        """Nothing was claimed: say why (and record an expiry nobody had noticed)."""
        challenge = await uow.challenges.get(request.challenge_id)
        if challenge is None:
            raise ChallengeNotFound()
        ensure_owner(challenge, request.session_id, request.api_key_id)
        overdue = challenge.status is Status.PENDING and now >= challenge.expires_at
        if overdue and await uow.challenges.end(challenge.id, Status.EXPIRED, now):
            await self._event(uow, challenge, EventType.CHALLENGE_EXPIRED, "expired", request)
            self._count(challenge, "expired")
        if (closed := _closed(challenge, now)) is not None:
            return Refused(closed)
        if claim.paused_until is not None:
            # Every code the account owns pauses together: a stolen session guessing step-up
            # codes is stopped exactly like someone guessing sign-in codes (S12).
            return Refused(_paused(claim.paused_until, now))
        # Another request got there first (approved, failed or used up the last attempt).
        return Refused(ChallengeFailed())

    async def _wrong(
        self,
        uow: UnitOfWork,
        claimed: Challenge,
        pause_started: datetime | None,
        now: datetime,
        request: VerifyRequest,
    ) -> Refused:
        # The counted attempt (and its count toward the streak) stays whatever happens next.
        remaining = claimed.attempts_remaining
        await self._event(
            uow, claimed, EventType.CODE_FAILED, "wrong_code", request, remaining=remaining
        )
        self._count(claimed, "wrong_code")
        if pauses_number(claimed):
            pause_started = (
                await count_number_failure(uow, self.deps.config.policy, claimed, now)
            ).locked_until
        if pause_started is not None:
            await self._event(
                uow,
                claimed,
                EventType.LOCKOUT_CODES,
                "locked",
                request,
                until=pause_started.isoformat(),
            )
        if remaining <= 0:
            await uow.challenges.end(claimed.id, Status.FAILED, now)
            await self._event(uow, claimed, EventType.CHALLENGE_FAILED, "failed", request)
            self._count(claimed, "failed")
            return Refused(ChallengeFailed())
        return Refused(InvalidCode(remaining))

    async def _approve(self, claimed: Challenge, now: datetime, request: VerifyRequest) -> Outcome:
        store, factor = self.deps.store, request.factor.value
        try:
            async with store.transaction() as uow:
                # The account row before the challenge row: the order every claim locks in.
                if claimed.account_id is not None:
                    await uow.accounts.reset_streak(claimed.account_id)
                elif pauses_number(claimed):
                    await clear_number_failures(uow, claimed)
                if not await uow.challenges.approve(claimed.id, now):
                    return Refused(ChallengeUsed())
                # Which factor answered: what ``amr`` will report (otp, hwk, sms).
                await self._event(
                    uow, claimed, EventType.CODE_APPROVED, "ok", request, factor=factor
                )
                if isinstance(claimed.subject, Decoy):
                    # The email was taken: the code was right, the account can't be made.
                    # Said only now, to someone who holds the phone (see registration).
                    return Refused(EmailUnavailable())
                approved = replace(claimed, status=Status.APPROVED)
                approval = await self.approvals[claimed.purpose].approve(
                    uow, approved, now, request
                )
        except (Conflict, NotFound) as refused:
            # The change the code was for can't be applied any more (its target was deleted,
            # the email got taken): all of it rolled back. The code is spent all the same.
            async with store.transaction() as uow:
                if claimed.account_id is not None:
                    await uow.accounts.reset_streak(claimed.account_id)
                await uow.challenges.end(claimed.id, Status.CANCELED, now)
                await self._event(
                    uow, claimed, EventType.CODE_APPROVED, "ok", request, factor=factor
                )
                await self._event(uow, claimed, EventType.STEP_UP_REFUSED, refused.code, request)
            return Refused(refused)
        return Verified(challenge=approved, approval=approval)

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
            **({"api_key_id": request.api_key_id} if request.api_key_id else {}),
            **details,
        )


def _paused(until: datetime, now: datetime) -> CodeLockout:
    wait = seconds_until(until, now)
    # The API's words (English); a page says the pause its own way (``wait_text``).
    when = duration_text(wait, words=ENGLISH, at_least_minutes=True)
    return CodeLockout(wait, f"Too many wrong codes. Try again in {when}.")


def _closed(challenge: Challenge, now: datetime) -> OtpgateError | None:
    """Why ``challenge`` can take no answer now, or None when it can."""
    try:
        ensure_open(challenge, now)
    except OtpgateError as exc:
        return exc
    return None
