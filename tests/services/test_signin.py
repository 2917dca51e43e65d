"""Signing in on the fakes: the password, then a code, or a trusted browser instead."""

from __future__ import annotations

import pytest

from otpgate.domain.accounts import EventType
from otpgate.domain.challenges import Purpose, Status
from otpgate.domain.errors import InvalidCredentials, NotAuthenticated, RateLimited
from otpgate.services.limits import PASSWORD_ACCOUNT
from otpgate.services.signin import CodeRequired, SignedIn
from tests.fakes.ports import make_services
from tests.services.steps import CTX, World


async def test_the_password_then_the_code_signs_in(world: World) -> None:
    customer = await world.signed_up()
    started = await world.sign_in()
    assert isinstance(started, CodeRequired)
    challenge = started.challenge
    assert (challenge.purpose, challenge.status) == (Purpose.SIGN_IN, Status.PENDING)
    assert challenge.destination == customer.account.phone
    message = world.fakes.dispatcher.last()
    assert (message.to, message.challenge_id, message.purpose) == (
        customer.account.phone,
        challenge.id,
        "sign_in",
    )
    assert "code to sign in" in message.body
    verified = await world.verify(challenge, world.code(challenge))
    signed_in = await world.customer(verified)
    assert signed_in.account.id == customer.account.id
    assert signed_in.session.id != customer.session.id
    assert world.stored(challenge).status is Status.APPROVED
    assert [e.outcome for e in world.events(EventType.SIGNIN_PASSWORD_OK)] == ["code_required"]


async def test_an_unknown_email_and_a_wrong_password_look_alike(world: World) -> None:
    customer = await world.signed_up()
    before = len(world.fakes.dispatcher.submitted)
    with pytest.raises(InvalidCredentials) as unknown:
        await world.sign_in("nobody@example.com")
    assert world.fakes.hasher.burned == 1  # a dummy verify, as long as a real one
    with pytest.raises(InvalidCredentials) as wrong_password:
        await world.sign_in(password="not the password at all")
    assert world.fakes.hasher.burned == 1
    assert unknown.value.detail == wrong_password.value.detail
    assert len(world.fakes.dispatcher.submitted) == before  # no code for either
    failed = world.events(EventType.SIGNIN_PASSWORD_FAILED)
    assert [e.account_id for e in failed] == [None, customer.account.id]


async def test_a_trusted_browser_skips_the_code_until_it_expires(world: World) -> None:
    customer = await world.signed_up()
    started = await world.sign_in(remember_device=True)
    assert isinstance(started, CodeRequired)
    verified = await world.verify(started.challenge, world.code(started.challenge))
    assert verified.approval.signed_in is not None
    device_token = verified.approval.signed_in.device_token
    assert device_token is not None
    sent = len(world.fakes.dispatcher.submitted)

    world.clock.advance(3600)
    skipped = await world.sign_in(device_token=device_token)
    assert isinstance(skipped, SignedIn)
    assert skipped.issued.session.account_id == customer.account.id
    assert len(world.fakes.dispatcher.submitted) == sent
    [trusted] = world.events(EventType.SIGNIN_TRUSTED_DEVICE)
    device = next(iter(world.store.tables.devices.values())).value
    assert device.last_used_at == world.clock.now()
    assert trusted.details["device_id"] == device.id

    # Another account's browser token, or an expired one, buys nothing.
    await world.signed_up("grace@example.com")
    assert isinstance(
        await world.sign_in("grace@example.com", device_token=device_token), CodeRequired
    )
    world.clock.advance(world.services.deps.config.device_trust_seconds)
    assert isinstance(await world.sign_in(device_token=device_token), CodeRequired)


async def test_an_unconfirmed_account_signs_in_by_confirming_its_number(world: World) -> None:
    registered = await world.register()
    started = await world.sign_in()
    assert isinstance(started, CodeRequired)
    assert started.challenge.purpose is Purpose.VERIFY_PHONE
    # The newer code supersedes the registration's.
    assert world.stored(registered.challenge).status is Status.CANCELED
    verified = await world.verify(started.challenge, world.code(started.challenge))
    assert world.account(registered.account_id).phone_verified
    assert (await world.customer(verified)).account.id == registered.account_id


async def test_password_attempts_are_limited_per_window_of_the_clock() -> None:
    services, fakes = make_services(limits={PASSWORD_ACCOUNT: "2/30seconds"})
    world = World(services, fakes)
    await world.signed_up()
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            await world.sign_in(password="wrong password, twice")
    with pytest.raises(RateLimited) as limited:
        await world.sign_in()  # even the right password waits
    assert limited.value.retry_after == 30
    world.clock.advance(29)
    with pytest.raises(RateLimited) as still:
        await world.sign_in()
    assert still.value.retry_after == 1
    world.clock.advance(1)
    assert isinstance(await world.sign_in(), CodeRequired)


async def test_signing_out_revokes_the_session(world: World) -> None:
    customer = await world.signed_up()
    token = world.tokens[customer.session.id]
    assert (await world.services.sessions.authenticate(token)).session.id == customer.session.id
    await world.services.sessions.sign_out(customer, CTX)
    with pytest.raises(NotAuthenticated):
        await world.services.sessions.authenticate(token)
    assert [e.account_id for e in world.events(EventType.SESSION_SIGNED_OUT)] == [
        customer.account.id
    ]


async def test_a_new_code_after_an_ended_one_needs_the_same_recent_password_step(
    world: World,
) -> None:
    """Issue 15 point 3 ("Send a new code"): only for a sign-in code that ended, opened at
    most two challenge lives ago; a pending one, or an old one, asks for the password."""
    await world.signed_up()
    started = await world.sign_in()
    assert isinstance(started, CodeRequired)
    with pytest.raises(NotAuthenticated):  # still pending: resend it instead
        await world.services.signin.again(world.stored(started.challenge), CTX)
    world.clock.advance(301)
    renewed = await world.services.signin.again(world.stored(started.challenge), CTX)
    assert (renewed.purpose, renewed.status) == (Purpose.SIGN_IN, Status.PENDING)
    assert renewed.id != started.challenge.id
    assert world.fakes.dispatcher.last().challenge_id == renewed.id
    world.clock.advance(1800)
    with pytest.raises(NotAuthenticated):  # the password step is too old now
        await world.services.signin.again(world.stored(started.challenge), CTX)
