"""The customer's journeys in Chromium against one real server (distinct emails and numbers)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from tests.browser.conftest import PHONE, new_context
from tests.browser.journey import (
    CODE_HEADING,
    enter_code,
    expect_account,
    register,
    sign_in,
    sign_out,
    signed_up,
)
from tests.browser.server import Server
from tests.texts import wrong_code

pytestmark = pytest.mark.browser


def test_register_confirm_with_the_inbox_code_and_see_the_account(
    page: Page, server: Server
) -> None:
    phone = server.new_phone()
    register(page, server, name="Ada Lovelace", email="ada@example.com", phone=phone)
    expect(page.get_by_role("heading", level=1)).to_contain_text(phone[-2:])
    expect(page.get_by_text("Confirm your mobile number")).to_be_visible()
    code_input = page.get_by_label("Code", exact=True)
    expect(code_input).to_have_attribute("autocomplete", "one-time-code")
    expect(code_input).to_have_attribute("inputmode", "numeric")
    expect(code_input).to_have_attribute("pattern", "[0-9]*")

    # Read the code where a developer would: the /dev/sms inbox, newest first.
    inbox = page.context.new_page()
    inbox.goto(f"{server.url}/dev/sms")
    message = inbox.locator(".inbox__item", has_text=phone).first
    code = message.locator("[data-code]").inner_text()
    expect(message.get_by_role("button", name="Copy code")).to_be_visible()
    inbox.close()

    enter_code(page, code)
    expect_account(page, "Ada Lovelace", "ada@example.com")
    expect(page.get_by_role("status")).to_have_text(
        "Your mobile number is confirmed and you are signed in."
    )
    activity = page.locator(".activity")
    expect(activity).to_contain_text("Mobile number confirmed")
    expect(activity).to_contain_text("Account created")
    expect(page.get_by_text(phone)).to_have_count(0)


def test_sign_out_then_sign_in_with_a_wrong_then_the_right_code(page: Page, server: Server) -> None:
    phone = signed_up(page, server, name="Grace Hopper", email="grace@example.com")
    sign_out(page)
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    page.goto(f"{server.url}/account")
    expect(page).to_have_url(f"{server.url}/signin")

    sign_in(page, server, "grace@example.com", password="not the right password")
    expect(page.get_by_role("alert")).to_have_text("Your email or password is incorrect")
    expect(page.get_by_label("Email", exact=True)).to_have_value("grace@example.com")

    sign_in(page, server, "grace@example.com")
    expect(page.get_by_role("heading", level=1)).to_have_text(CODE_HEADING)
    expect(page.get_by_text("Sign in · step 2 of 2")).to_be_visible()
    code = server.wait_for_code(phone, count=2)
    enter_code(page, wrong_code(code))
    expect(page.get_by_role("alert")).to_have_text("That code is not right. 4 tries left.")
    expect(page.get_by_label("Code", exact=True)).to_have_attribute("aria-invalid", "true")

    enter_code(page, f"{code[:3]} {code[3:]}")
    expect_account(page, "Grace Hopper", "grace@example.com")
    expect(page.locator(".activity")).to_contain_text("Wrong code entered")


def test_a_remembered_browser_signs_in_without_a_code(page: Page, server: Server) -> None:
    phone = signed_up(page, server, name="Alan Turing", email="alan@example.com")
    sign_out(page)
    sign_in(page, server, "alan@example.com")
    enter_code(page, server.wait_for_code(phone, count=2), remember=True)
    expect_account(page, "Alan Turing", "alan@example.com")
    sign_out(page)
    sign_in(page, server, "alan@example.com")
    expect_account(page, "Alan Turing", "alan@example.com")
    assert len(server.messages(phone)) == 2
    expect(page.locator(".activity")).to_contain_text("Signed in on a trusted browser")


def test_password_toggle_strength_hint_and_resend_cooldown(page: Page, server: Server) -> None:
    page.goto(f"{server.url}/register")
    password = page.get_by_label("Password", exact=True)
    password.fill("short")
    expect(page.locator("#password-strength")).to_have_text(re.compile("Too short"))
    password.fill("four unrelated words here")
    expect(page.locator("#password-strength")).to_have_text("Looks strong.")
    page.get_by_role("button", name="Show password").click()
    expect(password).to_have_attribute("type", "text")
    hide = page.get_by_role("button", name="Hide password")
    expect(hide).to_have_attribute("aria-pressed", "true")
    hide.click()
    expect(password).to_have_attribute("type", "password")
    expect(page.get_by_role("button", name="Show password")).to_be_visible()

    phone = server.new_phone()
    register(page, server, name="Katherine Johnson", email="katherine@example.com", phone=phone)
    resend = page.get_by_role("button", name="Resend code")
    expect(resend).to_be_disabled()
    expect(page.locator("#resend-status")).to_contain_text(
        re.compile(r"You can ask for a new code in \d+ seconds")
    )


def test_forged_and_cross_site_forms_are_refused(page: Page, server: Server) -> None:
    signed_up(page, server, name="Hedy Lamarr", email="hedy@example.com")

    # Same page, tampered token: refused, still signed in.
    page.locator('form[action="/signout"] input[name="csrf_token"]').evaluate(
        "input => { input.value = 'forged' }"
    )
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("We couldn't accept that form")
    page.goto(f"{server.url}/account")
    expect_account(page, "Hedy Lamarr", "hedy@example.com")

    # Another site posting to ours: refused, still signed in.
    evil = "http://evil.test/"
    page.route(
        evil,
        lambda route: route.fulfill(
            content_type="text/html",
            body=(
                f'<form method="post" action="{server.url}/signout">'
                '<input type="hidden" name="csrf_token" value="guess">'
                '<button type="submit">Win a prize</button></form>'
            ),
        ),
    )
    page.goto(evil)
    page.get_by_role("button", name="Win a prize").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("We couldn't accept that form")
    page.goto(f"{server.url}/account")
    expect_account(page, "Hedy Lamarr", "hedy@example.com")


def test_a_name_with_markup_is_shown_as_text(page: Page, server: Server) -> None:
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    name = "<script>alert(1)</script>"
    signed_up(page, server, name=name, email="xss@example.com")
    expect(page.locator(".details")).to_contain_text(name)
    assert dialogs == []


def test_a_missing_page_is_friendly(page: Page, server: Server) -> None:
    response = page.goto(f"{server.url}/no-such-page")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    page.get_by_role("link", name="Go to the home page").click()
    expect(page.get_by_role("link", name="Create account").first).to_be_visible()


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a 360px screen"


def test_the_main_journey_on_a_360px_screen(browser: Browser, server: Server) -> None:
    context = new_context(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.goto(server.url)
        no_sideways_scroll(page)
        page.get_by_role("link", name="Create account").first.click()
        no_sideways_scroll(page)
        phone = server.new_phone()
        register(page, server, name="Margaret Hamilton", email="margaret@example.com", phone=phone)
        no_sideways_scroll(page)
        expect(page.get_by_label("Code", exact=True)).to_be_in_viewport()
        enter_code(page, server.wait_for_code(phone))
        expect_account(page, "Margaret Hamilton", "margaret@example.com")
        no_sideways_scroll(page)
        sign_out(page)
        no_sideways_scroll(page)
        sign_in(page, server, "margaret@example.com")
        enter_code(page, server.wait_for_code(phone, count=2))
        expect_account(page, "Margaret Hamilton", "margaret@example.com")
    finally:
        context.close()


def test_signing_up_and_in_with_javascript_off(browser: Browser, server: Server) -> None:
    context = new_context(browser, java_script_enabled=False)
    try:
        page = context.new_page()
        phone = server.new_phone()
        page.goto(f"{server.url}/register")
        expect(page.get_by_role("button", name="Show password")).to_be_hidden()
        register(page, server, name="Ida Rhodes", email="ida@example.com", phone=phone)
        enter_code(page, server.wait_for_code(phone))
        expect_account(page, "Ida Rhodes", "ida@example.com")
        sign_out(page)

        sign_in(page, server, "ida@example.com")
        expect(page.get_by_role("heading", level=1)).to_have_text(CODE_HEADING)
        expect(page.get_by_role("button", name="Resend code")).to_be_disabled()
        expect(page.locator("#resend-status")).to_contain_text(
            re.compile(r"You can ask for a new code in \d+ seconds")
        )
        code = server.wait_for_code(phone, count=2)
        enter_code(page, wrong_code(code))
        expect(page.get_by_role("alert")).to_have_text("That code is not right. 4 tries left.")
        enter_code(page, f"{code[:3]} {code[3:]}")  # pasted with a space, nothing strips it
        expect_account(page, "Ida Rhodes", "ida@example.com")
    finally:
        context.close()
