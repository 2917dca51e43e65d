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


# -- the account pages (issue 4) ------------------------------------------------------------

ADDRESS = {
    "Full name": "Ada Lovelace",
    "Address line 1": "1 Main St",
    "City": "Springfield",
    "State / region": "IL",
    "Postal code": "62701",
}
CHANGE_HEADING = re.compile(r"^Enter the code we sent to \+1 ••• ••• ••\d\d to ")


def sent(server: Server, phone: str) -> int:
    """How many texts ``phone`` has had: the next code is the one after these."""
    return len(server.messages(phone))


def fill_address(page: Page, fields: dict[str, str], country: str = "US") -> None:
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("Country", exact=True).select_option(country)


def request_address(page: Page, server: Server, **changes: str) -> None:
    """Fill in "Add an address" and send it; end on the code page that names it."""
    page.goto(f"{server.url}/account/addresses/new")
    fill_address(page, {**ADDRESS, **changes})
    page.get_by_role("button", name="Add address").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(CHANGE_HEADING)


def request_card(page: Page, server: Server, number: str = "4242 4242 4242 4242") -> None:
    """Fill in "Add a card" (billing: the default address) and send it; end on the code page."""
    page.goto(f"{server.url}/account/payments/new")
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry month").select_option("8")
    page.get_by_label("Expiry year").select_option("2029")
    page.get_by_label("Name on card").fill("ADA LOVELACE")
    page.get_by_role("button", name="Add card").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(CHANGE_HEADING)
