"""Issue 15, point 10: what a German or French reader sees on the sign-in, code, limit, error
and account pages: the page's own words, the words the page code makes (a wrong password,
the tries left, a limit's end, the activity rows, a browser's name) and the words app.js
counts down with, all from the catalogue."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from typing import Any

import pytest
from starlette.requests import Request

from otpgate import i18n
from otpgate.web.pages.errors import render_error
from tests.harness import Harness
from tests.pages.conftest import Visitor, alerts
from tests.pages.steps import RELAXED, heading
from tests.texts import text_of, wrong_code

GERMAN = {"accept-language": "de-DE,de;q=0.9,en;q=0.5"}
ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)


def hint(html: str) -> str:
    match = re.search(r'<p class="field__hint" id="code-hint">(.*?)</p>', html, re.S)
    assert match, "no tries-left hint on the code page"
    return text_of(match.group(1))


def attribute(html: str, name: str) -> str:
    match = re.search(rf'{name}="([^"]*)"', html)
    assert match, f"no {name} in the page"
    return unescape(match.group(1))


def speaks(visitor: Visitor, language: str) -> None:
    """The visitor's browser asks for ``language`` (German by its header, French by the
    picker's cookie: both ways the middleware reads)."""
    if language == "de":
        visitor.client.headers.update(GERMAN)
    else:
        name = "__Host-otpgate_lang" if visitor.h.settings.is_https else "otpgate_lang"
        visitor.client.cookies.set(name, language)


@pytest.fixture
async def h(make_harness: Callable[..., Any]) -> Harness:
    # Enough wrong codes to count the tries down to one before the account's codes pause.
    harness: Harness = await make_harness(**RELAXED, code_failure_streak_limit=10)
    return harness


@pytest.mark.parametrize(
    ("language", "title", "wrong"),
    [
        ("de", "Anmelden", "Ihre E-Mail-Adresse oder Ihr Passwort ist falsch"),
        ("fr", "Se connecter", "Votre e-mail ou votre mot de passe est incorrect"),
    ],
)
async def test_a_wrong_password_is_said_in_the_readers_language(
    h: Harness, visitor: Visitor, language: str, title: str, wrong: str
) -> None:
    await visitor.signed_up("ada@example.com")
    await visitor.sign_out()
    speaks(visitor, language)
    refused = await visitor.sign_in("ada@example.com", password="not the password at all")
    assert refused.status_code == 401
    assert f'<html lang="{language}">' in refused.text
    assert heading(refused.text) == title
    assert alerts(refused.text) == [wrong]


@pytest.mark.parametrize(
    ("language", "eyebrow", "four", "one", "digits"),
    [
        (
            "de",
            "Anmelden · Schritt 2 von 2",
            ("Dieser Code ist nicht richtig. Noch 4 Versuche.", "Noch 4 Versuche."),
            ("Dieser Code ist nicht richtig. Noch 1 Versuch.", "Noch 1 Versuch."),
            "Der Code hat 6 Ziffern.",
        ),
        (
            "fr",
            "Connexion · étape 2 sur 2",
            ("Ce code n'est pas correct. Encore 4 essais.", "Encore 4 essais."),
            ("Ce code n'est pas correct. Encore 1 essai.", "Encore 1 essai."),
            "Le code comporte 6 chiffres.",
        ),
    ],
)
async def test_the_code_page_counts_the_tries_left_in_the_readers_plural(
    h: Harness,
    visitor: Visitor,
    language: str,
    eyebrow: str,
    four: tuple[str, str],
    one: tuple[str, str],
    digits: str,
) -> None:
    phone = await visitor.signed_up("ada@example.com")
    await visitor.sign_out()
    speaks(visitor, language)
    await visitor.sign_in("ada@example.com")
    page = await visitor.get("/verify")
    assert eyebrow in page.text
    assert digits in text_of(page.text)
    wrong = wrong_code(await h.last_code(phone))
    said = await visitor.shown(await visitor.enter_code(wrong))
    assert alerts(said.text) == [four[0]]
    assert hint((await visitor.get("/verify")).text) == four[1]  # a reload: the hint says it
    for _ in range(3):
        said = await visitor.shown(await visitor.enter_code(wrong))
    assert alerts(said.text) == [one[0]]
    assert hint((await visitor.get("/verify")).text) == one[1]


async def test_the_code_page_gives_app_js_its_words(h: Harness, visitor: Visitor) -> None:
    """The countdowns app.js runs are worded by the page: it only fills in the number."""
    phone = await visitor.signed_up("ada@example.com")
    await visitor.sign_out()
    speaks(visitor, "de")
    await visitor.sign_in("ada@example.com")
    page = (await visitor.get("/verify")).text
    assert heading(page).startswith("Geben Sie den Code ein, den wir an ")
    assert heading(page).endswith(f"{phone[-2:]} gesendet haben")
    assert attribute(page, "data-countdown-done") == (
        "Keine SMS erhalten? Fordern Sie einen neuen Code an."
    )
    assert attribute(page, "data-second-one") == "{n} Sekunde"
    assert attribute(page, "data-second-other") == "{n} Sekunden"
    assert attribute(page, "data-minute-other") == "{n} Minuten"
    assert "Keine SMS erhalten? In 30 Sekunden können Sie einen neuen Code anfordern." in (
        text_of(page)
    )
    # A service's own rule, shown on the page in German (shown(exc)).
    short = await visitor.shown(await visitor.enter_code("12"))
    assert alerts(short.text) == ["Geben Sie den 6-stelligen Code aus der SMS ein."]


