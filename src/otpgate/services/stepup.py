"""Step-up: a high-risk change waits as a pending action until a fresh code approves it.

The request stores the action (type, canonical payload, its hash, the asking session) on a
``step_up`` challenge and texts a code that names the change. Approving re-checks the hash,
then applies exactly that payload, once, inside the transaction that approves the challenge.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from otpgate.domain.accounts import EventType, SecurityEvent
from otpgate.domain.actions import (
    ActionType,
    PendingAction,
    action_hash,
    fit_summary,
    sms_purpose,
)
from otpgate.domain.challenges import Challenge, Purpose
from otpgate.domain.errors import Conflict
from otpgate.services.challenges import Approval, ChallengeService, VerifyRequest
from otpgate.services.deps import Deps
from otpgate.services.limits import hit_send_limits
from otpgate.services.ports import OutgoingSms, RequestContext, StepUpTransaction
from otpgate.services.sessions import Authenticated

Applier = Callable[
    [StepUpTransaction, Challenge, dict[str, Any], datetime, VerifyRequest], Awaitable[Approval]
]


class StepUpService:
    def __init__(self, deps: Deps, challenges: ChallengeService) -> None:
        self.deps = deps
        self.challenges = challenges
        self._appliers: dict[ActionType, Applier] = {}
        challenges.on_approval(Purpose.STEP_UP, self._approve)

    def on_apply(self, action_type: ActionType, applier: Applier) -> None:
        """Register how an approved action of ``action_type`` is applied."""
        self._appliers[action_type] = applier

    async def request(
        self, auth: Authenticated, action: PendingAction, ctx: RequestContext
    ) -> Challenge:
        """Hold ``action`` and text a code for it to the account's current number."""
        deps = self.deps
        await hit_send_limits(deps.limiter, auth.account.phone, ctx, auth.account.id)
        async with deps.store.transaction() as tx:
            challenge, message = await self.open(tx, auth, action, ctx, auth.account.phone)
        deps.dispatcher.submit(message)
        return challenge

    async def open(
        self,
        tx: StepUpTransaction,
        auth: Authenticated | tuple[str, str],
        action: PendingAction,
        ctx: RequestContext,
        destination: str,
    ) -> tuple[Challenge, OutgoingSms]:
        """Open the challenge for ``action`` in ``tx`` (the caller submits the message)."""
        account_id, session_id = (
            (auth.account.id, auth.session.id) if isinstance(auth, Authenticated) else auth
        )
        action = replace(action, summary=fit_summary(action.summary))
        challenge, message = await self.challenges.open(
            tx,
            account_id=account_id,
            purpose=Purpose.STEP_UP,
            destination=destination,
            ctx=ctx,
            purpose_text=sms_purpose(action.summary),
            session_id=session_id,
            action_type=action.type.value,
            action_summary=action.summary,
            action_hash=action.digest(account_id, session_id),
            action_payload=action.canonical,
        )
        await tx.add_event(
            SecurityEvent(
                type=EventType.STEP_UP_REQUESTED,
                outcome="pending",
                account_id=account_id,
                ip=ctx.ip,
                user_agent=ctx.user_agent,
                details={
                    "challenge_id": challenge.id,
                    "action": action.type.value,
                    "summary": action.summary,
                },
                created_at=self.deps.clock.now(),
            )
        )
        return challenge, message

    async def _approve(
        self, tx: StepUpTransaction, challenge: Challenge, now: datetime, request: VerifyRequest
    ) -> Approval:
        if (
            challenge.account_id is None
            or challenge.session_id is None
            or challenge.action_type is None
            or challenge.action_payload is None
            or challenge.action_hash
            != action_hash(
                challenge.action_type,
                challenge.action_payload,
                challenge.account_id,
                challenge.session_id,
            )
        ):
            # The stored action no longer matches what the code was issued for.
            raise Conflict("This change can't be applied. Start again.")
        action_type = ActionType(challenge.action_type)
        payload = json.loads(challenge.action_payload)
        approval = await self._appliers[action_type](tx, challenge, payload, now, request)
        await tx.add_event(
            SecurityEvent(
                type=EventType.STEP_UP_APPLIED,
                outcome="ok",
                account_id=challenge.account_id,
                ip=request.ctx.ip,
                user_agent=request.ctx.user_agent,
                details={
                    "challenge_id": challenge.id,
                    "action": action_type.value,
                    "summary": challenge.action_summary,
                },
                created_at=now,
            )
        )
        return approval
