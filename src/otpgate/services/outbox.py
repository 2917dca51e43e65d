"""The transactional outbox: a message row written in the caller's transaction.

Every message otpgate sends, on every channel, starts here, in the same transaction as
whatever it belongs to (a challenge, a notice). The row holds the body with its code blanked
out for people, and the full body sealed (AES-GCM) for the worker that will send it; the seal
is erased once the message is final. The caller hands the returned ``OutgoingMessage`` to
``deps.dispatcher.submit`` only after the transaction commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from otpgate.domain.channels import Channel
from otpgate.domain.delivery import DeliveryStatus
from otpgate.domain.tokens import new_id
from otpgate.services.deps import Deps
from otpgate.services.ports import OutgoingMessage
from otpgate.services.storage import MessageRecord, UnitOfWork


@dataclass(frozen=True, slots=True)
class Draft:
    """A message not yet stored: what to send, where, on which channel, until when."""

    channel: Channel
    to: str
    body: str
    body_redacted: str
    purpose: str
    expires_at: datetime
    challenge_id: str | None = None
    account_id: str | None = None


async def queue_message(
    deps: Deps, uow: UnitOfWork, draft: Draft, now: datetime
) -> OutgoingMessage:
    """Store ``draft`` as a ``queued`` message in ``uow``; return it for ``dispatcher.submit``.

    ``draft.expires_at`` is when the message stops being worth sending (its code's expiry).
    """
    message_id = new_id(draft.channel.value)
    sealed = deps.sealer.seal(draft.body, message_id) if deps.sealer is not None else None
    await uow.messages.add(
        MessageRecord(
            id=message_id,
            channel=draft.channel.value,
            to=draft.to,
            body_redacted=draft.body_redacted,
            purpose=draft.purpose,
            status=DeliveryStatus.QUEUED.value,
            created_at=now,
            expires_at=draft.expires_at,
            challenge_id=draft.challenge_id,
            account_id=draft.account_id,
            body_sealed=sealed,
        )
    )
    return OutgoingMessage(
        message_id=message_id,
        channel=draft.channel.value,
        to=draft.to,
        body=draft.body,
        purpose=draft.purpose,
        challenge_id=draft.challenge_id,
        account_id=draft.account_id,
        expires_at=draft.expires_at,
    )
