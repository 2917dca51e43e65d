"""Asking for a new code on the fakes: the cooldown, the cap on sends, the old code voided,
the attempts carried over."""

from __future__ import annotations

from datetime import timedelta

import pytest

from otpgate.domain.challenges import Challenge, Status
from otpgate.domain.errors import ChallengeUsed, InvalidCode, ResendLimitReached, ResendTooSoon
from otpgate.services.signin import CodeRequired
from tests.services.steps import CTX, World, wrong


async def sign_in_challenge(world: World) -> Challenge:
    await world.signed_up()
    started = await world.sign_in()
    assert isinstance(started, CodeRequired)
    return started.challenge


async def test_a_new_code_waits_for_the_cooldown(world: World) -> None:
    challenge = await sign_in_challenge(world)
    with pytest.raises(ResendTooSoon) as soon:
        await world.services.challenges.resend(challenge.id, CTX)
    assert soon.value.retry_after == 30
    world.clock.advance(29)
    with pytest.raises(ResendTooSoon) as still:
        await world.services.challenges.resend(challenge.id, CTX)
    assert still.value.retry_after == 1
    world.clock.advance(1)
    renewed = await world.services.challenges.resend(challenge.id, CTX)
    assert (renewed.sends, renewed.last_sent_at) == (2, world.clock.now())
    assert renewed.delivery_status == "queued"
    # The new code lives five minutes from now.
    assert renewed.expires_at == world.clock.now() + timedelta(minutes=5)


async def test_at_most_five_codes_per_challenge(world: World) -> None:
    challenge = await sign_in_challenge(world)
    for sends in range(2, 6):
        world.clock.advance(30)
        renewed = await world.services.challenges.resend(challenge.id, CTX)
        assert renewed.sends == sends
    world.clock.advance(30)
    with pytest.raises(ResendLimitReached):
        await world.services.challenges.resend(challenge.id, CTX)
    assert len(world.fakes.dispatcher.to(challenge.destination)) == 1 + 1 + 4  # sign-up too


async def test_a_new_code_voids_the_old_one_but_not_the_attempts_spent(world: World) -> None:
    challenge = await sign_in_challenge(world)
    old = world.code(challenge)
    for _ in range(2):
        with pytest.raises(InvalidCode):
            await world.verify(challenge, wrong(old))
    world.clock.advance(30)
    await world.services.challenges.resend(challenge.id, CTX)
    new = world.code(challenge)
    assert world.stored(challenge).attempts == 2
    if new != old:  # one chance in a million that the new code is the old one
        with pytest.raises(InvalidCode) as refused:
            await world.verify(challenge, old)
        assert refused.value.attempts_remaining == 2
    verified = await world.verify(challenge, new)
    assert verified.challenge.status is Status.APPROVED


async def test_no_new_code_for_a_finished_challenge(world: World) -> None:
    challenge = await sign_in_challenge(world)
    await world.verify(challenge, world.code(challenge))
    world.clock.advance(30)
    with pytest.raises(ChallengeUsed):
        await world.services.challenges.resend(challenge.id, CTX)
