"""The verification API's use cases on the in-memory fakes (services/verifications.py): what
the HTTP tests in tests/api/test_verifications.py check, in milliseconds and without a
database — an Idempotency-Key answers the first verification and sends nothing new, other
details end a verification before any code is compared (S46), the right code with the same
details yields an ES256 approval token bound to them."""

from __future__ import annotations

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from otpgate.adapters.jose import JoserfcEs256
from otpgate.adapters.sealing import AesGcmSealer
from otpgate.domain.challenges import Status
from otpgate.domain.errors import DetailsMismatch, IdempotencyKeyReused, InvalidCode
from otpgate.domain.verifications import canonical_details, details_sha256
from otpgate.services.principal import ApiClient
from otpgate.services.verifications import NewVerification
from tests.fakes.ports import code_of, make_services
from tests.services.steps import CTX, World, wrong

PAYMENT = {"amount": "1250.00", "currency": "EUR", "payee": "ACME GmbH"}
SHOP = ApiClient(key_id="key_shop", name="checkout", scopes=frozenset({"verify"}))


@pytest.fixture
def world() -> World:
    services, fakes = make_services(
        sealer=AesGcmSealer(b"s" * 32), jose=JoserfcEs256(), brand="Shop"
    )
    return World(services, fakes)


def texts(world: World) -> list[str]:
    return [message.body for message in world.fakes.dispatcher.submitted]


async def test_an_idempotency_key_answers_the_first_verification_and_texts_once(
    world: World,
) -> None:
    new = NewVerification(to="+14155552671", summary="Pay €1,250.00", details=PAYMENT)
    service = world.services.verifications
    first = await service.create(SHOP, new, CTX, idempotency_key="order-42")
    again = await service.create(SHOP, new, CTX, idempotency_key="order-42")
    assert not first.replayed and again.replayed
    assert again.verification.id == first.verification.id
    assert len(texts(world)) == 1
    other_body = NewVerification(to="+14155552671", summary="Pay €9,999.00", details=PAYMENT)
    with pytest.raises(IdempotencyKeyReused):
        await service.create(SHOP, other_body, CTX, idempotency_key="order-42")
    assert len(texts(world)) == 1


async def test_other_details_end_the_verification_before_any_code_is_compared(
    world: World,
) -> None:
    service = world.services.verifications
    created = await service.create(SHOP, NewVerification(to="+14155552671", details=PAYMENT), CTX)
    code = code_of(texts(world)[-1])
    with pytest.raises(DetailsMismatch):
        await service.check(SHOP, created.verification.id, code, {**PAYMENT, "amount": "1.00"}, CTX)
    ended = await service.get(SHOP, created.verification.id)
    assert ended.status is Status.CANCELED and ended.attempts == 0


async def test_the_right_code_with_the_same_details_yields_a_token_bound_to_them(
    world: World,
) -> None:
    service = world.services.verifications
    created = await service.create(SHOP, NewVerification(to="+14155552671", details=PAYMENT), CTX)
    code = code_of(texts(world)[-1])
    with pytest.raises(InvalidCode):
        await service.check(SHOP, created.verification.id, wrong(code), PAYMENT, CTX)
    checked = await service.check(SHOP, created.verification.id, code, PAYMENT, CTX)
    assert checked.verification.status is Status.APPROVED
    keyset = KeySet.import_key_set(await world.services.signer.jwks())
    claims = jwt.decode(checked.approval_token, keyset, algorithms=["ES256"]).claims
    assert claims["aud"] == "key_shop"
    assert claims["details_sha256"] == details_sha256(canonical_details(PAYMENT))
