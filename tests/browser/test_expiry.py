"""An expired code, for real: a real server whose clock the test moves past the code's life."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.journey import CODE_HEADING, enter_code, expect_account, register, sign_in
from tests.browser.server import Server

pytestmark = pytest.mark.browser

CODE_TTL_SECONDS = 120


@pytest.fixture(scope="module")
def server(browser: Browser) -> Iterator[Server]:
    with Server(OTPGATE_CODE_TTL_SECONDS=str(CODE_TTL_SECONDS)) as running:
        yield running


def test_an_expired_code_offers_to_start_again(page: Page, server: Server) -> None:
    phone = server.new_phone()
    register(page, server, name="Ada Lovelace", email="ada@example.com", phone=phone)
    code = server.wait_for_code(phone)
    server.advance(CODE_TTL_SECONDS + 1)
    enter_code(page, code)
    expect(page.get_by_role("heading", level=1)).to_have_text("This code has expired")

    page.get_by_role("link", name="Start again").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    sign_in(page, server, "ada@example.com")
    expect(page.get_by_role("heading", level=1)).to_have_text(CODE_HEADING)
    expect(page.get_by_text("Confirm your mobile number")).to_be_visible()
    enter_code(page, server.wait_for_code(phone, count=2))
    expect_account(page, "Ada Lovelace", "ada@example.com")
