"""Registration on the fakes: confirming the number, taking over a never-confirmed account,
and the decoy a confirmed account's email gets."""

from __future__ import annotations

import pytest

from otpgate.domain.accounts import EventType
from otpgate.domain.challenges import ConfirmPhone, Decoy, ForAccount, Purpose, Status, Takeover
from otpgate.domain.errors import ChallengeCanceled, EmailUnavailable, InvalidCode
from otpgate.services.signin import CodeRequired
from tests.services.steps import PASSWORD, World, wrong


async def test_confirming_the_number_creates_the_account_and_signs_in(world: World) -> None:
    registered = await world.register()
    challenge = registered.challenge
    assert (challenge.subject, challenge.intent) == (
        ForAccount(registered.account_id),
        ConfirmPhone(),
    )
    assert not world.account(registered.account_id).phone_verified
    customer = await world.customer(await world.verify(challenge, world.code(challenge)))
    assert customer.account.id == registered.account_id
    assert world.account(registered.account_id).phone_verified
    assert world.account(registered.account_id).password_hash == await world.fakes.hasher.hash(
        PASSWORD
    )


async def test_a_never_confirmed_account_goes_to_whoever_proves_a_number(world: World) -> None:
    first = await world.register(name="Ada Lovelace")
    new_phone = world.new_phone()
    new_password = "grace's own correct horse"
    second = await world.register(name="Grace Hopper", phone=new_phone, password=new_password)
    assert isinstance(second.challenge.subject, Takeover)
    assert second.challenge.destination == new_phone
    assert second.account_id != first.account_id  # the answer names no existing account

    customer = await world.customer(
        await world.verify(second.challenge, world.code(second.challenge))
    )
    assert customer.account.id == first.account_id
    account = world.account(first.account_id)
    assert (account.name, account.phone, account.phone_verified) == (
        "Grace Hopper",
        new_phone,
        True,
    )
    assert len(world.store.tables.accounts) == 1
    # The first registration's code no longer works, the old password neither.
    assert world.stored(first.challenge).status is Status.CANCELED
    with pytest.raises(ChallengeCanceled):
        await world.verify(first.challenge, world.code(first.challenge))
    assert isinstance(await world.sign_in(password=new_password), CodeRequired)
    # What the takeover would have given the account is not kept once it ended.
    assert world.stored(second.challenge).subject == Takeover("", "", "", "")


async def test_a_confirmed_email_gets_a_decoy_that_says_so_only_after_the_right_code(
    world: World,
) -> None:
    owner = await world.signed_up()
    fresh = await world.register("someone.new@example.com")
    decoy = await world.register(name="Mallory", password="mallory's own long password")
    # The same answer as for a new address: a pending challenge, a code to the number typed.
    for registered in (fresh, decoy):
        challenge = registered.challenge
        assert (challenge.status, challenge.purpose, challenge.attempts) == (
            Status.PENDING,
            Purpose.VERIFY_PHONE,
            0,
        )
        assert registered.account_id.startswith("acc_")
    assert decoy.challenge.subject == Decoy()
    assert "code to confirm your mobile number" in world.code_message(decoy.challenge)

    code = world.code(decoy.challenge)
    with pytest.raises(InvalidCode):
        await world.verify(decoy.challenge, wrong(code))
    sessions = len(world.store.tables.sessions)
    with pytest.raises(EmailUnavailable):
        await world.verify(decoy.challenge, code)
    assert world.stored(decoy.challenge).status is Status.APPROVED  # the code is spent
    assert len(world.store.tables.sessions) == sessions  # nobody was signed in
    assert world.account(owner.account.id) == owner.account  # nothing of Mallory's applied
    assert decoy.account_id not in world.store.tables.accounts
    assert len(world.events(EventType.ACCOUNT_REGISTERED)) == 2  # the owner and the fresh one
