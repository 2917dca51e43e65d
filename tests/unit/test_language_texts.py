"""The words of texts, calls and errors in each language (issue 15 point 10): durations as
plurals, the code text's last line the same in every language, a German change keeping its
capitals, errors said in the reader's language with their values."""

from __future__ import annotations

import pytest

from otpgate import i18n
from otpgate.domain.actions import sms_purpose
from otpgate.domain.addresses import address_errors
from otpgate.domain.calls import code_call
from otpgate.domain.cards import card_label, label_in
from otpgate.domain.durations import duration_text
from otpgate.domain.errors import InvalidCode, InvalidInput
from otpgate.domain.language import ENGLISH, Translator
from otpgate.domain.messages import code_message, code_message_fits, sms_segments

DE, FR = i18n.translator("de"), i18n.translator("fr")


@pytest.mark.parametrize(
    ("seconds", "german", "french"),
    [
        (1, "1 Sekunde", "1 seconde"),
        (45, "45 Sekunden", "45 secondes"),
        (60, "1 Minute", "1 minute"),
        (300, "5 Minuten", "5 minutes"),
    ],
)
def test_a_lifetime_in_german_and_french(seconds: int, german: str, french: str) -> None:
    assert duration_text(seconds, words=DE, exact=True) == german
    assert duration_text(seconds, words=FR, exact=True) == french


def test_waits_round_the_same_in_every_language() -> None:
    assert duration_text(5400, words=DE) == "2 Stunden"
    assert duration_text(0, words=FR) == "0 seconde"  # French counts 0 as one
    assert duration_text(29, words=DE, at_least_minutes=True) == "1 Minute"


def test_the_code_text_ends_with_the_origin_bound_line_in_every_language() -> None:
    for words in (DE, FR):
        body = code_message(
            code="402917",
            brand="Shop",
            purpose_text=words.gettext("sign in"),
            ttl_seconds=300,
            host="shop.example",
            words=words,
        )
        first, blank, last = body.split("\n")
        assert (blank, last) == ("", "@shop.example #402917")
        assert first.startswith("402917 ")
        # German and French keep to GSM-7: one segment, like the English text.
        assert sms_segments(body) == 1


def test_a_call_in_german_reads_the_code_twice() -> None:
    call = code_call(code="402917", brand="Shop", purpose_text="Anmelden", words=DE)
    assert call.text.startswith("Hier spricht Shop. Dies ist Ihr Code für: Anmelden. Er lautet: 4.")
    assert call.text.count("4. 0. 2. 9. 1. 7.") == 2
    assert "402917" not in call.redacted and "4." not in call.redacted


def test_a_german_change_keeps_its_capitals_and_a_french_one_reads_on() -> None:
    assert sms_purpose("Passwort ändern", "de") == "Passwort ändern"
    assert sms_purpose("Modifier votre mot de passe", "fr") == "modifier votre mot de passe"
    assert sms_purpose("Change your password") == "change your password"


def test_a_longer_language_can_overflow_where_english_fits() -> None:
    def fits(length: int, words: Translator = ENGLISH) -> bool:
        change = "x" * length
        return code_message_fits(
            change, brand="Shop", host="shop.example", code_length=6, words=words
        )

    longest = max(n for n in range(500) if fits(n))
    assert fits(longest) and not fits(longest + 1)
    # The German sentence around the change is longer: the longest English change won't fit.
    assert not fits(longest, DE)
    assert fits(longest - 20, DE)


def test_a_card_is_named_in_the_readers_language() -> None:
    assert card_label("Visa", "4242") == "Visa ending 4242"
    assert card_label("Visa", "4242", FR) == "Visa se terminant par 4242"
    assert label_in("Diners Club ending 0004", DE) == "Diners Club mit Endziffern 0004"
    assert label_in("something else", DE) == "something else"


def test_an_error_is_said_in_the_readers_language_with_its_values() -> None:
    error = InvalidInput("code", "Enter the %(length)d-digit code from the call.", length=8)
    assert error.detail == "Enter the 8-digit code from the call."  # the API's
    assert error.said(DE) == "Geben Sie den 8-stelligen Code aus dem Anruf ein."
    assert InvalidCode(1).said(FR) == "Ce code n'est pas correct. Il vous reste 1 essai."
    assert InvalidCode(3).detail == "That code is not right. 3 tries left."


def test_an_address_forms_problems_are_said_in_the_pages_language() -> None:
    errors = address_errors({"country": "DE", "postal_code": "1234"})
    assert errors["full_name"].said(DE) == "Geben Sie den Namen des Empfängers ein."
    assert errors["postal_code"].said(DE) == "Das ist keine gültige Postleitzahl für DE."
    assert errors["postal_code"].detail == "That is not a valid postal code for DE."
