"""``sms_code``: a one-time code texted to the account's number.

The code is 6–10 digits from the OS CSPRNG; only its HMAC (bound to the challenge id) is kept,
and it is compared in constant time under every configured key (key rotation).
"""

from __future__ import annotations

from datetime import datetime

from otpgate import i18n
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
from otpgate.domain.messages import code_message, redact
from otpgate.services.deps import Deps
from otpgate.services.factors import Delivery, Issued
from otpgate.services.outbox import Draft
from otpgate.services.storage import UnitOfWork


class SmsCode:
    type = FactorType.SMS_CODE
    channel = Channel.SMS

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def parse(self, answer: str) -> str:
        length = self.deps.config.policy.code_length
        code = normalize_code_input(answer)
        if not is_well_formed(code, length):
            raise InvalidInput(
                "code", "Enter the %(length)d-digit code from the text.", length=length
            )
        return code

    def issue(self, delivery: Delivery, now: datetime) -> Issued:
        config = self.deps.config
        code = generate_code(config.policy.code_length)
        body = code_message(
            code=code,
            brand=config.brand,
            purpose_text=delivery.text,
            ttl_seconds=max(1, int((delivery.expires_at - now).total_seconds())),
            host=config.host,
            # The challenge's language (the account's): the whole sentence, never the last line.
            words=i18n.translator(delivery.language),
        )
        draft = Draft(
            channel=self.channel,
            to=delivery.destination,
            body=body,
            body_redacted=redact(body, code),
            purpose=delivery.purpose,
            expires_at=delivery.expires_at,
            challenge_id=delivery.challenge_id,
            account_id=delivery.account_id,
        )
        digest = code_digest(config.code_key, delivery.challenge_id, code)
        return Issued(digest=digest, draft=draft)

    async def check(self, uow: UnitOfWork, challenge: Challenge, answer: str) -> bool:
        return code_matches(self.deps.config.code_keys, challenge.id, answer, challenge.code_digest)
