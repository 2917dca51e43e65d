"""Steps a customer takes, in Playwright: shared by the browser tests and the screenshots."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.server import Server

PASSWORD = "correct horse battery staple"
CODE_HEADING = re.compile(r"Enter the code we sent to \+1 ••• ••• ••\d\d")


def register(page: Page, server: Server, *, name: str, email: str, phone: str) -> None:
    """Fill in and send the registration form; end on the code page."""
    page.goto(f"{server.url}/register")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Mobile number").fill(phone)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(CODE_HEADING)


def enter_code(page: Page, code: str, *, remember: bool = False) -> None:
    page.get_by_label("Code", exact=True).fill(code)
    if remember:
        page.get_by_label("Don't ask for codes on this browser").check()
    page.get_by_role("button", name="Continue").click()


def sign_in(page: Page, server: Server, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{server.url}/signin")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Continue").click()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def expect_account(page: Page, name: str, email: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    details = page.locator(".details")
    expect(details).to_contain_text(name)
    expect(details).to_contain_text(email)
    expect(details).to_contain_text(re.compile(r"\+1 ••• ••• ••\d\d"))


def signed_up(page: Page, server: Server, *, name: str, email: str) -> str:
    """Register and confirm the number with the texted code; return the phone number."""
    phone = server.new_phone()
    register(page, server, name=name, email=email, phone=phone)
    enter_code(page, server.wait_for_code(phone))
    expect_account(page, name, email)
    return phone