async def test_a_limit_is_said_in_german_with_its_time(
    make_harness: Callable[..., Any], make_visitor: Callable[..., Visitor]
) -> None:
    h: Harness = await make_harness(limit_password_account="1/hour")
    visitor = make_visitor(h)
    await visitor.signed_up("ada@example.com")
    await visitor.sign_out()
    speaks(visitor, "de")
    await visitor.sign_in("ada@example.com")  # the account's one password try this hour
    visitor.client.cookies.clear()  # a fresh browser, still German
    refused = await visitor.sign_in("ada@example.com")
    assert refused.status_code == 429
    said = re.search(
        r"Es gab zu viele Passwortversuche\. Sie können es um (\d\d:\d\d) UTC erneut versuchen\.",
        text_of(refused.text),
    )
    assert said, text_of(refused.text)
    # The time is a <time> app.js shows in the browser's zone (and language).
    assert f'data-local="time">{said.group(1)} UTC</time>' in refused.text


async def test_the_limit_page_no_page_caught_speaks_french(h: Harness) -> None:
    request = Request({"type": "http", "method": "GET", "path": "/x", "headers": [], "app": h.app})
    token = i18n.activate("fr")
    try:
        page = render_error(request, 429, headers={"Retry-After": "600"})
    finally:
        i18n.deactivate(token)
    text = text_of(page.body.decode())
    assert page.status_code == 429
    assert '<html lang="fr">' in page.body.decode()
    assert "Merci de patienter un peu" in text
    assert "Vous pourrez réessayer à " in text and "Rien n'a été modifié." in text
    assert "Aller à la page d'accueil" in text


@pytest.mark.parametrize(
    ("language", "method", "status", "title", "words"),
    [
        ("de", "GET", 404, "Seite nicht gefunden", ("Fehler 404", "Zur Startseite")),
        ("fr", "GET", 404, "Page introuvable", ("Erreur 404", "Aller à la page d'accueil")),
        ("de", "DELETE", 405, "Das funktioniert hier nicht", ("Fehler 405", "Startseite")),
    ],
)
async def test_an_error_page_speaks_the_readers_language(
    visitor: Visitor, language: str, method: str, status: int, title: str, words: tuple[str, ...]
) -> None:
    speaks(visitor, language)
    page = await visitor.client.request(method, "/no-such-page" if status == 404 else "/signin")
    assert page.status_code == status
    assert f'<html lang="{language}">' in page.text
    assert heading(page.text) == title
    for word in words:
        assert word in text_of(page.text)


async def test_an_api_error_on_a_page_falls_back_to_the_readers_generic_words(
    h: Harness,
) -> None:
    """An error's English detail that no catalogue has is never shown in a German page: the
    status's own words are, in German."""
    request = Request({"type": "http", "method": "GET", "path": "/x", "headers": [], "app": h.app})
    token = i18n.activate("de")
    try:
        page = render_error(request, 404, "No such thing", "The thing id is not known here.")
    finally:
        i18n.deactivate(token)
    text = text_of(page.body.decode())
    assert "Seite nicht gefunden" in text and "No such thing" not in text


@pytest.mark.parametrize(
    ("language", "rows", "summary", "browser"),
    [
        (
            "de",
            ("Mobilnummer bestätigt", "Konto erstellt", "Abgemeldet", "Code per SMS gesendet"),
            'Was geschah<span class="visually-hidden">: 2 Schritte',
            "Chrome auf Android",
        ),
        (
            "fr",
            ("Numéro de mobile confirmé", "Compte créé", "Déconnecté", "Code envoyé par SMS"),
            'Ce qui s\'est passé<span class="visually-hidden">: 2 étapes',
            "Chrome sur Android",
        ),
    ],
)
async def test_the_activity_rows_and_devices_speak_the_readers_language(
    h: Harness,
    visitor: Visitor,
    language: str,
    rows: tuple[str, ...],
    summary: str,
    browser: str,
) -> None:
    visitor.client.headers["user-agent"] = ANDROID_CHROME
    phone = await visitor.signed_up("ada@example.com")
    await visitor.sign_out()
    await visitor.sign_in("ada@example.com")
    await visitor.enter_code(await h.last_code(phone))
    speaks(visitor, language)
    page = await visitor.get("/account/activity")
    assert page.status_code == 200
    texts = [
        text_of(text) for text in re.findall(r'class="activity__text">(.*?)</span>', page.text)
    ]
    steps = [  # "Code sent by text message · 1 Dec 2026, 16:46 UTC": the words before the time
        text_of(s).split(" · ")[0]
        for s in re.findall(r'class="activity__step">(.*?)</li>', page.text)
    ]
    for row in rows:
        assert row in texts + steps, (row, texts, steps)
    # A row's steps, asked for by a <summary> (its count said to a screen reader).
    assert f"<summary>{summary}</span></summary>" in page.text
    devices = await visitor.get("/account/devices")
    assert f'<p class="row__title">{browser} <span' in devices.text  # this browser, named
