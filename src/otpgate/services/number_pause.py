"""The pause of a number no account owns (a verification's ``to``), like an account's.

A verification to an otpgate account pauses with the account (every code the account owns
pauses together, S12). One to a plain number has no account to pause, so the number itself
keeps the streak: the same limit of wrong codes in a row across all its verifications,
whichever API key asked, earns the same growing pause (15 → 30 → 60 minutes by default),
and a right code clears it. The number is kept only as its SHA-256 (``number_subject``).
"""

from __future__ import annotations

from datetime import datetime

from otpgate.domain.challenges import Challenge, ForNumber
from otpgate.domain.policy import OtpPolicy, StreakOutcome, after_code_failure
from otpgate.domain.verifications import number_subject
from otpgate.services.storage import UnitOfWork


def pauses_number(challenge: Challenge) -> bool:
    """Whether wrong codes for ``challenge`` count against its number (not an account)."""
    return isinstance(challenge.subject, ForNumber)


async def number_locked_until(uow: UnitOfWork, challenge: Challenge) -> datetime | None:
    """Until when the challenge's number is paused (None: it is not)."""
    pause = await uow.number_pauses.get(number_subject(challenge.destination))
    return pause.locked_until if pause else None


async def count_number_failure(
    uow: UnitOfWork, policy: OtpPolicy, challenge: Challenge, now: datetime
) -> StreakOutcome:
    """One more wrong code for the number; when the streak reaches the limit, the pause."""
    number = number_subject(challenge.destination)
    streak, lockouts = await uow.number_pauses.add_code_failure(number)
    outcome = after_code_failure(policy, streak - 1, lockouts, now)
    if outcome.locked_until is not None:
        await uow.number_pauses.set_code_lockout(
            number, outcome.streak, outcome.lockouts, outcome.locked_until
        )
    return outcome


async def clear_number_failures(uow: UnitOfWork, challenge: Challenge) -> None:
    """A right code: the number's streak starts again."""
    await uow.number_pauses.set_code_lockout(number_subject(challenge.destination), 0, 0, None)
