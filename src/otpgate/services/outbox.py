"""The transactional outbox: a message row written in the caller's transaction.

Every SMS otpgate sends starts here, in the same transaction as whatever it belongs to (a
challenge, a notice). The row holds the body with its code blanked out for people, and the
full body sealed (AES-GCM) for the worker that will send it; the seal is erased once the
message is final. The caller hands the returned ``OutgoingSms`` to ``deps.dispatcher.submit``
only after the transaction commits.
"""

from __future__ import annotations

from datetime import datetime

from otpgate.domain.delivery import DeliveryStatus
from otpgate.domain.tokens import new_id
from otpgate.services.deps import Deps
from otpgate.services.ports import OutgoingSms, SmsRecord, Transaction


async def queue_sms(
    deps: Deps,
    tx: Transaction,
    *,
    to: str,
    body: str,
    body_redacted: str,
    purpose: str,
    now: datetime,
    expires_at: datetime,
    challenge_id: str | None = None,
    account_id: str | None = None,
) -> OutgoingSms:
    """Store a ``queued`` message in ``tx`` and return it for ``dispatcher.submit``.

    ``expires_at`` is when the message stops being worth sending (its code's expiry).
    """
    message_id = new_id("sms")
    sealed = deps.sealer.seal(body, message_id) if deps.sealer is not None else None
    await tx.insert_sms(
        SmsRecord(
            id=message_id,
            to=to,
            body_redacted=body_redacted,
            purpose=purpose,
            status=DeliveryStatus.QUEUED.value,
            created_at=now,
            challenge_id=challenge_id,
            account_id=account_id,
            expires_at=expires_at,
            body_sealed=sealed,
        )
    )
    return OutgoingSms(
        message_id=message_id,
        to=to,
        body=body,
        purpose=purpose,
        challenge_id=challenge_id,
        account_id=account_id,
        expires_at=expires_at,
    )
