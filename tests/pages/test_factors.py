"""Sign-in methods through the pages: "Login & security", setup, and "Try another way"."""

from __future__ import annotations

import re
from typing import Any

import pyotp

from tests.factors import code_of_call
from tests.harness import Harness
from tests.pages.conftest import Visitor, alerts, token_in
from tests.pages.steps import RELAXED, assert_redirect, code_page, heading
from tests.texts import text_of

SECRET = re.compile(r"data-secret>([A-Z2-7 ]+)<")
CODES = re.compile(r'<code class="otp">([a-z0-9]{5}-[a-z0-9]{5})</code>')


def app_code(h: Harness, secret: str) -> str:
    return pyotp.TOTP(secret).at(int(h.clock.now().timestamp()))


async def add_app(visitor: Visitor, phone: str, label: str = "Pixel") -> tuple[str, str]:
    """Add an authenticator app through the pages; its setup page path and secret."""
    sent = await visitor.submit(
        "/account/security", "/account/security/factors", kind="totp", label=label
    )
    assert_redirect(sent, "/verify")
    done = await visitor.enter_code(await visitor.h.last_code(phone))
    assert done.status_code == 303, done.text
    setup = done.headers["location"]
    assert setup.startswith("/account/security/authenticator/fac_")
    page = await visitor.get(setup)
    assert page.status_code == 200
    match = SECRET.search(page.text)
    assert match, page.text
    return setup, match.group(1).replace(" ", "")


async def test_s9_the_security_page_warns_about_sms_and_offers_stronger_factors(
    h: Harness, visitor: Visitor
) -> None:
    """S9: the account settings show a notice about SMS risks and offer stronger factors."""
    await visitor.signed_up("ada@example.com")
    page = text_of((await visitor.get("/account/security")).text)
    assert "Text messages are the weakest of these" in page
    assert "moving your number to their SIM card" in page
    assert "NIST" not in page and "800-63" not in page and "later step" not in page
    for offer in ("Add an authenticator app", "Add a passkey", "Make backup codes"):
        assert offer in page
    assert "Text message (SMS)" in page and "Phone call" in page


async def test_an_app_added_through_the_pages(h: Harness, visitor: Visitor) -> None:
    phone = await visitor.signed_up("ada@example.com")
    sent = await visitor.submit(
        "/account/security", "/account/security/factors", kind="totp", label="Pixel"
    )
    assert_redirect(sent, "/verify")
    assert await code_page(visitor) == (
        f"Enter the code we sent to +1 ••• ••• ••{phone[-2:]} to add the authenticator app “Pixel”"
    )
    done = await visitor.enter_code(await h.last_code(phone))
    setup = done.headers["location"]
    page = await visitor.get(setup)
    assert '<svg role="img" aria-label="QR code to scan with your authenticator app"' in page.text
    found = SECRET.search(page.text)
    assert found is not None
    secret = found.group(1).replace(" ", "")
    assert page.headers["cache-control"] == "no-store"
    wrong = await visitor.post(setup, {"csrf_token": token_in(page.text), "code": "000000"})
    assert wrong.status_code == 422 and "That code is not right" in alerts(wrong.text)[0]
    right = await visitor.post(
        setup, {"csrf_token": token_in(page.text), "code": app_code(h, secret)}
    )
    assert_redirect(right, "/account/security")
    listed = text_of((await visitor.get("/account/security")).text)
    assert "Your authenticator app is set up." in listed
    assert "Authenticator app “Pixel”" in listed and "Add an authenticator app" not in listed
    # Confirmed: the secret is never shown again.
    again = await visitor.get(setup)
    assert_redirect(again, "/account/security")


async def test_try_another_way_signs_in_with_the_app(make_harness: Any, make_visitor: Any) -> None:
    h: Harness = await make_harness(**RELAXED)
    visitor: Visitor = make_visitor(h)
    phone = await visitor.signed_up("ada@example.com")
    setup, secret = await add_app(visitor, phone)
    token = token_in((await visitor.get(setup)).text)
    await visitor.post(setup, {"csrf_token": token, "code": app_code(h, secret)})
    h.clock.advance(30)
    await visitor.sign_out()
    assert_redirect(await visitor.sign_in("ada@example.com"), "/verify")
    sms_page = (await visitor.get("/verify")).text
    assert "Try another way" in text_of(sms_page)
    assert 'href="/verify?with=totp"' in sms_page and "Use your authenticator app" in sms_page
    assert "Call me instead" in sms_page
    app_page = await visitor.get("/verify?with=totp")
    assert heading(app_page.text) == "Enter the code from your authenticator app"
    assert 'name="factor" value="totp"' in app_page.text
    assert 'href="/verify"' in app_page.text  # back to the text message
    wrong = await visitor.post(
        "/verify", {"csrf_token": token_in(app_page.text), "factor": "totp", "code": "000000"}
    )
    assert_redirect(wrong, "/verify?with=totp")  # post/redirect/get, on the same factor
    wrong = await visitor.get("/verify?with=totp")
    assert heading(wrong.text) == "Enter the code from your authenticator app"
    assert alerts(wrong.text) == ["That code is not right. 4 tries left."]
    # The tries are the challenge's: back on the text page, 4 are left.
    assert "4 tries left." in text_of((await visitor.get("/verify")).text)
    done = await visitor.post(
        "/verify",
        {"csrf_token": token_in(wrong.text), "factor": "totp", "code": app_code(h, secret)},
    )
    assert_redirect(done, "/account")


