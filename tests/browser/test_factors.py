"""Sign-in methods in Chromium: an authenticator app (codes from pyotp and from Debian's
oathtool), passkeys through Chromium's virtual authenticator, and backup codes."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from playwright.sync_api import Browser, BrowserContext, CDPSession, Page, expect

from tests.browser.conftest import new_context, watched
from tests.browser.journey import enter_code, expect_account, sign_in, sign_out, signed_up
from tests.browser.server import Server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(browser: Browser) -> Iterator[Server]:
    # http://localhost: WebAuthn refuses an IP address as the relying party ID.
    with Server(host="localhost") as running:
        yield running


def leave(page: Page, server: Server) -> None:
    """Sign out from the account page."""
    page.goto(f"{server.url}/account")
    sign_out(page)


def code_step(page: Page, server: Server, phone: str, seen: int) -> None:
    """On the code page: enter the next texted code after the ``seen`` ones."""
    enter_code(page, server.wait_for_new_code(phone, seen))


def add_method(page: Page, server: Server, phone: str, button: str, label: str | None) -> None:
    """Press an "Add ..." button on Login & security and approve it with the texted code."""
    page.goto(f"{server.url}/account/security")
    seen = len(server.codes(phone))
    form = page.locator("form.add-factor", has=page.get_by_role("button", name=button))
    if label is not None:
        form.get_by_label("Name it (optional)").fill(label)
    form.get_by_role("button", name=button).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Enter the code we sent to")
    code_step(page, server, phone, seen)


def oathtool_code(server: Server, secret: str) -> str:
    oathtool = shutil.which("oathtool")
    assert oathtool, "apt-get install -y oathtool (.ci/run installs it)"
    return subprocess.run(
        [oathtool, "--totp", "-b", "--now", f"@{int(server.now())}", secret],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def test_an_authenticator_app_with_codes_from_pyotp_and_oathtool(
    page: Page, server: Server
) -> None:
    phone = signed_up(page, server, name="Ada Lovelace", email="ada.app@example.com")
    add_method(page, server, phone, "Add an authenticator app", "Pixel")

    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
    expect(
        page.get_by_role("img", name="QR code to scan with your authenticator app")
    ).to_be_visible()
    secret = page.locator("[data-secret]").inner_text().replace(" ", "")
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).at(int(server.now())))
    page.get_by_role("button", name="Finish setting up").click()
    expect(page.get_by_role("status")).to_have_text(
        "Your authenticator app is set up. Next time, you can use a code from it."
    )
    expect(page.get_by_text("Authenticator app “Pixel”")).to_be_visible()

    server.advance(30)  # the next code is a new step
    leave(page, server)
    sign_in(page, server, "ada.app@example.com")
    page.get_by_role("link", name="Use your authenticator app").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Enter the code from your authenticator app"
    )
    page.get_by_label("Code from the app").fill(oathtool_code(server, secret))
    page.get_by_role("button", name="Continue").click()
    expect_account(page, "Ada Lovelace", "ada.app@example.com")


def watched_context(browser: Browser) -> tuple[BrowserContext, Page, list[str]]:
    """A fresh context and page, collecting CSP violations and JS errors (as ``page`` does)."""
    context = new_context(browser)
    page, problems = watched(context)
    return context, page, problems


def virtual_authenticator(context: BrowserContext, page: Page) -> tuple[CDPSession, str]:
    """Chromium's virtual authenticator (CTAP2, platform, resident keys, user verified)."""
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added: dict[str, Any] = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, str(added["authenticatorId"])


def test_a_passkey_signs_in_and_approves_a_change(browser: Browser, server: Server) -> None:
    context, page, problems = watched_context(browser)
    cdp, authenticator = virtual_authenticator(context, page)
    phone = signed_up(page, server, name="Grace Hopper", email="grace.passkey@example.com")
    add_method(page, server, phone, "Add a passkey", "This laptop")

    expect(page.get_by_role("heading", level=1)).to_have_text("Create the passkey “This laptop”")
    page.get_by_role("button", name="Create the passkey").click()
    expect(page.get_by_role("status")).to_have_text(
        "Your passkey is set up. Next time, you can use it instead of a code."
    )
    expect(page.get_by_text("Passkey “This laptop”")).to_be_visible()
    (credential,) = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})[
        "credentials"
    ]
    assert credential["isResidentCredential"] is True
    assert credential["rpId"] == "localhost"

    leave(page, server)
    sign_in(page, server, "grace.passkey@example.com")
    page.get_by_role("link", name="Use a passkey").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Use your passkey")
    page.get_by_role("button", name="Use a passkey").click()
    expect_account(page, "Grace Hopper", "grace.passkey@example.com")

    # A step-up: the page names the change, then the passkey approves it.
    page.goto(f"{server.url}/account/security")
    page.get_by_label("Name", exact=True).fill("Grace Brewster Hopper")
    page.get_by_role("button", name="Save name and email").click()
    page.get_by_role("link", name="Use a passkey").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        'Use your passkey to change your name to "Grace Brewster Hopper"'
    )
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_role("status")).to_have_text("Your details are updated.")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Grace Brewster Hopper")
    after = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert after["credentials"][0]["signCount"] >= 3  # registration, sign-in, step-up
    context.close()
    assert not problems, problems


def test_a_passkey_without_user_verification_is_refused(browser: Browser, server: Server) -> None:
    context, page, problems = watched_context(browser)
    cdp, authenticator = virtual_authenticator(context, page)
    phone = signed_up(page, server, name="Alan Turing", email="alan.passkey@example.com")
    add_method(page, server, phone, "Add a passkey", None)
    page.get_by_role("button", name="Create the passkey").click()
    expect(page.get_by_role("status")).to_contain_text("Your passkey is set up.")
    expect(page.get_by_text("Passkey “Passkey”", exact=True)).to_be_visible()
    leave(page, server)
    sign_in(page, server, "alan.passkey@example.com")
    cdp.send(
        "WebAuthn.setUserVerified", {"authenticatorId": authenticator, "isUserVerified": False}
    )
    page.get_by_role("link", name="Use a passkey").click()
    page.get_by_role("button", name="Use a passkey").click()
    # The browser refuses before asking us (UV is required), or we do: either way no entry.
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Use your passkey")
    context.close()
    assert not problems, problems


def test_backup_codes_shown_once_then_used(page: Page, server: Server) -> None:
    phone = signed_up(page, server, name="Katherine Johnson", email="kj.backup@example.com")
    page.goto(f"{server.url}/account/security")
    seen = len(server.codes(phone))
    page.get_by_role("button", name="Make backup codes").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("to make backup codes")
    code_step(page, server, phone, seen)

    expect(page.get_by_role("heading", level=1)).to_have_text("Your backup codes")
    codes = page.locator(".backup-codes code").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes)
    page.get_by_role("link", name="I've saved my codes").click()
    expect(page.get_by_text("Backup codes (10 left)")).to_be_visible()

    leave(page, server)
    sign_in(page, server, "kj.backup@example.com")
    page.get_by_role("link", name="Use a backup code").click()
    page.get_by_label("Backup code").fill(codes[0].upper())
    page.get_by_role("button", name="Continue").click()
    expect_account(page, "Katherine Johnson", "kj.backup@example.com")
    page.goto(f"{server.url}/account/security")
    expect(page.get_by_text("Backup codes (9 left)")).to_be_visible()
