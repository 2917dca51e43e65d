"""The factor seam: how a challenge is issued and answered.

A ``Factor`` issues what the customer needs to answer (a code texted to the phone; later a
code read by a voice call) and checks an answer. The challenge, its attempt count and the
account pause stay with the challenge whatever factor answers it. Each factor is one module
here, registered in one mapping that ``bootstrap`` builds and ``check_factors`` checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from otpgate.domain.challenges import Challenge
from otpgate.domain.factors import FactorType
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


class Factor(Protocol):
    type: FactorType

    def parse(self, answer: str) -> str:
        """The answer as typed, normalised; ``InvalidInput`` when it can't be one."""
        ...

    def issue(self, delivery: Delivery, now: datetime) -> Issued:
        """Make a new secret for ``delivery``: its digest and the message that carries it."""
        ...

    async def check(self, uow: UnitOfWork, challenge: Challenge, answer: str) -> bool:
        """Whether ``answer`` (as ``parse`` made it) is right for ``challenge`` (constant time).
        The attempt has already been counted when this runs."""
        ...


Factors = Mapping[FactorType, Factor]


def check_factors(factors: Factors) -> None:
    """Refuse to start unless every factor type has its implementation."""
    missing = [kind.value for kind in FactorType if kind not in factors]
    if missing:
        raise ValueError(f"no factor registered for {', '.join(missing)}")