async def test_a_step_up_by_app_names_the_change(make_harness: Any, make_visitor: Any) -> None:
    h: Harness = await make_harness(**RELAXED)
    visitor: Visitor = make_visitor(h)
    phone = await visitor.signed_up("ada@example.com")
    setup, secret = await add_app(visitor, phone)
    token = token_in((await visitor.get(setup)).text)
    await visitor.post(setup, {"csrf_token": token, "code": app_code(h, secret)})
    h.clock.advance(30)
    sent = await visitor.submit(
        "/account/security", "/account/security/profile", name="Ada King", email="ada@example.com"
    )
    assert_redirect(sent, "/verify")
    page = await visitor.get("/verify?with=totp")
    assert heading(page.text) == (
        'Enter the code from your authenticator app to change your name to "Ada King"'
    )
    done = await visitor.post(
        "/verify",
        {"csrf_token": token_in(page.text), "factor": "totp", "code": app_code(h, secret)},
    )
    assert_redirect(done, "/account/security")


async def test_backup_codes_are_shown_once_and_counted(
    make_harness: Any, make_visitor: Any
) -> None:
    h: Harness = await make_harness(**RELAXED)
    visitor: Visitor = make_visitor(h)
    phone = await visitor.signed_up("ada@example.com")
    sent = await visitor.submit(
        "/account/security", "/account/security/factors", kind="backup_codes"
    )
    assert_redirect(sent, "/verify")
    assert "to make backup codes" in await code_page(visitor)
    shown = await visitor.enter_code(await h.last_code(phone))
    assert shown.status_code == 200
    assert heading(shown.text) == "Your backup codes"
    codes = CODES.findall(shown.text)
    assert len(codes) == 10
    security = text_of((await visitor.get("/account/security")).text)
    assert "Backup codes (10 left)" in security and codes[0] not in security
    await visitor.sign_out()
    for used, code in enumerate(codes[:3], start=1):
        assert_redirect(await visitor.sign_in("ada@example.com"), "/verify")
        page = await visitor.get("/verify?with=backup_code")
        assert heading(page.text) == "Enter one of your backup codes"
        done = await visitor.post(
            "/verify", {"csrf_token": token_in(page.text), "factor": "backup_code", "code": code}
        )
        assert_redirect(done, "/account")
        left = text_of((await visitor.get("/account/security")).text)
        assert f"Backup codes ({10 - used} left)" in left
        await visitor.sign_out()


async def test_a_call_when_the_text_does_not_come(h: Harness, visitor: Visitor) -> None:
    phone = await visitor.signed_up("ada@example.com")
    await visitor.sign_out()
    await visitor.sign_in("ada@example.com")
    h.clock.advance(30)
    called = await visitor.submit("/verify", "/verify/call")
    assert_redirect(called, "/verify?with=voice_code")
    page = await visitor.get("/verify?with=voice_code")
    assert heading(page.text).startswith("Enter the code we read out on a call to +1 ••• ••• ••")
    assert "We're calling you now with a new code." in text_of(page.text)
    (call,) = await h.calls(phone)
    done = await visitor.post(
        "/verify",
        {
            "csrf_token": token_in(page.text),
            "factor": "voice_code",
            "code": code_of_call(call["body"]),
        },
    )
    assert_redirect(done, "/account")


async def test_removing_a_method_needs_a_code(make_harness: Any, make_visitor: Any) -> None:
    h: Harness = await make_harness(**RELAXED)
    visitor: Visitor = make_visitor(h)
    phone = await visitor.signed_up("ada@example.com")
    await visitor.submit("/account/security", "/account/security/factors", kind="backup_codes")
    await visitor.enter_code(await h.last_code(phone))
    (factor_id,) = [r["id"] for r in await h.rows("SELECT id FROM factors")]
    sent = await visitor.submit(
        "/account/security", f"/account/security/factors/{factor_id}/delete"
    )
    assert_redirect(sent, "/verify")
    assert "to remove your backup codes" in await code_page(visitor)
    done = await visitor.enter_code(await h.last_code(phone))
    assert_redirect(done, "/account/security")
    page = text_of((await visitor.get("/account/security")).text)
    assert "That sign-in method is removed." in page and "left)" not in page
    refused = await visitor.submit("/account/security", "/account/security/factors/fac_sms/delete")
    assert refused.status_code == 409
