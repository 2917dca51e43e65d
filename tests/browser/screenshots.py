"""Screenshots of the main pages, desktop and phone: ``python -m tests.browser.screenshots DIR``.

Starts a real server, walks the journey (create account, confirm, account, sign out, sign in,
then the account pages: an address and a card added with their codes, security, devices,
activity) and saves ``<page>-desktop.png`` and ``<page>-mobile.png`` into DIR
(``make screenshots``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE
from tests.browser.journey import (
    PASSWORD,
    enter_code,
    expect_account,
    request_address,
    request_card,
    sent,
    sign_out,
)
from tests.browser.server import Server

VIEWS = (("desktop", DESKTOP, 1), ("mobile", PHONE, 2))


def shoot(page: Page, directory: Path, name: str, view: str) -> Path:
    path = directory / f"{name}-{view}.png"
    page.mouse.move(0, 0)  # no hover effects in the picture
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path


def walk(browser: Browser, server: Server, directory: Path) -> list[Path]:
    saved: list[Path] = []
    for view, viewport, scale in VIEWS:
        context = browser.new_context(viewport=viewport, device_scale_factor=scale)
        page = context.new_page()
        name, email, phone = "Ada Lovelace", f"ada.{view}@example.com", server.new_phone()

        page.goto(server.url)
        saved.append(shoot(page, directory, "home", view))

        page.goto(f"{server.url}/register")
        page.get_by_label("Your name").fill(name)
        page.get_by_label("Email", exact=True).fill(email)
        page.get_by_label("Mobile number").fill(phone)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Password", exact=True).blur()
        saved.append(shoot(page, directory, "register", view))
        page.get_by_role("button", name="Create account").click()
        page.get_by_label("Code", exact=True).wait_for()
        enter_code(page, server.wait_for_code(phone))
        expect_account(page, name, email)
        sign_out(page)

        page.get_by_label("Email", exact=True).fill(email)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        saved.append(shoot(page, directory, "signin", view))
        page.get_by_role("button", name="Continue").click()
        page.get_by_label("Code", exact=True).wait_for()
        saved.append(shoot(page, directory, "code", view))
        enter_code(page, server.wait_for_code(phone, count=2))
        expect_account(page, name, email)
        saved.append(shoot(page, directory, "account", view))
        saved.extend(account_pages(page, server, directory, view, phone))
        context.close()
    return saved


def account_pages(page: Page, server: Server, directory: Path, view: str, phone: str) -> list[Path]:
    """The account pages of issue 4, with an address and a card added through their codes."""
    saved: list[Path] = []
    before = sent(server, phone)
    request_address(page, server, **{"Delivery instructions": "Leave it with number 3"})
    saved.append(shoot(page, directory, "code-change", view))
    enter_code(page, server.wait_for_code(phone, count=before + 1))
    page.get_by_role("heading", name="Your addresses").wait_for()
    saved.append(shoot(page, directory, "addresses", view))

    page.goto(f"{server.url}/account/payments/new")
    page.get_by_label("Name on card").fill("ADA LOVELACE")
    saved.append(shoot(page, directory, "card-form", view))
    request_card(page, server)
    enter_code(page, server.wait_for_code(phone, count=before + 2))
    page.get_by_role("heading", name="Your payments").wait_for()
    saved.append(shoot(page, directory, "payments", view))

    for name, path in (
        ("security", "/account/security"),
        ("devices", "/account/devices"),
        ("activity", "/account/activity"),
    ):
        page.goto(f"{server.url}{path}")
        saved.append(shoot(page, directory, name, view))
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
