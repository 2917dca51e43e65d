"""Challenges: open one and send its code, read one, send a new code.

Checking an answer is ``services/verify.py``. Opening writes the challenge and its message in
the caller's transaction (transactional outbox); the caller submits the message only after
that transaction commits.
"""

from __future__ import annotations

import hmac
from dataclasses import replace

from otpgate import i18n
from otpgate.domain.accounts import EventType
from otpgate.domain.actions import ActionType, BoundAction, sms_purpose
from otpgate.domain.challenges import (
    Challenge,
    ForAccount,
    Intent,
    Purpose,
    Status,
    StepUp,
    Subject,
    Verification,
    code_expiry,
    ensure_resend_allowed,
    new_challenge_id,
)
from otpgate.domain.channels import Channel
from otpgate.domain.delivery import DeliveryStatus
from otpgate.domain.errors import (
    ChallengeNotFound,
    ChallengeUsed,
    InvalidInput,
    NotAuthenticated,
    RateLimited,
    ResendTooSoon,
)
from otpgate.domain.factors import proves_its_number
from otpgate.domain.language import DEFAULT_LANGUAGE, ENGLISH, N_, Translator
from otpgate.domain.phones import country_of
from otpgate.domain.verifications import sms_text
from otpgate.services.actions import Actions
from otpgate.services.audit import audit
from otpgate.services.deps import Deps
from otpgate.services.factors import Delivery, Sender, Senders
from otpgate.services.limits import RESEND_CLAIM, send_buckets, voice_buckets
from otpgate.services.outbox import queue_message
from otpgate.services.ports import OutgoingMessage, RateLimiter, RequestContext
from otpgate.services.storage import UnitOfWork

# What a code is for, to follow "... code to" (translated where the text is written).
PURPOSE_TEXT = {
    Purpose.VERIFY_PHONE: N_("confirm your mobile number"),
    Purpose.SIGN_IN: N_("sign in"),
    Purpose.RECOVER: N_("confirm your new mobile number"),
}
OTHER_PURPOSE = N_("continue")


def challenge_text(
    challenge: Challenge, words: Translator = ENGLISH, actions: Actions | None = None
) -> str:
    """What the code is for, to follow "... code to": "sign in", "add Visa ending 4242", in
    ``words``' language (a step-up's change described by ``actions``, see ``action_summary``)."""
    action = challenge.action
    if action is not None and action.summary:
        return sms_purpose(action_summary(action, words, actions), words.language)
    if isinstance(challenge.intent, Verification):
        return sms_text(challenge.intent.summary, words)
    return words.gettext(PURPOSE_TEXT.get(challenge.purpose, OTHER_PURPOSE))


def action_summary(action: BoundAction, words: Translator, actions: Actions | None) -> str:
    """A step-up's change in ``words``' language: its handler describes it again from the
    payload the code approves (a pure function of those values, S24), so every language names
    exactly the same values. The stored summary is the English one."""
    if actions is None or words.language == DEFAULT_LANGUAGE:
        return action.summary
    return actions[action.type].describe(action.values(), words)


