"""Browser fixtures: Debian's Chromium through Playwright, against a real ``otpgate serve``.

Skipped with a clear message where Chromium (or Playwright) is missing, unless
``OTPGATE_TEST_REQUIRE_ALL=1`` (CI), which turns the skip into a failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.backends import require_all
from tests.browser.server import Server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 360, "height": 740}
TIMEOUT_MS = 10_000


def unavailable(message: str) -> None:
    if require_all():
        pytest.fail(message + "; OTPGATE_TEST_REQUIRE_ALL=1 forbids skipping", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for one module: Playwright's sync API keeps an event loop marked as running
    while it is open, so it must be closed before pytest-asyncio runs the next module's tests.
    """
    if not CHROMIUM.exists():
        unavailable(
            f"browser tests need Chromium at {CHROMIUM} (apt-get install -y chromium; CI has it)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("browser tests need Playwright (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def server(browser: Browser) -> Iterator[Server]:
    """One server per module, default settings (journeys use distinct emails and numbers)."""
    with Server() as running:
        yield running


def new_context(browser: Browser, **options: Any) -> BrowserContext:
    context = browser.new_context(**{"viewport": DESKTOP, **options})
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = new_context(browser)
    yield context
    context.close()


def watched(context: BrowserContext) -> tuple[Page, list[str]]:
    """A new page of ``context`` and the Content-Security-Policy violations and JS errors it
    collects."""
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"JS error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    return page, problems


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """A page that fails the test on any Content-Security-Policy violation or JS error."""
    page, problems = watched(context)
    yield page
    assert not problems, problems
