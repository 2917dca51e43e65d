"""The phone is lost (issue 14): in Chromium against a real ``otpgate serve`` whose clock is
moved across the 24-hour wait. The links are read where a developer reads them: /dev/mail."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.journey import PASSWORD, enter_code, sign_in, sign_out, signed_up
from tests.browser.server import Server

pytestmark = pytest.mark.browser


def open_mail_link(page: Page, server: Server, subject: str, label: str) -> None:
    """Open the newest mail with ``subject`` in /dev/mail and follow its link ``label``'s URL."""
    inbox = page.context.new_page()
    inbox.goto(f"{server.url}/dev/mail")
    mail = inbox.locator("[data-mail]", has=inbox.locator("[data-subject]", has_text=subject)).first
    expect(mail).to_be_visible()
    text = mail.locator(".inbox__body").inner_text()
    line = next(line for line in text.splitlines() if line.startswith(label) and "http" in line)
    url = line[line.index("http") :].strip()
    inbox.close()
    page.goto(url)


def test_a_lost_phone_is_recovered_by_email_after_the_wait(page: Page, server: Server) -> None:
    old_phone = signed_up(page, server, name="Ada Lovelace", email="lost@example.com")
    open_mail_link(page, server, "Confirm your email address", "Confirm this address")
    page.get_by_role("button", name="Confirm this address").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Email address confirmed")

    page.goto(f"{server.url}/account")
    sign_out(page)
    sign_in(page, server, "lost@example.com")
    page.get_by_role("link", name="Recover your account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Recover your account")
    page.get_by_role("button", name="Email me a recovery link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")

    open_mail_link(page, server, "Recover your", "Start recovering my account")
    page.get_by_role("button", name="Start the waiting period").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The waiting period has started")
    notice = server.messages(old_phone)[-1]["body"]
    assert "Someone asked to recover your" in notice and "/recovery/cancel?token=" in notice

    open_mail_link(page, server, "has started", "Finish recovering")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not yet")
    server.advance(24 * 3600 + 5)
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Finish recovering your account")
    new_phone = server.new_phone()
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("New mobile number").fill(new_phone)
    page.get_by_role("button", name="Text a code to the new number").click()
    expect(page.get_by_text("Recover your account · last step")).to_be_visible()
    enter_code(page, server.wait_for_code(new_phone))
    expect(page.get_by_role("status")).to_contain_text("Your account is recovered")
    expect(page.get_by_role("heading", level=1)).to_have_text("Login & security")
