"""The factor seam: how a challenge is answered, and how a code is sent for it.

A ``Factor`` checks an answer: a code texted or read by a call, a code from an authenticator
app, a backup code, a passkey assertion. A ``Sender`` is a factor whose secret travels on a
channel: it issues a new code for a challenge as a message. The challenge, its attempt count
and the account pause stay with the challenge whatever factor answers it (one count across
factors). Each factor is one module here, registered in one mapping that
``services/container.py`` builds and ``check_factors`` checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from otpgate.domain.challenges import Challenge
from otpgate.domain.channels import Channel
from otpgate.domain.errors import InvalidInput
from otpgate.domain.factors import FactorType
from otpgate.domain.language import DEFAULT_LANGUAGE, N_
from otpgate.services.outbox import Draft
from otpgate.services.storage import UnitOfWork


@dataclass(frozen=True, slots=True)
class Issued:
    """What issuing produced: the digest the challenge keeps, and the message that carries
    the secret (stored by the caller once the challenge row exists), if the factor sends one."""

    digest: str
    draft: Draft | None


@dataclass(frozen=True, slots=True)
class Delivery:
    """Where and why a factor's secret goes: for one challenge, to one destination."""

    challenge_id: str
    account_id: str | None
    purpose: str
    destination: str
    text: str
    expires_at: datetime
    language: str = DEFAULT_LANGUAGE


class Factor(Protocol):
    type: FactorType

    def parse(self, answer: str) -> str:
        """The answer as typed, normalised; ``InvalidInput`` when it can't be one."""
        ...

    async def check(self, uow: UnitOfWork, challenge: Challenge, answer: str) -> bool:
        """Whether ``answer`` (as ``parse`` made it) is right for ``challenge`` (constant time).

        The attempt has already been counted when this runs. The verifier has refused a
        factor the challenge does not take before counting (``available.ensure_answerable``);
        a factor that finds it can't answer after all (removed meanwhile) raises
        ``FactorUnavailable``.
        """
        ...


class Sender(Factor, Protocol):
    """A factor whose code travels as a message on ``channel``."""

    channel: Channel

    def issue(self, delivery: Delivery, now: datetime) -> Issued:
        """Make a new code for ``delivery``: its digest and the message that carries it."""
        ...


Factors = Mapping[FactorType, Factor]
Senders = Mapping[Channel, Sender]


class FactorUnavailable(InvalidInput):
    """The factor named can't answer this challenge (see ``domain.factors.answerable_with``)."""

    def __init__(self, factor: FactorType) -> None:
        super().__init__("factor", UNAVAILABLE[factor])
        self.factor = factor


# Whole sentences, one per factor, so each language words them its own way.
UNAVAILABLE = {
    FactorType.SMS_CODE: N_("This can't be confirmed with a text message."),
    FactorType.VOICE_CODE: N_("This can't be confirmed with a phone call."),
    FactorType.TOTP: N_("This can't be confirmed with an authenticator app."),
    FactorType.PASSKEY: N_("This can't be confirmed with a passkey."),
    FactorType.BACKUP_CODE: N_("This can't be confirmed with a backup code."),
}


def check_factors(factors: Factors) -> None:
    """Refuse to start unless every factor type has its implementation."""
    missing = [kind.value for kind in FactorType if kind not in factors]
    if missing:
        raise ValueError(f"no factor registered for {', '.join(missing)}")
