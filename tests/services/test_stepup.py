"""Step-up on the fakes: a held change applied exactly once by its own session's code, and
refused when the stored action was altered or its target is gone."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from otpgate.domain.accounts import EventType
from otpgate.domain.challenges import Challenge, Status, StepUp
from otpgate.domain.errors import (
    ChallengeCanceled,
    ChallengeNotFound,
    ChallengeUsed,
    Conflict,
    NotAuthenticated,
)
from otpgate.services.addresses import AddressNotFound
from otpgate.services.approvals import AddressSaved, PasswordChanged
from otpgate.services.principal import Customer
from otpgate.services.signin import CodeRequired
from tests.services.steps import CTX, PASSWORD, World

HOME: dict[str, Any] = {
    "full_name": "Ada Lovelace",
    "line1": "1 Main St",
    "city": "Springfield",
    "region": "IL",
    "postal_code": "62701",
    "country": "US",
}


async def approve(world: World, customer: Customer, challenge: Challenge) -> None:
    await world.verify(challenge, world.code(challenge), session_id=customer.session.id)


async def test_a_change_is_applied_exactly_once(world: World) -> None:
    customer = await world.signed_up()
    challenge = await world.services.addresses.add(customer, CTX, HOME, is_default=False)
    assert challenge.session_id == customer.session.id
    assert 'code to ship to "Ada Lovelace, 1 Main St, Springfield IL 62701, US".' in (
        world.code_message(challenge)
    )
    code = world.code(challenge)
    verified = await world.verify(challenge, code, session_id=customer.session.id)
    assert isinstance(verified.approval.result, AddressSaved)
    assert verified.approval.result.address.is_default  # the first address is the default
    with pytest.raises(ChallengeUsed):
        await world.verify(challenge, code, session_id=customer.session.id)
    addresses = await world.services.addresses.list(customer)
    assert [a.fields.line1 for a in addresses] == ["1 Main St"]
    assert len(world.events(EventType.STEP_UP_APPLIED)) == 1


async def test_an_altered_stored_action_is_refused_and_spends_the_code(world: World) -> None:
    customer = await world.signed_up()
    challenge = await world.services.profile.request_profile_change(
        customer, CTX, name="Grace Hopper", email=None
    )
    # Someone with write access to the table swaps the payload, keeping the hash.
    stored = world.stored(challenge)
    assert isinstance(stored.intent, StepUp)
    altered = replace(stored.intent.action, payload='{"name":"Mallory"}')
    world.store.tables.challenges[challenge.id] = replace(
        stored, intent=replace(stored.intent, action=altered)
    )
    code = world.code(challenge)
    with pytest.raises(Conflict):
        await world.verify(challenge, code, session_id=customer.session.id)
    assert world.account(customer.account.id).name == "Ada Lovelace"
    assert world.stored(challenge).status is Status.CANCELED
    with pytest.raises(ChallengeCanceled):
        await world.verify(challenge, code, session_id=customer.session.id)
    assert [e.outcome for e in world.events(EventType.STEP_UP_REFUSED)] == ["conflict"]


async def test_only_the_session_that_asked_may_answer(world: World) -> None:
    customer = await world.signed_up()
    started = await world.sign_in()
    assert isinstance(started, CodeRequired)
    other = await world.customer(
        await world.verify(started.challenge, world.code(started.challenge))
    )
    challenge = await world.services.profile.request_profile_change(
        customer, CTX, name="Grace Hopper", email=None
    )
    code = world.code(challenge)
    with pytest.raises(ChallengeNotFound):
        await world.verify(challenge, code, session_id=other.session.id)
    with pytest.raises(NotAuthenticated):
        await world.verify(challenge, code)
    with pytest.raises(ChallengeNotFound):
        await world.services.challenges.get(challenge.id, other.session.id)
    assert world.stored(challenge).attempts == 0  # refused before any attempt was spent
    await world.verify(challenge, code, session_id=customer.session.id)
    assert world.account(customer.account.id).name == "Grace Hopper"


async def test_a_change_whose_target_is_gone_is_canceled_and_its_code_spent(world: World) -> None:
    customer = await world.signed_up()
    await approve(world, customer, await world.services.addresses.add(customer, CTX, HOME, False))
    [address] = await world.services.addresses.list(customer)
    edit = await world.services.addresses.update(
        customer, CTX, address.id, {"line1": "2 Other St"}, None
    )
    assert isinstance(edit, Challenge)
    removal = await world.services.addresses.delete(customer, CTX, address.id)
    await approve(world, customer, removal)
    assert await world.services.addresses.list(customer) == []

    code = world.code(edit)
    with pytest.raises(AddressNotFound):
        await world.verify(edit, code, session_id=customer.session.id)
    stored = world.stored(edit)
    assert (stored.status, stored.attempts) == (Status.CANCELED, 1)
    with pytest.raises(ChallengeCanceled):
        await world.verify(edit, code, session_id=customer.session.id)
    assert await world.services.addresses.list(customer) == []  # nothing was re-created
    assert [e.outcome for e in world.events(EventType.STEP_UP_REFUSED)] == ["address_not_found"]


async def test_a_password_change_signs_everyone_out_and_keeps_no_hash(world: World) -> None:
    customer = await world.signed_up()
    new_password = "another correct horse, stapled"
    challenge = await world.services.profile.request_password_change(
        customer, CTX, current=PASSWORD, new=new_password
    )
    verified = await world.verify(challenge, world.code(challenge), session_id=customer.session.id)
    assert verified.approval.result == PasswordChanged(signed_out_sessions=0, forgotten_devices=0)
    assert verified.approval.signed_in is not None
    stored = world.stored(challenge)
    assert stored.action is not None and stored.action.payload == "{}"  # scrubbed on approval
    assert await world.services.sessions.authenticate(verified.approval.signed_in.issued.token)
    assert world.store.tables.sessions[customer.session.id].value.revoked_at is not None
    assert isinstance(await world.sign_in(password=new_password), CodeRequired)
