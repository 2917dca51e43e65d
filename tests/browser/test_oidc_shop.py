"""OpenID Connect end to end in Chromium: the storefront example (Authlib's OIDC client)
signs a customer in through otpgate's pages, then asks for a fresh code before a large
order (issue 12, S48, S49); and a signed-out deep link comes back after sign-in (issue 15.7).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.journey import PASSWORD, enter_code, sign_out, signed_up
from tests.browser.server import Server, free_port
from tests.examples.test_verify_payment import cli

ROOT = Path(__file__).resolve().parents[2]
SHOP = ROOT / "examples" / "shop" / "app.py"


@pytest.fixture
def shop(server: Server) -> Iterator[str]:
    """The storefront example, registered as a client of ``server``, on its own port."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    client = cli(
        server,
        "clients",
        "create",
        "--name",
        "storefront",
        "--redirect-uri",
        f"{url}/callback",
        "--post-logout-redirect-uri",
        f"{url}/",
    )
    process = subprocess.Popen(
        [
            sys.executable,
            str(SHOP),
            "--issuer",
            server.url,
            "--client-id",
            str(client["client_id"]),
            "--client-secret",
            str(client["client_secret"]),
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.get(url, timeout=1.0)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def password_step(page: Page, email: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()


def test_s49_storefront_signs_in_with_password_and_code_then_steps_up(
    page: Page, server: Server, shop: str
) -> None:
    phone = signed_up(page, server, name="Grace Hopper", email="grace@example.com")
    sign_out(page)
    page.goto(shop)
    page.get_by_role("link", name="Sign in").click()
    password_step(page, "grace@example.com")
    enter_code(page, server.wait_for_code(phone, count=2))
    expect(page.locator("#who")).to_have_text("Hello, Grace Hopper")
    expect(page.locator("#phone")).to_contain_text("(verified)")
    first = int(page.locator("#auth-time").inner_text())

    server.advance(5)  # a later sign-in, without waiting
    page.get_by_role("button", name="Place order over €500").click()
    password_step(page, "grace@example.com")  # max_age=0: password and code again
    enter_code(page, server.wait_for_code(phone, count=3))
    expect(page.locator("#order")).to_have_text("Order placed")
    assert int(page.locator("#auth-time").inner_text()) > first

    page.get_by_role("link", name="Sign out").click()  # RP-initiated logout
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    page.goto(f"{server.url}/account")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def test_signed_out_deep_link_comes_back_after_sign_in(page: Page, server: Server) -> None:
    phone = signed_up(page, server, name="Ada Lovelace", email="ada-deep@example.com")
    sign_out(page)
    page.goto(f"{server.url}/account/payments")
    password_step(page, "ada-deep@example.com")
    enter_code(page, server.wait_for_code(phone, count=2))
    expect(page).to_have_url(f"{server.url}/account/payments")
    # Every signed-in page has "Sign out" in its header.
    expect(page.locator(".site-header").get_by_role("button", name="Sign out")).to_be_visible()
    # The way back is used once, and no parameter can name another: a planted ?next= is
    # ignored, the sign-in ends on the account overview.
    sign_out(page)
    page.goto(f"{server.url}/signin?next=https://evil.example/&return_to=//evil.example")
    password_step(page, "ada-deep@example.com")
    enter_code(page, server.wait_for_code(phone, count=3))
    expect(page).to_have_url(f"{server.url}/account")