class ChallengeIssuer:
    def __init__(self, deps: Deps, senders: Senders, actions: Actions | None = None) -> None:
        self.deps = deps
        self.senders = senders
        # The step-up handlers, to name a change in the language its texts are written in.
        self.actions = actions

    def purpose_text(self, challenge: Challenge, words: Translator) -> str:
        """What ``challenge``'s code is for, in ``words``' language (its texts use the
        challenge's own language; a page may ask in the reader's)."""
        return challenge_text(challenge, words, self.actions)

    @property
    def _sender(self) -> Sender:
        # Every challenge starts with a code by SMS; other factors answer it as well.
        return self.senders[Channel.SMS]

    async def open(
        self,
        uow: UnitOfWork,
        *,
        subject: Subject,
        intent: Intent,
        destination: str,
        ctx: RequestContext,
        language: str | None = None,
    ) -> tuple[Challenge, OutgoingMessage]:
        """Store a pending challenge and its message in ``uow``.

        Its texts are in ``language`` (the account's), else in the request's; every resend
        keeps it.

        The caller must have hit the send limits first and must ``submit`` the returned
        message only after ``uow`` commits.
        """
        ensure_country_allowed(self.deps.config.allowed_countries, destination)
        policy = self.deps.config.policy
        now = self.deps.clock.now()
        challenge = Challenge(
            id=new_challenge_id(intent),
            subject=subject,
            intent=intent,
            status=Status.PENDING,
            destination=destination,
            code_digest="",
            attempts=0,
            max_attempts=policy.max_attempts,
            sends=1,
            created_at=now,
            expires_at=code_expiry(policy, now, now),
            last_sent_at=now,
            language=language or ctx.language,
        )
        issued = self._sender.issue(self._delivery(challenge), now)
        challenge = replace(challenge, code_digest=issued.digest)
        if isinstance(subject, ForAccount) and not isinstance(intent, StepUp | Verification):
            # A newer challenge supersedes older ones of the same purpose: one live code at a
            # time. A step-up or a verification is bound to its own change: they live side by side.
            await uow.challenges.cancel_pending(subject.account_id, challenge.purpose, now)
        await uow.challenges.insert(challenge, ctx)
        assert issued.draft is not None
        message = await queue_message(self.deps, uow, issued.draft, now)
        await audit(
            uow,
            EventType.CODE_SENT,
            "ok",
            at=now,
            ctx=ctx,
            account_id=challenge.account_id,
            challenge_id=challenge.id,
            purpose=challenge.purpose.value,
            send=1,
            **_key_of(challenge),
        )
        return replace(challenge, delivery_status=DeliveryStatus.QUEUED.value), message

    def _delivery(self, challenge: Challenge) -> Delivery:
        return Delivery(
            challenge_id=challenge.id,
            account_id=challenge.account_id,
            purpose=challenge.purpose.value,
            destination=challenge.destination,
            # In the challenge's language (the account's), kept for every resend.
            text=self.purpose_text(challenge, i18n.translator(challenge.language)),
            expires_at=challenge.expires_at,
            language=challenge.language,
        )

    async def get(
        self, challenge_id: str, session_id: str | None = None, api_key_id: str | None = None
    ) -> Challenge:
        """The challenge as a reader may see it (its owner check passed)."""
        async with self.deps.store.autocommit() as uow:
            challenge = await uow.challenges.get(challenge_id)
        if challenge is None:
            raise ChallengeNotFound()
        ensure_owner(challenge, session_id, api_key_id)
        return challenge

    async def resend(
        self,
        challenge_id: str,
        ctx: RequestContext,
        session_id: str | None = None,
        *,
        api_key_id: str | None = None,
        channel: Channel = Channel.SMS,
    ) -> Challenge:
        """Send a new code that voids the old one; the attempt count carries over (S11).
        ``channel`` voice reads it by a phone call instead (proven numbers only)."""
        deps = self.deps
        policy = deps.config.policy
        challenge = await self.get(challenge_id, session_id, api_key_id)
        ensure_resend_allowed(challenge, policy, deps.clock.now())
        ensure_country_allowed(deps.config.allowed_countries, challenge.destination)
        sender = self.senders.get(channel)
        if channel is not Channel.SMS and (sender is None or not can_call(challenge)):
            raise InvalidInput("channel", "We can't call you with this code. Ask for a text.")
        assert sender is not None
        if channel is Channel.SMS:
            # An API key's request comes from the shop's server: no client address to count.
            client = ctx if api_key_id is None else None
            caps = send_buckets(
                challenge.destination,
                client,
                challenge.account_id,
                proven=is_proven_destination(challenge),
            )
        else:
            caps = voice_buckets(challenge.destination, ctx, challenge.account_id)
        await claim_resend(deps.limiter, challenge, policy.resend_cooldown_seconds, caps)
        async with deps.store.transaction() as uow:
            now = deps.clock.now()
            renewed = replace(challenge, expires_at=code_expiry(policy, challenge.created_at, now))
            issued = sender.issue(self._delivery(renewed), now)
            updated = await uow.challenges.replace_code(
                challenge.id, issued.digest, challenge.sends, now, renewed.expires_at
            )
            if updated is None:
                # A concurrent resend or verify changed the challenge: say what it is now.
                current = await uow.challenges.get(challenge.id)
                assert current is not None
                ensure_resend_allowed(current, policy, now)
                raise ChallengeUsed()
            assert issued.draft is not None
            message = await queue_message(deps, uow, issued.draft, now)
            await audit(
                uow,
                EventType.CODE_SENT,
                "ok",
                at=now,
                ctx=ctx,
                account_id=updated.account_id,
                challenge_id=updated.id,
                purpose=updated.purpose.value,
                send=updated.sends,
                **_key_of(updated),
                channel=channel.value,
            )
        deps.dispatcher.submit(message)
        return replace(updated, delivery_status=DeliveryStatus.QUEUED.value)


