"""``voice_code``: the challenge's code read out by a phone call, twice, digit by digit.

A call replaces the challenge's code like a resend does (the texted code stops working), so
its check is the SMS check; it is a factor of its own so the trail (and ``amr``) can say that
a call, not a text, carried it. Calls go only to numbers already proven (see
``domain.factors.answerable_with``).
"""

from __future__ import annotations

from datetime import datetime

from otpgate import i18n
from otpgate.domain.calls import code_call
from otpgate.domain.challenges import Challenge
from otpgate.domain.channels import Channel
from otpgate.domain.codes import (
    code_digest,
    code_matches,
    generate_code,
    is_well_formed,
    normalize_code_input,
)
from otpgate.domain.errors import InvalidInput
from otpgate.domain.factors import FactorType
from otpgate.services.deps import Deps
from otpgate.services.factors import Delivery, Issued
from otpgate.services.factors.available import ensure_available
from otpgate.services.outbox import Draft
from otpgate.services.storage import UnitOfWork


class VoiceCode:
    type = FactorType.VOICE_CODE
    channel = Channel.VOICE

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def parse(self, answer: str) -> str:
        length = self.deps.config.policy.code_length
        code = normalize_code_input(answer)
        if not is_well_formed(code, length):
            raise InvalidInput(
                "code", "Enter the %(length)d-digit code from the call.", length=length
            )
        return code

    def issue(self, delivery: Delivery, now: datetime) -> Issued:
        config = self.deps.config
        code = generate_code(config.policy.code_length)
        call = code_call(
            code=code,
            brand=config.brand,
            purpose_text=delivery.text,
            words=i18n.translator(delivery.language),
        )
        draft = Draft(
            channel=self.channel,
            to=delivery.destination,
            body=call.text,
            body_redacted=call.redacted,
            purpose=delivery.purpose,
            expires_at=delivery.expires_at,
            challenge_id=delivery.challenge_id,
            account_id=delivery.account_id,
        )
        return Issued(digest=code_digest(config.code_key, delivery.challenge_id, code), draft=draft)

    async def check(self, uow: UnitOfWork, challenge: Challenge, answer: str) -> bool:
        await ensure_available(uow, self.deps.config, challenge, self.type)
        return code_matches(self.deps.config.code_keys, challenge.id, answer, challenge.code_digest)
