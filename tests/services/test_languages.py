"""Issue 15, point 10: an account's texts and mail are written in its language, whatever
language the browser that caused them speaks; the verification API's in the shop's locale.
Every code text keeps its origin-bound last line (``@host #code``), and a change whose German
text would not fit in three SMS segments is refused, never cut (S42)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from otpgate import i18n
from otpgate.adapters.jose import JoserfcEs256
from otpgate.adapters.sealing import AesGcmSealer
from otpgate.domain.actions import ActionType
from otpgate.domain.errors import ChangeTooLong
from otpgate.services.approvals import VerifyRequest
from otpgate.services.ports import OutgoingMessage, RequestContext
from otpgate.services.principal import ApiClient, Customer
from otpgate.services.signin import CodeRequired
from otpgate.services.verifications import NewVerification
from tests.email.mailbox import token_of
from tests.fakes.ports import code_of, make_services
from tests.services.steps import CTX, PASSWORD, World

SHOP = ApiClient(key_id="key_shop", name="checkout", scopes=frozenset({"verify"}))
HOST = "shop.example"
# The origin-bound line every code text ends with, in every language (S7).
ORIGIN_LINE = rf"\n\n@{HOST} #\d{{6}}$"


def ctx(language: str) -> RequestContext:
    return RequestContext(ip=CTX.ip, user_agent=CTX.user_agent, language=language)


@pytest.fixture
def world() -> World:
    services, fakes = make_services(
        sealer=AesGcmSealer(b"s" * 32),
        jose=JoserfcEs256(),
        brand="Shop",
        host=HOST,
        base_url=f"https://{HOST}",
    )
    return World(services, fakes)


async def customer_in(world: World, language: str, email: str = "ada@example.com") -> Customer:
    """An account made from a browser in ``language``, its number confirmed and signed in."""
    registered = await world.services.registration.register(
        name="Ada Lovelace",
        email=email,
        password=PASSWORD,
        phone=world.new_phone(),
        ctx=ctx(language),
    )
    verified = await world.verify(registered.challenge, world.code(registered.challenge))
    return await world.customer(verified)


def texts_to(world: World, phone: str) -> list[str]:
    return [m.body for m in world.fakes.dispatcher.to(phone)]


def mails_to(world: World, address: str) -> list[dict[str, Any]]:
    sent: list[OutgoingMessage] = world.fakes.dispatcher.submitted
    return [json.loads(m.body) for m in sent if m.channel == "email" and m.to == address]


async def test_a_german_accounts_sign_in_text_is_german_whatever_the_browser_speaks(
    world: World,
) -> None:
    customer = await customer_in(world, "de")
    assert world.account(customer.account.id).language == "de"
    started = await world.services.signin.start(
        email="ada@example.com", password=PASSWORD, ctx=ctx("fr")
    )
    assert isinstance(started, CodeRequired)
    assert started.challenge.language == "de"
    body = world.code_message(started.challenge)
    code = code_of(body)
    assert body == (
        f"{code} ist Ihr Shop-Code für: Anmelden. Er ist 5 Minuten gültig. "
        f"Geben Sie ihn nie weiter.\n\n@{HOST} #{code}"
    )


async def test_a_resend_keeps_the_language_of_the_first_text(world: World) -> None:
    customer = await customer_in(world, "de")
    started = await world.services.signin.start(email="ada@example.com", password=PASSWORD, ctx=CTX)
    assert isinstance(started, CodeRequired)
    # The owner switches the site to French meanwhile: the code already on its way is German.
    await world.services.profile.set_language(customer, "fr")
    world.clock.advance(30)
    await world.services.challenges.resend(started.challenge.id, ctx("en"))
    texts = [t for t in texts_to(world, customer.account.phone) if "Anmelden" in t]
    assert len(texts) == 2
    assert texts[0] != texts[1]  # a new code, the same words
    assert texts[1].startswith(f"{code_of(texts[1])} ist Ihr Shop-Code für: Anmelden.")


async def test_an_account_without_a_language_is_written_to_in_the_requests(
    world: World,
) -> None:
    """An account from before migration 0011 stored no language."""
    customer = await customer_in(world, "en")
    tables = world.store.tables
    tables.accounts[customer.account.id] = replace(
        tables.accounts[customer.account.id], language=None
    )
    started = await world.services.signin.start(
        email="ada@example.com", password=PASSWORD, ctx=ctx("fr")
    )
    assert isinstance(started, CodeRequired)
    assert world.code_message(started.challenge).startswith(
        f"{world.code(started.challenge)} est votre code Shop pour vous connecter. "
    )


async def test_a_step_up_text_names_the_change_in_german_and_stores_it_in_english(
    world: World,
) -> None:
    customer = await customer_in(world, "de")
    challenge = await world.services.profile.request_profile_change(
        customer, CTX, name="Ada King", email=None
    )
    body = world.code_message(challenge)
    code = code_of(body)
    assert body == (
        f'{code} ist Ihr Shop-Code für: Namen in "Ada King" ändern. Er ist 5 Minuten gültig. '
        f"Geben Sie ihn nie weiter.\n\n@{HOST} #{code}"
    )
    # What is stored (the activity, the API, the hash) stays the English summary.
    assert challenge.action is not None
    assert challenge.action.summary == 'Change your name to "Ada King"'


async def test_a_new_number_gets_its_code_and_the_old_one_its_notice_in_german(
    world: World,
) -> None:
    customer = await customer_in(world, "de")
    old = customer.account.phone
    new = world.new_phone()
    first = await world.services.profile.request_phone_change(customer, CTX, new)
    assert f"für: Mobilnummer in {new} ändern." in world.code_message(first)
    approved = await world.verify(first, world.code(first), session_id=customer.session.id)
    second = approved.approval.next_challenge
    assert second is not None and second.language == "de"
    assert "für: Neue Mobilnummer bestätigen." in world.code_message(second)
    await world.verify(second, world.code(second), session_id=customer.session.id)
    notice = texts_to(world, old)[-1]
    assert notice.startswith("Die Mobilnummer Ihres Shop-Kontos wurde in ")
    assert notice.endswith("Falls Sie das nicht waren, wenden Sie sich sofort an uns.")


async def test_a_french_accounts_mail_is_french(world: World) -> None:
    customer = await customer_in(world, "fr")
    confirm = mails_to(world, "ada@example.com")
    assert [m["subject"] for m in confirm] == ["Confirmez votre adresse e-mail pour Shop"]
    assert "Le lien ne fonctionne qu'une fois, pendant 24 heures." in confirm[0]["text"]
    link = token_of(confirm[0], "/email/confirm")
    await world.services.mail.confirm(link, ctx("de"))  # whoever opens it
    challenge = await world.services.profile.request_profile_change(
        customer, ctx("en"), name="Ada King", email=None
    )
    await world.verify(challenge, world.code(challenge), session_id=customer.session.id)
    notice = mails_to(world, "ada@example.com")[-1]
    assert notice["subject"] == "Votre compte Shop a été modifié"
    assert (
        'Cette modification a été apportée à votre compte Shop : Modifier votre nom en "Ada King".'
        in notice["text"]
    )
    assert (
        "Vérifier vos paramètres de sécurité: https://shop.example/account/security"
        in (notice["text"])
    )


async def test_a_new_sign_in_mail_has_the_date_in_the_accounts_language(world: World) -> None:
    customer = await customer_in(world, "de")
    link = token_of(mails_to(world, "ada@example.com")[0], "/email/confirm")
    await world.services.mail.confirm(link, CTX)
    started = await world.services.signin.start(
        email="ada@example.com", password=PASSWORD, ctx=ctx("en")
    )
    assert isinstance(started, CodeRequired)
    # An English browser never seen before signs in.
    other = RequestContext(ip="198.51.100.4", user_agent="Firefox/200", language="en")
    code = world.code(started.challenge)
    await world.services.verifier.verify(VerifyRequest(started.challenge.id, code, False, other))
    notice = mails_to(world, customer.account.email)[-1]
    assert notice["subject"] == "Neue Anmeldung bei Ihrem Shop-Konto"
    when = i18n.format_moment(world.clock.now(), "de")
    assert "Jan." in when  # Babel's German month, not the English "Jan"
    assert f"Bei Ihrem Shop-Konto hat sich am {when} jemand mit einem Browser" in notice["text"]
    assert "Firefox/200 (Adresse 198.51.100.4)" in notice["text"]


@pytest.mark.parametrize(
    ("locale", "start"),
    [
        ("fr", '{code} est votre code Shop pour "Payer 12 €". Il expire dans 5 minutes.'),
        ("de-AT", '{code} ist Ihr Shop-Code für: "Payer 12 €". Er ist 5 Minuten gültig.'),
        ("pt-BR", '{code} is your Shop code to "Payer 12 €". It expires in 5 minutes.'),
        (None, '{code} is your Shop code to "Payer 12 €". It expires in 5 minutes.'),
    ],
)
async def test_the_verification_api_writes_in_the_shops_locale(
    world: World, locale: str | None, start: str
) -> None:
    new = NewVerification(to="+14155552671", summary="Payer 12 €", locale=locale)
    await world.services.verifications.create(SHOP, new, ctx("de"))
    body = texts_to(world, "+14155552671")[-1]
    assert body.startswith(start.format(code=code_of(body)))


async def test_a_verification_to_an_account_without_a_locale_is_in_its_language(
    world: World,
) -> None:
    customer = await customer_in(world, "fr")
    neutral = NewVerification(account_id=customer.account.id)
    await world.services.verifications.create(SHOP, neutral, CTX)
    body = texts_to(world, customer.account.phone)[-1]
    assert body.startswith(f"{code_of(body)} est votre code Shop pour confirmer qu'il s'agit bien")
    chosen = NewVerification(account_id=customer.account.id, locale="de-CH")
    await world.services.verifications.create(SHOP, chosen, CTX)
    assert "für: Identität bestätigen." in texts_to(world, customer.account.phone)[-1]


def address(instructions: str) -> dict[str, str]:
    return {
        "full_name": "Ada Lovelace",
        "line1": "1 Main St",
        "city": "Springfield",
        "region": "IL",
        "postal_code": "62701",
        "country": "US",
        "label": "Home",
        "instructions": instructions,
    }


def fits_in_english_only(world: World) -> dict[str, str]:
    """Delivery instructions just long enough that the German text of the new address takes
    more than three segments while the English one still fits."""
    stepup = world.services.stepup
    for length in range(100, 500):
        values = address("x" * length)
        payload = {"fields": {**address(""), **values, "line2": "", "phone": ""}}
        payload.update(is_default=False, first=False)
        try:
            stepup.action(ActionType.ADD_ADDRESS, payload, "de")
        except ChangeTooLong:
            stepup.action(ActionType.ADD_ADDRESS, payload, "en")  # still fits in English
            return values
    raise AssertionError("no length fits in English only")


async def test_a_change_too_long_for_a_german_text_is_refused_not_cut(world: World) -> None:
    values = fits_in_english_only(world)
    german = await customer_in(world, "de")
    sent = len(world.fakes.dispatcher.submitted)
    with pytest.raises(ChangeTooLong):
        await world.services.addresses.add(german, CTX, values, is_default=False)
    assert len(world.fakes.dispatcher.submitted) == sent  # nothing counted or sent
    # The same address from an English account fits, and its text names all of it.
    english = await customer_in(world, "en", email="bob@example.com")
    challenge = await world.services.addresses.add(english, CTX, values, is_default=False)
    assert values["instructions"] in world.code_message(challenge)
