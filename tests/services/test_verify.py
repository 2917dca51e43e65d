"""Checking a code on the fakes: once, within its attempts and lifetime, and the account-wide
pause after a run of wrong codes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from otpgate.domain.accounts import EventType
from otpgate.domain.challenges import Challenge, Status
from otpgate.domain.errors import (
    ChallengeExpired,
    ChallengeFailed,
    ChallengeNotFound,
    ChallengeUsed,
    CodeLockout,
    InvalidCode,
    InvalidInput,
)
from otpgate.services.signin import CodeRequired
from tests.services.steps import CTX, World, wrong


async def sign_in_challenge(world: World) -> Challenge:
    started = await world.sign_in()
    assert isinstance(started, CodeRequired)
    return started.challenge


async def test_the_right_code_works_once(world: World) -> None:
    await world.signed_up()
    challenge = await sign_in_challenge(world)
    code = world.code(challenge)
    verified = await world.verify(challenge, code)
    assert verified.challenge.status is Status.APPROVED
    assert verified.challenge.attempts == 1
    with pytest.raises(ChallengeUsed):
        await world.verify(challenge, code)
    assert world.stored(challenge).attempts == 1  # the refusal spent nothing
    assert len(world.events(EventType.SIGNIN_SUCCEEDED)) == 2  # sign-up, this sign-in


async def test_wrong_codes_count_down_and_the_sixth_try_is_refused(world: World) -> None:
    await world.signed_up()
    challenge = await sign_in_challenge(world)
    code = world.code(challenge)
    for left in (4, 3, 2, 1):
        with pytest.raises(InvalidCode) as refused:
            await world.verify(challenge, wrong(code))
        assert refused.value.attempts_remaining == left
    with pytest.raises(ChallengeFailed):
        await world.verify(challenge, wrong(code))
    assert world.stored(challenge).status is Status.FAILED
    # The right code, too late: the challenge is over.
    with pytest.raises(ChallengeFailed):
        await world.verify(challenge, code)
    stored = world.stored(challenge)
    assert (stored.status, stored.attempts) == (Status.FAILED, 5)
    assert len(world.events(EventType.CODE_FAILED)) == 5
    assert len(world.events(EventType.CHALLENGE_FAILED)) == 1


async def test_a_malformed_code_spends_no_attempt(world: World) -> None:
    await world.signed_up()
    challenge = await sign_in_challenge(world)
    for typed in ("12345", "12a456", "1234567"):
        with pytest.raises(InvalidInput):
            await world.verify(challenge, typed)
    assert world.stored(challenge).attempts == 0
    # What people and autofill add around a code is fine.
    code = world.code(challenge)
    verified = await world.verify(challenge, f" #{code[:3]} {code[3:]} ")
    assert verified.challenge.status is Status.APPROVED


async def test_ten_wrong_codes_across_challenges_pause_the_account(world: World) -> None:
    customer = await world.signed_up()
    for _ in range(2):  # two sign-ins, five wrong codes each
        challenge = await sign_in_challenge(world)
        for _ in range(5):
            with pytest.raises((InvalidCode, ChallengeFailed)):
                await world.verify(challenge, wrong(world.code(challenge)))
    [locked] = world.events(EventType.LOCKOUT_CODES)
    assert locked.details["until"] == (world.clock.now() + timedelta(minutes=15)).isoformat()
    account = world.account(customer.account.id)
    assert (account.code_fail_streak, account.code_lockouts) == (0, 1)

    # No sign-in code is sent while paused, and a code already out does not work either.
    sent = len(world.fakes.dispatcher.submitted)
    with pytest.raises(CodeLockout) as paused:
        await world.sign_in()
    assert paused.value.retry_after == 900
    assert len(world.fakes.dispatcher.submitted) == sent
    step_up = await world.services.profile.request_profile_change(
        customer, ctx=CTX, name="Grace Hopper", email=None
    )
    with pytest.raises(CodeLockout):
        await world.verify(step_up, world.code(step_up), session_id=customer.session.id)
    assert world.stored(step_up).attempts == 0

    world.clock.advance(900)
    challenge = await sign_in_challenge(world)
    await world.verify(challenge, world.code(challenge))
    cleared = world.account(customer.account.id)
    assert (cleared.code_fail_streak, cleared.code_lockouts, cleared.code_locked_until) == (
        0,
        0,
        None,
    )


async def test_an_expired_challenge_refuses_even_the_right_code(world: World) -> None:
    await world.signed_up()
    challenge = await sign_in_challenge(world)
    world.clock.advance(299)
    assert world.stored(challenge).effective_status(world.clock.now()) is Status.PENDING
    world.clock.advance(1)  # the code's five minutes are up
    with pytest.raises(ChallengeExpired):
        await world.verify(challenge, world.code(challenge))
    stored = world.stored(challenge)
    assert (stored.status, stored.attempts) == (Status.EXPIRED, 0)
    assert [e.details["challenge_id"] for e in world.events(EventType.CHALLENGE_EXPIRED)] == [
        challenge.id
    ]


async def test_an_unknown_challenge_is_not_found(world: World) -> None:
    with pytest.raises(ChallengeNotFound):
        await world.verify("ch_does-not-exist", "123456")
