"""Which factors may answer a challenge now: the rule (``domain.factors.answerable_with``)
applied to what the account enrolled and what the operator offers."""

from __future__ import annotations

from datetime import datetime

from otpgate.domain.challenges import Challenge
from otpgate.domain.errors import ChallengeNotFound
from otpgate.domain.factors import EnrolledFactor, FactorType, answerable_with, proves_its_number
from otpgate.services.challenges import ensure_owner
from otpgate.services.config import FactorConfig, ServiceConfig
from otpgate.services.deps import Deps
from otpgate.services.factors import FactorUnavailable
from otpgate.services.storage import UnitOfWork


def offered(config: FactorConfig, kind: FactorType) -> bool:
    """Whether the operator offers ``kind`` at all."""
    if kind is FactorType.TOTP:
        return config.totp
    if kind is FactorType.BACKUP_CODE:
        return config.backup_codes
    if kind is FactorType.PASSKEY:
        return config.passkeys is not None
    if kind is FactorType.VOICE_CODE:
        return config.voice
    return True


def usable(config: FactorConfig, factors: list[EnrolledFactor]) -> set[FactorType]:
    """The factor types these enrolments answer with (active, offered, codes left)."""
    return {
        kind
        for factor in factors
        if (kind := factor.answers_with) is not None and offered(config, kind)
    }


async def available(
    uow: UnitOfWork, config: ServiceConfig, challenge: Challenge
) -> tuple[FactorType, ...]:
    """The factors that may answer ``challenge``, SMS first."""
    enrolled: set[FactorType] = set()
    # A challenge proving its number takes its texted code only: nothing to read for it.
    if challenge.account_id is not None and not proves_its_number(challenge):
        enrolled = usable(config.factors, list(await uow.factors.list(challenge.account_id)))
    return answerable_with(challenge, enrolled, voice=config.factors.voice)


async def ensure_available(
    uow: UnitOfWork, config: ServiceConfig, challenge: Challenge, factor: FactorType
) -> None:
    """Raise ``FactorUnavailable`` unless ``factor`` may answer ``challenge``."""
    if factor not in await available(uow, config, challenge):
        raise FactorUnavailable(factor)


async def ensure_answerable(
    deps: Deps, challenge_id: str, session_id: str | None, factor: FactorType
) -> None:
    """Refuse, before an attempt is spent, a factor the challenge does not take (or a
    challenge this caller may not answer at all). It depends on nothing the caller typed,
    so saying it gives no guess away."""
    async with deps.store.transaction() as uow:
        challenge = await uow.challenges.get(challenge_id)
        if challenge is None:
            raise ChallengeNotFound()
        ensure_owner(challenge, session_id)
        await ensure_available(uow, deps.config, challenge, factor)


def pending_usable(factor: EnrolledFactor | None, now: datetime) -> bool:
    """Whether ``factor`` is a pending enrolment that may still be completed."""
    return factor is not None and not factor.is_active and not factor.pending_expired(now)
