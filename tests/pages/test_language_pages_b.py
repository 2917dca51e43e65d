"""Issue 15, point 10: what a German or French reader sees on Login & security, the address
and card forms, the recovery pages and an app's consent page, errors and country lists
included (English is what every other page test reads)."""

from __future__ import annotations

import re
from html import unescape

import pytest

from otpgate.domain.passwords import MIN_PASSWORD_LENGTH
from otpgate.web.pages.countries import collation_key
from tests.harness import Harness
from tests.pages.conftest import Visitor, alerts, token_in
from tests.pages.oidc_steps import register_rp
from tests.pages.steps import ADDRESS, CARD, RELAXED, approve, assert_redirect, heading
from tests.texts import text_of

OPTION = re.compile(r'<option value="([A-Z]{2})"[^>]*>([^<]+)</option>')


@pytest.fixture
async def h(make_harness) -> Harness:  # type: ignore[no-untyped-def]
    harness: Harness = await make_harness(**RELAXED)
    return harness


def options(html: str, select: str) -> list[tuple[str, str]]:
    """(code, shown name) of every country in the ``<select id=select>``."""
    match = re.search(rf'<select[^>]*id="{select}".*?</select>', html, re.S)
    assert match, f"no <select id={select}>"
    return [(code, unescape(name)) for code, name in OPTION.findall(match.group(0))]


async def choose(visitor: Visitor, language: str, page: str) -> None:
    """Pick ``language`` with the footer's picker on ``page``, as a person would."""
    token = await visitor.token(page)
    chosen = await visitor.post(
        "/language", {"csrf_token": token, "language": language, "next": page}
    )
    assert_redirect(chosen, page)


async def test_login_and_security_in_german_and_french(visitor: Visitor) -> None:
    await visitor.signed_up("ada@example.com")
    visitor.client.headers["accept-language"] = "de-DE,de;q=0.9"
    page = await visitor.get("/account/security")
    assert page.status_code == 200
    assert heading(page.text) == "Anmeldung & Sicherheit"
    text = text_of(page.text)
    for words in (
        "Anmeldemethoden",
        "Textnachricht (SMS)",
        "SMS sind die schwächste dieser Methoden",
        "Authenticator-App hinzufügen",
        f"Mindestens {MIN_PASSWORD_LENGTH} Zeichen.",
        "Mobilnummer ändern",
    ):
        assert words in text, words
    assert '<option value="FR">Frankreich (+33)</option>' in page.text
    assert "Sign-in methods" not in text and "Change mobile number" not in text

    await choose(visitor, "fr", "/account/security")  # the picker outranks the browser
    page = await visitor.get("/account/security")
    assert heading(page.text) == "Connexion et sécurité"
    text = text_of(page.text)
    assert "Modes de connexion" in text and "Changer de numéro de mobile" in text
    assert '<option value="DE">Allemagne (+49)</option>' in page.text
    # A form's own error, in the reader's language.
    refused = await visitor.submit(
        "/account/security", "/account/security/password", current_password="", new_password="x"
    )
    assert refused.status_code == 422
    assert "Saisissez votre mot de passe actuel." in alerts(refused.text)


async def test_the_address_form_and_its_errors_in_german(h: Harness, visitor: Visitor) -> None:
    await visitor.signed_up("ada@example.com")
    visitor.client.headers["accept-language"] = "de"
    form = await visitor.get("/account/addresses/new")
    assert heading(form.text) == "Adresse hinzufügen"
    text = text_of(form.text)
    assert "Postleitzahl" in text and "Lieferhinweise" in text and "Land wählen" in text
    refused = await visitor.submit(
        "/account/addresses/new",
        "/account/addresses",
        **{**ADDRESS, "postal_code": "ABC", "city": " "},
    )
    assert refused.status_code == 422
    assert alerts(refused.text) == [
        "Geben Sie den Ort ein.",
        "Das ist keine gültige Postleitzahl für US.",
    ]
    assert await h.scalar("SELECT count(*) FROM challenges WHERE purpose = 'step_up'") == 0


