"""Issue 15, the shopper, in Chromium against a real server: one journey through the states
that need a browser to see. Every error at once under a summary that takes focus; a French
number typed as dialled at home; a wrong code and a reload (no try spent); the countdowns
moved by Playwright's clock (never a sleep), the stale "expires in" replaced once the code
is over; a wrong current password focused; the card expiry boxes level with an error;
activity times in the browser's own zone (Tokyo here), the UTC moment in the markup."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import new_context
from tests.browser.journey import PASSWORD, enter_code
from tests.browser.server import Server
from tests.texts import wrong_code

pytestmark = pytest.mark.browser


def test_a_shoppers_journey_through_errors_codes_and_times(
    browser: Browser, server: Server
) -> None:
    context = new_context(browser, timezone_id="Asia/Tokyo")
    problems: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"JS error: {error}"))
        page.clock.install()

        # 5: every error at once, the summary focused, its links going to the fields.
        page.goto(f"{server.url}/register")
        page.get_by_label("Email", exact=True).fill("not an email")
        page.get_by_role("button", name="Create account").click()
        summary = page.locator("[data-error-summary]")
        expect(summary).to_be_focused()
        expect(summary.get_by_role("link")).to_have_count(4)
        expect(page.get_by_label("Email", exact=True)).to_have_value("not an email")
        summary.get_by_role("link", name="Enter your name.").click()
        expect(page.get_by_label("Your name")).to_be_focused()

        # 8: a French mobile number as it is dialled in France.
        # 06 1x xx xx xx: every such number is a valid French mobile (06 39…/06 9x… are not).
        digits = f"1{secrets.randbelow(10**7):07d}"
        phone = f"+336{digits}"
        page.get_by_label("Your name").fill("Ada Lovelace")
        page.get_by_label("Email", exact=True).fill(f"ada.{digits}@example.com")
        page.get_by_label("Country code").select_option("FR")
        page.get_by_label("Mobile number").fill(f"06 {digits}")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Create account").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("+33")
        code = server.wait_for_code(phone)
        # 11: with focus the code box has a crisp focus edge, not the soft glow.
        box = page.get_by_label("Code", exact=True)
        expect(box).to_be_focused()
        assert box.evaluate("e => getComputedStyle(e).boxShadow") == "none"
        assert box.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"

        # 4: a wrong code, then a reload: said once, and no second try spent.
        enter_code(page, wrong_code(code))
        expect(page.get_by_role("alert")).to_have_text("That code is not right. 4 tries left.")
        page.reload()
        expect(page.get_by_role("alert")).to_have_count(0)
        expect(page.get_by_text("4 tries left.")).to_be_visible()

        # 3 and 11: the resend countdown (aria-live) wakes the button; the code's own life
        # runs out on the page, which then says so and offers no resend.
        status = page.locator("#resend-status")
        expect(status).to_have_attribute("aria-live", "polite")
        resend = page.get_by_role("button", name="Resend code")
        expect(resend).to_be_disabled()
        page.clock.run_for(31_000)
        expect(resend).to_be_enabled()
        expect(status).to_have_text("Didn't get a text? Ask for a new code.")
        page.clock.run_for(300_000)
        expect(page.get_by_text("It expires in")).to_be_hidden()
        expect(resend).to_be_hidden()
        server.advance(301)
        page.get_by_role("link", name="Get a new code").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("This code has expired")
        # Confirming a number: signing in sends the new code (no decoy can tell otherwise).
        expect(page.get_by_role("link", name="Start again")).to_be_visible()
        page.get_by_role("link", name="Start again").click()
        page.get_by_label("Email", exact=True).fill(f"ada.{digits}@example.com")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Continue").click()
        enter_code(page, server.wait_for_code(phone, count=2))
        expect(page.get_by_role("heading", level=1)).to_have_text("Your account")

        # 6: a wrong current password: the error is where focus and the screen go.
        page.goto(f"{server.url}/account/security")
        page.get_by_label("Current password").fill("not my password")
        page.get_by_label("New password").fill("a completely different passphrase")
        page.get_by_role("button", name="Change password").click()
        password_summary = page.locator("#password-summary")
        expect(password_summary).to_be_focused()
        expect(password_summary).to_be_in_viewport()
        expect(password_summary).to_contain_text("Your current password is not right.")

        # 5: the expiry boxes stay side by side and level when one of them has an error.
        page.goto(f"{server.url}/account/payments/new")
        page.get_by_label("Card number").fill("4242 4242 4242 4242")
        page.get_by_label("Expiry year").select_option("2040")
        page.get_by_label("Name on card").fill("ADA LOVELACE")
        page.get_by_role("button", name="Add card").click()
        expect(page.locator("#exp_month-error")).to_be_visible()
        month = page.get_by_label("Expiry month").bounding_box()
        year = page.get_by_label("Expiry year").bounding_box()
        assert month is not None and year is not None
        assert abs(month["y"] - year["y"]) < 1 and abs(month["height"] - year["height"]) < 1
        expect(page.get_by_label("Card number")).to_have_value("")  # never sent back

        # 9: activity: one row per change, times in the browser's zone, UTC in the markup.
        page.goto(f"{server.url}/account/activity")
        first = page.locator(".activity time").first
        expect(first).to_have_attribute("datetime", re.compile(r"Z$"))
        expect(first).not_to_contain_text("UTC")
        expect(first).to_contain_text(re.compile(r"GMT\+9|JST"))
    finally:
        context.close()
    assert not problems, problems
