"""Step-up: a high-risk change waits as a pending action until a fresh code approves it.

The request stores the action (type, canonical payload, its hash, the asking session) on a
``step_up`` challenge and texts a code that names the change; the words come from the action's
handler (``describe``), as a function of exactly the values held. Approving re-checks the hash,
then applies exactly that payload, once, inside the transaction that approves the challenge.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from otpgate import i18n
from otpgate.domain.accounts import EventType
from otpgate.domain.actions import ActionType, PendingAction, phone_change_text, sms_purpose
from otpgate.domain.challenges import Challenge, ForAccount, Status, StepUp
from otpgate.domain.errors import ChangeTooLong, Conflict
from otpgate.domain.language import DEFAULT_LANGUAGE, N_, Translator
from otpgate.domain.messages import code_message_fits
from otpgate.domain.phones import mask
from otpgate.services.actions import Actions, Approving
from otpgate.services.approvals import Approval, VerifyRequest
from otpgate.services.audit import audit
from otpgate.services.challenges import ChallengeIssuer
from otpgate.services.deps import Deps
from otpgate.services.languages import account_language
from otpgate.services.limits import hit_send_limits
from otpgate.services.mail import MailService
from otpgate.services.ports import OutgoingMessage, RequestContext
from otpgate.services.principal import Customer
from otpgate.services.storage import UnitOfWork


class StepUpService:
    """Requests step-ups, and approves them (the ``step_up`` purpose's handler)."""

    def __init__(
        self,
        deps: Deps,
        issuer: ChallengeIssuer,
        actions: Actions,
        *,
        mail: MailService | None = None,
    ) -> None:
        self.deps = deps
        self.issuer = issuer
        self.actions = actions
        self.mail = mail

    def action(
        self,
        action_type: ActionType,
        payload: Mapping[str, Any],
        language: str = DEFAULT_LANGUAGE,
    ) -> PendingAction:
        """The pending action for ``payload``, named in full by its handler (the stored
        summary in English; its text in ``language``, the account's).

        Its words are never cut (S42): a change whose text message could not name all of it,
        in the language it is sent in, is refused with ``ChangeTooLong`` before anything is
        counted or sent.
        """
        handler = self.actions[action_type]
        summary = handler.describe(payload)
        words = i18n.translator(language)
        sent = summary if words.language == DEFAULT_LANGUAGE else handler.describe(payload, words)
        config = self.deps.config
        if not code_message_fits(
            sms_purpose(sent, words.language),
            brand=config.brand,
            host=config.host,
            code_length=config.policy.code_length,
            words=words,
        ):
            raise ChangeTooLong()
        return PendingAction(action_type, dict(payload), summary)

    async def request(
        self,
        customer: Customer,
        action_type: ActionType,
        payload: Mapping[str, Any],
        ctx: RequestContext,
    ) -> Challenge:
        """Hold the change and text a code for it to the account's current number."""
        deps = self.deps
        account = customer.account
        language = account_language(account, ctx)
        action = self.action(action_type, payload, language)
        await hit_send_limits(deps.limiter, account.phone, ctx, account.id)
        async with deps.store.transaction() as uow:
            challenge, message = await self.open(
                uow, account.id, customer.session.id, action, ctx, account.phone, language
            )
        deps.dispatcher.submit(message)
        return challenge

    async def again(
        self, customer: Customer, challenge: Challenge, ctx: RequestContext
    ) -> Challenge:
        """The same change asked for again after its code ended (expired, too many wrong
        codes, replaced): a new challenge holding exactly the values the old one held, for
        the session that asked, counted by every send cap like the first request."""
        now = self.deps.clock.now()
        action = challenge.action
        state = challenge.effective_status(now)
        ended = state in (Status.EXPIRED, Status.FAILED, Status.CANCELED) or (
            state is Status.PENDING and challenge.attempts >= challenge.max_attempts
        )
        if (
            action is None
            or not ended
            or challenge.account_id != customer.account.id
            or challenge.session_id != customer.session.id
            or not action.intact(customer.account.id, customer.session.id)
            or action.type is ActionType.CONFIRM_NEW_PHONE  # its first step is asked again
        ):
            raise Conflict(N_("This change can't be asked for again. Start it again."))
        return await self.request(customer, action.type, action.values(), ctx)

    async def open(
        self,
        uow: UnitOfWork,
        account_id: str,
        session_id: str,
        action: PendingAction,
        ctx: RequestContext,
        destination: str,
        language: str,
    ) -> tuple[Challenge, OutgoingMessage]:
        """Open the challenge for ``action`` in ``uow``, its texts in ``language`` (the
        caller submits the message)."""
        challenge, message = await self.issuer.open(
            uow,
            subject=ForAccount(account_id),
            intent=StepUp(session_id=session_id, action=action.bind(account_id, session_id)),
            destination=destination,
            ctx=ctx,
            language=language,
        )
        await audit(
            uow,
            EventType.STEP_UP_REQUESTED,
            "pending",
            at=self.deps.clock.now(),
            ctx=ctx,
            account_id=account_id,
            challenge_id=challenge.id,
            action=action.type.value,
            summary=action.summary,
        )
        return challenge, message

    async def approve(
        self, uow: UnitOfWork, challenge: Challenge, now: datetime, request: VerifyRequest
    ) -> Approval:
        account_id, session_id, action = (
            challenge.account_id,
            challenge.session_id,
            challenge.action,
        )
        if (
            account_id is None
            or session_id is None
            or action is None
            or not action.intact(account_id, session_id)
        ):
            # The stored action no longer matches what the code was issued for.
            raise Conflict(N_("This change can't be applied. Start again."))
        # The asking session was checked when the request came in, in another transaction; a
        # sign-out (or a password change elsewhere) may have ended it since. Checked again
        # here, with its row locked until this approval commits, a step-up never applies
        # after its session was revoked (S26).
        session = await uow.sessions.lock_session(session_id)
        if (
            session is None
            or session.account_id != account_id
            or not session.is_active(now, self.deps.config.session_idle_seconds)
        ):
            raise Conflict(N_("The session that asked for this change has ended; nothing changed."))
        approving = Approving(challenge, account_id, session_id, now, request)
        approval = await self.actions[action.type].apply(uow, approving, action.values())
        if approval.follow_up is not None:
            approval = await self._follow_up(uow, approving, approval)
        await audit(
            uow,
            EventType.STEP_UP_APPLIED,
            "ok",
            at=now,
            ctx=request.ctx,
            account_id=account_id,
            challenge_id=challenge.id,
            action=action.type.value,
            summary=action.summary,
        )
        values = action.values()
        handler = self.actions[action.type]

        def summary(words: Translator) -> str:
            if action.type is ActionType.CONFIRM_NEW_PHONE:
                # Its own words say "confirm"; the notice says what changed.
                return phone_change_text(mask(values["phone"]), words)
            return handler.describe(values, words)

        return await self._notify(uow, account_id, action.type, summary, now, approval)

    async def _notify(
        self,
        uow: UnitOfWork,
        account_id: str,
        action_type: ActionType,
        summary: Callable[[Translator], str],
        now: datetime,
        approval: Approval,
    ) -> Approval:
        """Email the confirmed address that a change was applied (``change_applied``, or
        ``factor_changed`` for sign-in methods), the change named in the mail's language. A
        new number's first step changes nothing yet: its notice comes when the new number is
        proven."""
        if self.mail is None or approval.follow_up is not None or approval.next_challenge:
            return approval
        factor = action_type in (ActionType.ADD_FACTOR, ActionType.REMOVE_FACTOR)
        notice = await self.mail.change_applied(uow, account_id, summary, now, factor=factor)
        if notice is None:
            return approval
        return replace(approval, messages=(*approval.messages, notice))

    async def _follow_up(
        self, uow: UnitOfWork, approving: Approving, approval: Approval
    ) -> Approval:
        """One more code, to the destination the applied action named (a new number)."""
        follow_up = approval.follow_up
        assert follow_up is not None
        ctx = approving.request.ctx
        await hit_send_limits(
            self.deps.limiter, follow_up.destination, ctx, approving.account_id, proven=False
        )
        # The first step's language (the account's) for the new number too.
        language = approving.challenge.language
        next_challenge, message = await self.open(
            uow,
            approving.account_id,
            approving.session_id,
            self.action(follow_up.action_type, follow_up.payload, language),
            ctx,
            follow_up.destination,
            language,
        )
        return Approval(
            next_challenge=next_challenge,
            messages=(*approval.messages, message),
            result=approval.result,
        )