async def test_the_country_list_is_in_german_sorted_as_a_german_reader_expects(
    visitor: Visitor,
) -> None:
    await visitor.signed_up("ada@example.com")
    english = options((await visitor.get("/account/addresses/new")).text, "country")
    assert ("US", "United States") in english and ("DE", "Germany") in english
    visitor.client.headers["accept-language"] = "de"
    german = options((await visitor.get("/account/addresses/new")).text, "country")
    names = dict(german)
    assert names["DE"] == "Deutschland" and names["US"] == "Vereinigte Staaten"
    assert names["AT"] == "Österreich" and names["HK"] == "Hongkong"
    assert len(german) == len(english)
    shown = [name for _code, name in german]
    assert shown == sorted(shown, key=collation_key)
    # Umlauts sort with their plain letters (not after Z, as code points would put them).
    assert shown.index("Afghanistan") < shown.index("Ägypten") < shown.index("Albanien")
    assert shown.index("Oman") < shown.index("Österreich") < shown.index("Pakistan")


async def test_the_card_form_and_the_card_list_in_french(h: Harness, visitor: Visitor) -> None:
    phone = await visitor.signed_up("ada@example.com")
    await choose(visitor, "fr", "/account/payments/new")
    form = await visitor.get("/account/payments/new")
    assert heading(form.text) == "Ajouter une carte"
    text = text_of(form.text)
    for words in ("Numéro de carte", "Mois d'expiration", "Nom sur la carte", "Mois", "Année"):
        assert words in text, words
    assert "Ajouter une adresse pour l'utiliser comme adresse de facturation." in text
    refused = await visitor.submit(
        "/account/payments/new",
        "/account/payments",
        **{**CARD, "number": "4242 4242 4242 4241", "exp_month": ""},
    )
    assert refused.status_code == 422
    assert alerts(refused.text) == [
        "Ce numéro de carte n'est pas valide ; vérifiez les chiffres.",
        "Choisissez le mois d'expiration.",
    ]
    sent = await visitor.submit("/account/payments/new", "/account/payments", **CARD)
    assert_redirect(sent, "/verify")
    listed = await approve(visitor, phone, "/account/payments")
    assert "La carte est ajoutée." in listed
    assert "Visa se terminant par 4242, expire fin 08/45" in listed
    assert "Par défaut" in listed


async def test_the_recovery_pages_in_french_and_german(visitor: Visitor) -> None:
    await visitor.signed_up("ada@example.com")
    await visitor.sign_out()
    signed_in = await visitor.sign_in("ada@example.com")
    assert_redirect(signed_in, "/verify")
    visitor.client.headers["accept-language"] = "fr-FR"
    page = await visitor.get("/recovery")
    assert page.status_code == 200
    assert heading(page.text) == "Récupérer votre compte"
    text = text_of(page.text)
    assert "Vous avez un code de secours ?" in text
    assert "Recevoir un lien de récupération par e-mail" in text
    visitor.client.headers["accept-language"] = "de"
    gone = await visitor.get("/recovery/start?token=nope")
    assert gone.status_code == 404
    assert heading(gone.text) == "Dieser Link kann nicht verwendet werden"


async def test_an_apps_consent_page_in_german(h: Harness, visitor: Visitor) -> None:
    await visitor.signed_up("ada@example.com")
    rp = await register_rp(h, consent=True)
    url, _state, _verifier = rp.authorization()
    visitor.client.headers["accept-language"] = "de"
    page = await visitor.client.get(url)
    assert page.status_code == 200
    assert heading(page.text) == "Darf Storefront Sie anmelden?"
    text = text_of(page.text)
    assert "Storefront erhält diese Angaben:" in text
    for words in ("Ihr Name", "Ihre E-Mail-Adresse", "Ihre Mobilnummer", "Nicht zulassen"):
        assert words in text, words
    # The decision is a machine value, whatever the language.
    assert 'name="decision" value="allow">Zulassen</button>' in page.text
    denied = await visitor.post(
        "/oauth/consent", {"csrf_token": token_in(page.text), "decision": "deny"}
    )
    assert denied.status_code == 200  # a page that moves on to the app by itself
    assert "Sie werden zur App zurückgeleitet" in text_of(denied.text)
