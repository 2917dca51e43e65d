"""The ``verify`` purpose's ``ApprovalHandler``: a right code for a verification yields its
approval token (DESIGN §5.2, S47), signed in the approving transaction, so a token exists
exactly when the verification is approved, and only once."""

from __future__ import annotations

import secrets
from datetime import datetime

from otpgate.domain.accounts import EventType
from otpgate.domain.challenges import Challenge, Verification
from otpgate.domain.verifications import approval_claims, number_subject
from otpgate.services.approvals import Approval, VerifyRequest
from otpgate.services.audit import audit
from otpgate.services.deps import Deps
from otpgate.services.signing import TokenSigner
from otpgate.services.storage import UnitOfWork


class VerificationApprover:
    """The ``ApprovalHandler`` of purpose ``verify``: sign the approval token (S47), in the
    approving transaction, so a token exists exactly when the verification is approved."""

    def __init__(self, deps: Deps, signer: TokenSigner) -> None:
        self.deps = deps
        self.signer = signer

    async def approve(
        self, uow: UnitOfWork, challenge: Challenge, now: datetime, request: VerifyRequest
    ) -> Approval:
        intent = challenge.intent
        assert isinstance(intent, Verification)
        token_id = secrets.token_urlsafe(16)
        claims = approval_claims(
            issuer=self.deps.config.base_url,
            api_key_id=intent.api_key_id,
            subject=challenge.account_id or number_subject(challenge.destination),
            token_id=token_id,
            verification_id=challenge.id,
            summary=intent.summary,
            details_hash=intent.details_sha256,
            issued_at=now,
        )
        token = await self.signer.sign(uow, claims)
        await audit(
            uow,
            EventType.VERIFICATION_APPROVED,
            "ok",
            at=now,
            ctx=request.ctx,
            account_id=challenge.account_id,
            verification_id=challenge.id,
            api_key_id=intent.api_key_id,
            summary=intent.summary,
            details_sha256=intent.details_sha256,
            jti=token_id,
        )
        return Approval(token=token)