def resend_key(challenge: Challenge) -> str:
    """One key per code a challenge has had: its id and how many codes it has sent."""
    return f"{challenge.id}:{challenge.sends}"


async def claim_resend(
    limiter: RateLimiter, challenge: Challenge, cooldown: int, caps: list[tuple[str, str]]
) -> None:
    """Let one request resend this challenge's current code, whoever else asks at the same
    time, and count that one send against every cap, in one atomic step.

    Twenty clicks of "send a new code" read the same challenge; the claim (one per code,
    shared by every process through Redis) lets the first through and answers the rest like
    the cooldown would, and, refused or not by a cap, a duplicate counts nowhere (S44): a
    double-click can't spend a customer's budget of codes.
    """
    try:
        await limiter.hit_all([(RESEND_CLAIM, resend_key(challenge)), *caps])
    except RateLimited as refused:
        if refused.rule != RESEND_CLAIM:
            raise
        raise ResendTooSoon(
            cooldown, "A new code was just sent. Wait a moment before asking again."
        ) from None  # the API's words: a page says the wait itself (``wait_text``)


def ensure_country_allowed(allowed: tuple[str, ...], destination: str) -> None:
    """Refuse to text a number outside the allow list, even one stored before the list
    narrowed (S38): the operator's list is the last word on where codes go."""
    if allowed and country_of(destination) not in allowed:
        raise InvalidInput("phone", "We can't send codes to numbers in that country.")


def is_proven_destination(challenge: Challenge) -> bool:
    """Whether the challenge texts an account's confirmed number (see ``hit_send_limits``):
    a sign-in, a step-up other than the new number proving itself, or a verification sent to
    an account (a verification to a plain ``to`` number is unproven, like a sign-up)."""
    if challenge.purpose is Purpose.SIGN_IN:
        return True
    if challenge.purpose is Purpose.VERIFY:
        return challenge.account_id is not None
    action = challenge.action
    return action is not None and action.type is not ActionType.CONFIRM_NEW_PHONE


def can_call(challenge: Challenge) -> bool:
    """Calls reach only numbers someone proved (toll fraud: see
    ``domain.factors.answerable_with``)."""
    return not proves_its_number(challenge)


def ensure_owner(
    challenge: Challenge, session_id: str | None, api_key_id: str | None = None
) -> None:
    """A step-up challenge belongs to the session that asked for it, and to no other (S23).

    A verification belongs to the API key that asked for it; no other challenge belongs to
    any key, and no verification to a customer: each API sees only its own (S4).
    """
    if challenge.purpose is Purpose.VERIFY or api_key_id is not None:
        owner = challenge.api_key_id
        if owner is None or api_key_id is None or not hmac.compare_digest(owner, api_key_id):
            raise ChallengeNotFound()
        return
    if challenge.purpose is Purpose.STEP_UP and challenge.session_id != session_id:
        if session_id is None:
            raise NotAuthenticated()
        raise ChallengeNotFound()


def _key_of(challenge: Challenge) -> dict[str, str]:
    """The API key a verification's events name (nothing for a customer's own challenge)."""
    return {"api_key_id": challenge.api_key_id} if challenge.api_key_id else {}
