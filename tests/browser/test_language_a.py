"""Issue 15, point 10, in a German browser: what app.js writes into the pages (the password
toggle and strength hint, the code's lifetime and the resend countdown) is German too. The
script takes its words from the page and only fills in the numbers."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import new_context
from tests.browser.journey import PASSWORD
from tests.browser.server import Server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(browser: Browser) -> Iterator[Server]:
    with Server(OTPGATE_RESEND_COOLDOWN_SECONDS="5") as running:
        yield running


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A browser set to German: it sends Accept-Language: de-DE."""
    context = new_context(browser, locale="de-DE")
    yield context
    context.close()


def test_app_js_speaks_the_pages_language(page: Page, server: Server) -> None:
    phone = server.new_phone()
    page.clock.install()  # the countdowns move when the test says, never by waiting
    page.goto(f"{server.url}/register")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.get_by_label("Ihr Name").fill("Ada Lovelace")
    page.get_by_label("E-Mail", exact=True).fill("ada@example.com")
    page.get_by_label("Mobilnummer").fill(phone)
    password = page.get_by_label("Passwort", exact=True)
    password.fill("short")
    expect(page.locator(".strength")).to_have_text("Zu kurz: Verwenden Sie mindestens 8 Zeichen.")
    password.fill(PASSWORD)
    expect(page.locator(".strength")).to_have_text("Sieht sicher aus.")
    toggle = page.get_by_role("button", name="Anzeigen (Passwort)")
    toggle.click()
    expect(page.get_by_role("button", name="Verbergen (Passwort)")).to_be_visible()
    page.get_by_role("button", name="Konto erstellen").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"Geben Sie den Code ein, den wir an \+1 .* gesendet haben")
    )
    status = page.locator("#resend-status")
    expect(status).to_have_text(
        re.compile(r"Keine SMS erhalten\? In [1-5] Sekunden? können Sie einen neuen Code")
    )
    # The countdown ends in the page's words, and wakes the button.
    page.clock.run_for(6_000)
    expect(status).to_have_text("Keine SMS erhalten? Fordern Sie einen neuen Code an.")
    expect(page.get_by_role("button", name="Code erneut senden")).to_be_enabled()
    # The code's lifetime, counted down by the script in German ("5 Minuten").
    expect(page.locator("[data-expires]")).to_have_text(
        re.compile(r"^Er läuft in [45] Minuten ab\.$")
    )
