"""Screenshots of the main pages, desktop and phone: ``python -m tests.browser.screenshots DIR``.

Starts a real server, walks the first part of the accessibility test's walk
(tests/browser/tour.py: create account, confirm, sign out, sign in, then the account pages: an
address and a card added with their codes, security, devices, activity) and saves
``<state>-desktop.png`` and ``<state>-mobile.png`` of the states in ``SHOTS`` into DIR
(``make screenshots``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE
from tests.browser.server import Server
from tests.browser.tour import Tour

VIEWS = (("desktop", DESKTOP, 1), ("mobile", PHONE, 2))
# The states of the walk (tests/browser/tour.py) that get a picture, named as they are.
SHOTS = (
    "home",
    "register",
    "signin",
    "code",
    "account",
    "code-change",
    "addresses",
    "card-form",
    "payments",
    "security",
    "devices",
    "activity",
)


def shoot(page: Page, directory: Path, name: str, view: str) -> Path:
    path = directory / f"{name}-{view}.png"
    page.mouse.move(0, 0)  # no hover effects in the picture
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path


def walk(browser: Browser, server: Server, directory: Path) -> list[Path]:
    saved: list[Path] = []
    for view, viewport, scale in VIEWS:
        context = browser.new_context(viewport=viewport, device_scale_factor=scale)

        def seen(state: str, page: Page, view: str = view) -> None:
            if state in SHOTS:
                saved.append(shoot(page, directory, state, view))

        tour = Tour(context.new_page(), server, seen, tag=view)
        tour.visitor()
        tour.account()
        context.close()
    return saved


def main(argv: list[str]) -> int:
    directory = Path(argv[0] if argv else "docs/screenshots")
    if not CHROMIUM.exists():
        print(f"screenshots need Chromium at {CHROMIUM} (apt-get install -y chromium)")
        return 1
    directory.mkdir(parents=True, exist_ok=True)
    with Server() as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            saved = walk(browser, server, directory)
        finally:
            browser.close()
    for path in saved:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
