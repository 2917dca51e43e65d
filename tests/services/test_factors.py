"""Factors besides SMS on the fakes: backup codes answer a sign-in once, share the
challenge's tries, and a factor the challenge doesn't take spends none."""

from __future__ import annotations

import pytest

from otpgate.domain.errors import InvalidCode, InvalidInput
from otpgate.domain.factors import FactorType
from otpgate.services.approvals import FactorAdded, VerifyRequest
from otpgate.services.factors import FactorUnavailable
from otpgate.services.signin import CodeRequired
from tests.services.steps import CTX, World


async def backup_codes(world: World) -> list[str]:
    customer = await world.signed_up()
    challenge = await world.services.factors.request_add(customer, CTX, "backup_codes")
    verified = await world.verify(challenge, world.code(challenge), session_id=customer.session.id)
    added = verified.approval.result
    assert isinstance(added, FactorAdded)
    return list(added.codes)


async def answer(world: World, challenge_id: str, code: str, factor: FactorType) -> None:
    await world.services.verifier.verify(
        VerifyRequest(challenge_id, code, False, CTX, factor=factor)
    )


async def sign_in_challenge(world: World) -> str:
    started = await world.sign_in()
    assert isinstance(started, CodeRequired)
    return started.challenge.id


async def test_a_backup_code_answers_a_sign_in_once(world: World) -> None:
    codes = await backup_codes(world)
    first = await sign_in_challenge(world)
    await answer(world, first, codes[0], FactorType.BACKUP_CODE)
    again = await sign_in_challenge(world)
    with pytest.raises(InvalidCode):
        await answer(world, again, codes[0], FactorType.BACKUP_CODE)
    (stored,) = world.store.tables.factors.values()
    used = [c for c in world.store.tables.backup_codes if c.used_at is not None]
    assert len(used) == 1 and stored.last_used_at is not None


async def test_tries_are_the_challenge_s_whichever_factor(world: World) -> None:
    codes = await backup_codes(world)
    challenge = await sign_in_challenge(world)
    with pytest.raises(InvalidCode) as wrong:
        await answer(world, challenge, "2222222222", FactorType.BACKUP_CODE)
    assert wrong.value.attempts_remaining == 4
    with pytest.raises(InvalidCode) as texted:
        await answer(world, challenge, "000000", FactorType.SMS_CODE)
    assert texted.value.attempts_remaining == 3
    await answer(world, challenge, codes[1], FactorType.BACKUP_CODE)


async def test_a_factor_the_challenge_does_not_take_spends_no_try(world: World) -> None:
    registered = await world.register("grace@example.com")
    with pytest.raises(FactorUnavailable):
        await answer(world, registered.challenge.id, "123456", FactorType.TOTP)
    assert world.stored(registered.challenge).attempts == 0
    with pytest.raises(InvalidInput):
        await answer(world, registered.challenge.id, "not a code", FactorType.BACKUP_CODE)
