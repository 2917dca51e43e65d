"""Resending a code: the button wakes after the cooldown, the old code dies, the new one works."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.journey import enter_code, expect_account, register
from tests.browser.server import Server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(browser: Browser) -> Iterator[Server]:
    with Server(OTPGATE_RESEND_COOLDOWN_SECONDS="1") as running:
        yield running


def test_resend_after_the_cooldown_voids_the_old_code(page: Page, server: Server) -> None:
    phone = server.new_phone()
    register(page, server, name="Ada Lovelace", email="ada@example.com", phone=phone)
    old = server.wait_for_code(phone)

    resend = page.get_by_role("button", name="Resend code")
    expect(resend).to_be_enabled()  # the countdown script wakes it when the cooldown ends
    resend.click()
    expect(page.get_by_role("status")).to_have_text(
        "We sent a new code. The previous code no longer works."
    )
    new = server.wait_for_code(phone, count=2)

    if new != old:  # one chance in a million that they are the same
        enter_code(page, old)
        expect(page.get_by_role("alert")).to_have_text("That code is not right. 4 tries left.")
    enter_code(page, new)
    expect_account(page, "Ada Lovelace", "ada@example.com")
