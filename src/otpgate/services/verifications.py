"""The verification API (DESIGN §5.2): the shop's applications ask for a code bound to their
own action, and get a signed approval token when the right code comes back.

A verification *is* a challenge of purpose ``verify`` (its id is ``ver_...``), so every rule
of every challenge holds unchanged: lifetime, 5 attempts, resend cooldown, a new code voids
the old, one success of any number of concurrent right codes, the account's or the number's
pause. What this module adds around it:

- **the target**: ``to`` (any mobile number: the shop's own customer; sends count in the
  budgets of unproven numbers, like a sign-up) or ``account_id`` (an otpgate account's
  confirmed number; the proven budgets and the account's pause);
- **the key's own limits** (verifications created, checks), on top of every send limit;
- **details binding**: a check whose details are not the stored ones cancels the
  verification (S46);
- **Idempotency-Key**: claimed atomically before anything is counted or sent, so of two
  identical requests only one texts (S51, S44);
- **the approval token**, signed inside the approving transaction
  (``services/approval_tokens.py``).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from otpgate.domain.accounts import EventType
from otpgate.domain.actions import canonical_json
from otpgate.domain.challenges import (
    Challenge,
    ForAccount,
    ForNumber,
    Status,
    Verification,
    ensure_open,
)
from otpgate.domain.errors import (
    AccountDisabled,
    AccountNotFound,
    ChallengeError,
    ChallengeNotFound,
    CodeLockout,
    DetailsMismatch,
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    InvalidInput,
    OtpgateError,
    PhoneUnconfirmed,
    VerificationNotFound,
)
from otpgate.domain.language import DEFAULT_LANGUAGE, supported
from otpgate.domain.phones import mask, parse_mobile
from otpgate.domain.verifications import (
    canonical_details,
    check_locale,
    details_sha256,
    reduce_summary,
)
from otpgate.services.approvals import Verified, VerifyRequest
from otpgate.services.audit import audit
from otpgate.services.challenges import ChallengeIssuer
from otpgate.services.deps import Deps
from otpgate.services.limits import VERIFY_KEY, VERIFY_KEY_CHECK, hit_send_limits
from otpgate.services.ports import OutgoingMessage, RequestContext
from otpgate.services.principal import ApiClient
from otpgate.services.storage import UnitOfWork
from otpgate.services.verify import Verifier

IDEMPOTENCY_WINDOW = timedelta(hours=24)
# A first request that claimed its key but never finished (its process died) frees the key
# after this long; a live request finishes well within it.
ABANDONED_AFTER = timedelta(seconds=60)
MAX_IDEMPOTENCY_KEY = 255


@dataclass(frozen=True, slots=True)
class NewVerification:
    """A create request as the shop sent it (validated by ``VerificationService.create``)."""

    to: str | None = None
    account_id: str | None = None
    channel: str | None = None
    summary: str | None = None
    details: Mapping[str, Any] | None = None
    locale: str | None = None


@dataclass(frozen=True, slots=True)
class Created:
    verification: Challenge
    # True when an Idempotency-Key answered an earlier request's verification (nothing sent).
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class Checked:
    verification: Challenge
    approval_token: str


@dataclass(frozen=True, slots=True)
class _Target:
    subject: ForAccount | ForNumber
    destination: str
    # The account's language (None for a plain number, or an account without one).
    language: str | None = None


def idempotency_hash(key: str) -> str:
    """What is stored of an Idempotency-Key (it may be anything the shop chose)."""
    if not key or len(key) > MAX_IDEMPOTENCY_KEY or not key.isascii() or not key.isprintable():
        raise InvalidInput("Idempotency-Key", "Idempotency-Key is 1 to 255 printable ASCII.")
    return hashlib.sha256(key.encode("ascii")).hexdigest()


class VerificationService:
    def __init__(self, deps: Deps, issuer: ChallengeIssuer, verifier: Verifier) -> None:
        self.deps = deps
        self.issuer = issuer
        self.verifier = verifier

    # -- create ------------------------------------------------------------------------

    async def create(
        self,
        client: ApiClient,
        new: NewVerification,
        ctx: RequestContext,
        idempotency_key: str | None = None,
    ) -> Created:
        """Open a verification and text its code; with ``idempotency_key``, the same key and
        body within 24 hours answer the first verification and send nothing new."""
        deps = self.deps
        if (new.to is None) == (new.account_id is None):
            raise InvalidInput("to", "Give exactly one of 'to' and 'account_id'.")
        if new.channel not in (None, "sms"):
            raise InvalidInput("channel", "Only the 'sms' channel is available.")
        summary = reduce_summary(new.summary)
        details = canonical_details(new.details)
        locale = check_locale(new.locale)
        number = None
        if new.to is not None:
            number = parse_mobile(
                new.to,
                default_region=deps.config.default_region,
                allowed_countries=deps.config.allowed_countries,
                field="to",
            )
        key_hash = idempotency_hash(idempotency_key) if idempotency_key is not None else None
        body_hash = hashlib.sha256(
            canonical_json(
                {
                    "to": number,
                    "account_id": new.account_id,
                    "channel": new.channel or "sms",
                    "summary": summary,
                    "details": details,
                    "locale": locale,
                }
            ).encode()
        ).hexdigest()

        now = deps.clock.now()
        target: _Target | None = None
        async with deps.store.transaction() as uow:
            claimed = True
            if key_hash is not None:
                claimed = await uow.idempotency.claim(
                    client.key_id,
                    key_hash,
                    body_hash,
                    now,
                    expired_before=now - IDEMPOTENCY_WINDOW,
                    abandoned_before=now - ABANDONED_AFTER,
                )
            if claimed:
                target = await self._target(uow, new.account_id, number)
        if target is None:
            assert key_hash is not None
            return await self._replay(client, key_hash, body_hash)
        intent = Verification(
            api_key_id=client.key_id,
            summary=summary,
            details=details,
            details_sha256=details_sha256(details),
        )
        try:
            # The shop's locale when we speak it ("de-AT" -> German), else the account's
            # language, else English; never the language of the shop server's request.
            language = supported(locale) or target.language or DEFAULT_LANGUAGE
            challenge, message = await self._open(client, target, intent, ctx, key_hash, language)
        except BaseException:
            if key_hash is not None:
                # Refused (a limit, a country): the key may carry the retry.
                async with deps.store.transaction() as uow:
                    await uow.idempotency.release(client.key_id, key_hash)
            raise
        deps.dispatcher.submit(message)
        return Created(verification=challenge)

    async def _target(self, uow: UnitOfWork, account_id: str | None, number: str | None) -> _Target:
        if account_id is None:
            assert number is not None
            return _Target(ForNumber(), number)
        account = await uow.accounts.get(account_id)
        if account is None:
            raise AccountNotFound("No account has that id.")
        if not account.phone_verified:
            raise PhoneUnconfirmed()
        if account.disabled_at is not None:
            raise AccountDisabled()
        return _Target(ForAccount(account.id), account.phone, supported(account.language))

    async def _open(
        self,
        client: ApiClient,
        target: _Target,
        intent: Verification,
        ctx: RequestContext,
        key_hash: str | None,
        language: str,
    ) -> tuple[Challenge, OutgoingMessage]:
        deps = self.deps
        account_id = target.subject.account_id if isinstance(target.subject, ForAccount) else None
        # The key's own budget first, then every send cap there is (S16), before anything is
        # stored or sent. No IP cap: the request comes from the shop's server.
        await deps.limiter.hit(VERIFY_KEY, client.key_id)
        await hit_send_limits(
            deps.limiter, target.destination, None, account_id, proven=account_id is not None
        )
        async with deps.store.transaction() as uow:
            challenge, message = await self.issuer.open(
                uow,
                subject=target.subject,
                intent=intent,
                destination=target.destination,
                ctx=ctx,
                language=language,
            )
            if key_hash is not None:
                await uow.idempotency.complete(client.key_id, key_hash, challenge.id)
            await self._event(
                uow,
                EventType.VERIFICATION_CREATED,
                "ok",
                challenge,
                ctx,
                channel="sms",
                destination=mask(challenge.destination),
            )
        return challenge, message

    async def _replay(self, client: ApiClient, key_hash: str, body_hash: str) -> Created:
        async with self.deps.store.transaction() as uow:
            record = await uow.idempotency.get(client.key_id, key_hash)
            found = (
                await uow.challenges.get(record.verification_id)
                if record is not None and record.verification_id is not None
                else None
            )
        if record is None:
            # Released between our claim and this read: the other request was refused.
            raise IdempotencyKeyInUse()
        if not hmac.compare_digest(record.request_hash, body_hash):
            raise IdempotencyKeyReused()
        if record.verification_id is None:
            raise IdempotencyKeyInUse()
        if found is None:
            raise VerificationNotFound()
        return Created(verification=found, replayed=True)

    # -- read, resend, cancel ----------------------------------------------------------

    async def get(self, client: ApiClient, verification_id: str) -> Challenge:
        """The key's own verification (``VerificationNotFound`` for any other)."""
        try:
            return await self.issuer.get(verification_id, api_key_id=client.key_id)
        except ChallengeNotFound:
            raise VerificationNotFound() from None

    async def resend(
        self, client: ApiClient, verification_id: str, ctx: RequestContext
    ) -> Challenge:
        """A new code that voids the old one, under the same cooldown and caps as any."""
        try:
            return await self.issuer.resend(verification_id, ctx, api_key_id=client.key_id)
        except ChallengeNotFound:
            raise VerificationNotFound() from None

    async def cancel(
        self, client: ApiClient, verification_id: str, ctx: RequestContext
    ) -> Challenge:
        """End a pending verification as canceled (again: no change); a verification that
        already ended otherwise says how."""
        now = self.deps.clock.now()
        async with self.deps.store.transaction() as uow:
            challenge = await self._owned(uow, client, verification_id)
            if _is_open(challenge, now) and await uow.challenges.end(
                challenge.id, Status.CANCELED, now
            ):
                await self._event(uow, EventType.VERIFICATION_CANCELED, "ok", challenge, ctx)
            current = await uow.challenges.get(challenge.id)
        assert current is not None
        if current.status is not Status.CANCELED and (why := _why_closed(current, now)):
            raise why  # it ended otherwise: approved, failed or expired
        return current

    # -- check -------------------------------------------------------------------------

    async def check(
        self,
        client: ApiClient,
        verification_id: str,
        code: str,
        details: Mapping[str, Any] | None,
        ctx: RequestContext,
    ) -> Checked:
        """Check a code; the right one, with the same details, yields the approval token."""
        deps = self.deps
        await deps.limiter.hit(VERIFY_KEY_CHECK, client.key_id)
        presented = details_sha256(canonical_details(details))
        now = deps.clock.now()
        refusal: OtpgateError | None = None
        async with deps.store.transaction() as uow:
            challenge = await self._owned(uow, client, verification_id)
            intent = challenge.intent
            assert isinstance(intent, Verification)
            mismatch = not hmac.compare_digest(intent.details_sha256, presented)
            # Other details end the verification before any code is compared (S46): a code
            # shown for one transaction must never be tried against another.
            if mismatch and _is_open(challenge, now):
                if await uow.challenges.end(challenge.id, Status.CANCELED, now):
                    await self._event(
                        uow,
                        EventType.VERIFICATION_FAILED,
                        "canceled",
                        challenge,
                        ctx,
                        reason=DetailsMismatch.code,
                    )
                    refusal = DetailsMismatch()
                else:
                    current = await uow.challenges.get(challenge.id)
                    assert current is not None
                    refusal = _why_closed(current, now)
        if refusal is not None:
            raise refusal
        try:
            verified = await self.verifier.verify(
                VerifyRequest(
                    challenge_id=challenge.id,
                    code=code,
                    remember_device=False,
                    ctx=ctx,
                    api_key_id=client.key_id,
                )
            )
        except (ChallengeError, CodeLockout) as refused:
            await self._failed(challenge, ctx, refused)
            raise
        return _checked(verified)

    async def _failed(
        self, challenge: Challenge, ctx: RequestContext, refused: OtpgateError
    ) -> None:
        async with self.deps.store.transaction() as uow:
            current = await uow.challenges.get(challenge.id)
            await self._event(
                uow,
                EventType.VERIFICATION_FAILED,
                refused.code,
                challenge,
                ctx,
                reason=refused.code,
                attempts_remaining=current.attempts_remaining if current else 0,
            )

    async def _owned(self, uow: UnitOfWork, client: ApiClient, verification_id: str) -> Challenge:
        challenge = await uow.challenges.get(verification_id)
        owner = challenge.api_key_id if challenge is not None else None
        if challenge is None or owner is None or not hmac.compare_digest(owner, client.key_id):
            raise VerificationNotFound()
        return challenge

    async def _event(
        self,
        uow: UnitOfWork,
        kind: EventType,
        outcome: str,
        challenge: Challenge,
        ctx: RequestContext,
        **details: object,
    ) -> None:
        intent = challenge.intent
        assert isinstance(intent, Verification)
        await audit(
            uow,
            kind,
            outcome,
            at=self.deps.clock.now(),
            ctx=ctx,
            account_id=challenge.account_id,
            verification_id=challenge.id,
            api_key_id=intent.api_key_id,
            summary=intent.summary,
            details_sha256=intent.details_sha256,
            **details,
        )


def _is_open(challenge: Challenge, now: datetime) -> bool:
    return _why_closed(challenge, now) is None


def _why_closed(challenge: Challenge, now: datetime) -> OtpgateError | None:
    try:
        ensure_open(challenge, now)
    except OtpgateError as exc:
        return exc
    return None


def _checked(verified: Verified) -> Checked:
    token = verified.approval.token
    assert token is not None, "a verify challenge is approved with a token"
    return Checked(verification=verified.challenge, approval_token=token)
