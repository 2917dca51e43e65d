"""Changing the account in Chromium: each change waits on the code page, which names it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PHONE, new_context
from tests.browser.journey import (
    ADDRESS,
    CHANGE_HEADING,
    enter_code,
    fill_address,
    request_card,
    sent,
    signed_up,
)
from tests.browser.server import Server
from tests.browser.test_journeys import no_sideways_scroll, wrong_code

pytestmark = pytest.mark.browser


def test_add_an_address_with_a_code(page: Page, server: Server) -> None:
    phone = signed_up(page, server, name="Ada Lovelace", email="ada.address@example.com")
    page.get_by_role("link", name="Addresses", exact=True).click()
    expect(page.get_by_text("You have no saved addresses yet.")).to_be_visible()
    page.get_by_role("link", name="Add an address").click()
    fill_address(page, {**ADDRESS, "Delivery instructions": "Leave it with number 3"})
    page.get_by_role("button", name="Add address").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(
            r'^Enter the code we sent to \+1 ••• ••• ••\d\d to ship to "Ada Lovelace, '
            r'1 Main St, Springfield IL 62701, US", instructions "Leave it with number 3"$'
        )
    )
    expect(page.get_by_text("Confirm a change")).to_be_visible()
    expect(page.get_by_label("Don't ask for codes on this browser")).to_have_count(0)
    enter_code(page, server.wait_for_code(phone, count=2))

    expect(page).to_have_url(f"{server.url}/account/addresses")
    expect(page.get_by_role("status")).to_have_text("The address is added.")
    item = page.locator(".item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("1 Main St")
    expect(item).to_contain_text("Springfield IL 62701")
    expect(item).to_contain_text("Leave it with number 3")
    expect(item.locator(".badge")).to_have_text("Default")


def test_add_a_card_with_a_code(page: Page, server: Server) -> None:
    phone = signed_up(page, server, name="Grace Hopper", email="grace.card@example.com")
    page.goto(f"{server.url}/account/payments/new")
    number = page.get_by_label("Card number")
    expect(number).to_have_attribute("autocomplete", "cc-number")
    expect(number).to_have_attribute("inputmode", "numeric")
    # A mistake elsewhere: the number is not sent back, it must be typed again.
    number.fill("4242 4242 4242 4242")
    page.get_by_label("Name on card").fill("GRACE HOPPER")
    page.get_by_role("button", name="Add card").click()
    expect(page.locator("#exp_month-error")).to_have_text("Choose the expiry month.")
    expect(page.get_by_label("Card number")).to_have_value("")
    assert "4242 4242 4242 4242" not in page.content()

    request_card(page, server)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Enter the code we sent to \+1 ••• ••• ••\d\d to add Visa ending 4242$")
    )
    enter_code(page, server.wait_for_code(phone, count=2))
    expect(page).to_have_url(f"{server.url}/account/payments")
    expect(page.get_by_role("status")).to_have_text("The card is added.")
    expect(page.locator(".item__title")).to_have_text("Visa ending 4242, expires 08/29 Default")


def test_change_the_mobile_number_with_both_codes(page: Page, server: Server) -> None:
    old = signed_up(page, server, name="Alan Turing", email="alan.phone@example.com")
    new = server.new_phone()
    page.goto(f"{server.url}/account/security")
    expect(page.get_by_text("Text messages are the weakest of these")).to_be_visible()
    page.get_by_label("New mobile number").fill(new)
    page.get_by_role("button", name="Change mobile number").click()

    expect(page.get_by_text("New mobile number · step 1 of 2")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Enter the code we sent to +1 ••• ••• ••{old[-2:]} to change your mobile number to {new}"
    )
    assert server.messages(new) == []
    enter_code(page, server.wait_for_code(old, count=2))

    expect(page.get_by_role("status")).to_have_text(
        "Your current number approved the change. One more code to go."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Now enter the code we sent to your new number +1 ••• ••• ••{new[-2:]}"
    )
    enter_code(page, server.wait_for_code(new))

    expect(page).to_have_url(f"{server.url}/account/security")
    expect(page.get_by_role("status")).to_contain_text("Your mobile number is changed.")
    expect(page.get_by_text(f"Your codes go to +1 ••• ••• ••{new[-2:]}.")).to_be_visible()
    notice = server.wait_for_message(old, count=3)
    assert f"mobile number was changed to +1 ••• ••• ••{new[-2:]}" in notice["body"]
    assert "#" not in notice["body"].splitlines()[-1]  # a notice, not a code


def test_a_wrong_code_leaves_the_old_data_untouched(page: Page, server: Server) -> None:
    phone = signed_up(page, server, name="Hedy Lamarr", email="hedy.wrong@example.com")
    page.goto(f"{server.url}/account/security")
    page.get_by_label("Name", exact=True).fill("Mallory")
    page.get_by_label("Email", exact=True).fill("mallory@example.com")
    page.get_by_role("button", name="Save name and email").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(CHANGE_HEADING)
    expect(page.get_by_role("heading", level=1)).to_contain_text('to change your name to "Mallory"')

    enter_code(page, wrong_code(server.wait_for_code(phone, count=2)))
    expect(page.get_by_role("alert")).to_have_text("That code is not right. 4 tries left.")
    page.get_by_role("link", name="Back to Login & security").click()
    expect(page.get_by_label("Name", exact=True)).to_have_value("Hedy Lamarr")
    expect(page.get_by_label("Email", exact=True)).to_have_value("hedy.wrong@example.com")
    page.get_by_role("link", name="Security activity").click()
    entry = page.locator(".activity__item", has_text="Wrong code entered for a change")
    expect(entry).to_contain_text('Change your name to "Mallory"')
    assert sent(server, phone) == 2


def test_account_pages_fit_a_360px_screen(browser: Browser, server: Server) -> None:
    context = new_context(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        signed_up(page, server, name="Margaret Hamilton", email="margaret.small@example.com")
        for path in (
            "/account",
            "/account/security",
            "/account/addresses/new",
            "/account/payments/new",
            "/account/devices",
            "/account/activity",
        ):
            page.goto(f"{server.url}{path}")
            no_sideways_scroll(page)
    finally:
        context.close()
