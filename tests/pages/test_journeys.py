"""The customer's journeys through the pages, without a browser (fast; clock moved, never slept)."""

from __future__ import annotations

import re

from tests.harness import Harness
from tests.pages.conftest import Visitor, alerts
from tests.pages.steps import assert_redirect
from tests.texts import text_of, wrong_code

WRONG = "Your email or password is incorrect"


def label_for(html: str, text: str) -> str:
    match = re.search(rf'<label[^>]*for="([^"]+)"[^>]*>\s*{re.escape(text)}\s*</label>', html)
    assert match, f"no <label for> with the text {text!r}"
    return match.group(1)


async def test_register_confirm_and_see_the_account(h: Harness, visitor: Visitor) -> None:
    form = await visitor.get("/register")
    for label, field in (
        ("Your name", "name"),
        ("Email", "email"),
        ("Mobile number", "phone"),
        ("Password", "password"),
    ):
        assert label_for(form.text, label) == field
    assert "country code" in form.text
    assert 'autocomplete="new-password"' in form.text

    phone = "+14155552671"
    registered = await visitor.register("ada@example.com", phone)
    assert registered.status_code == 303
    page = await visitor.get("/verify")
    assert "Enter the code we sent to +1 ••• ••• ••71" in text_of(page.text)
    assert "Confirm your mobile number" in text_of(page.text)
    assert label_for(page.text, "Code") == "code"
    code_input = re.search(r'<input[^>]*id="code"[^>]*>', page.text)
    assert code_input
    for attribute in ('autocomplete="one-time-code"', 'inputmode="numeric"', 'pattern="[0-9]*"'):
        assert attribute in code_input.group(0)
    assert "Don't ask for codes on this browser" in text_of(page.text)

    code = await h.last_code(phone)
    done = await visitor.enter_code(f" {code[:3]} {code[3:]} ")  # pasted with spaces
    assert done.status_code == 303 and done.headers["location"] == "/account"
    account = await visitor.get("/account")
    text = text_of(account.text)
    assert "Your account" in text
    assert "Your mobile number is confirmed" in text
    assert "Ada Lovelace" in text and "ada@example.com" in text
    assert "+1 ••• ••• ••71" in text and phone not in account.text
    assert "Mobile number confirmed" in text and "Account created" in text
    assert re.search(r'<form method="post" action="/signout">', account.text)
    assert (await visitor.get("/account")).text.count("is confirmed") == 0  # flash shown once


async def test_a_name_with_markup_is_shown_as_text(h: Harness, visitor: Visitor) -> None:
    name = "<script>alert(1)</script>"
    await visitor.signed_up("ada@example.com", name=name)
    account = await visitor.get("/account")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in account.text
    assert "<script>alert" not in account.text


async def test_wrong_credentials_say_the_same_whatever_was_wrong(
    h: Harness, visitor: Visitor
) -> None:
    await visitor.signed_up("ada@example.com")
    await visitor.sign_out()
    wrong_password = await visitor.sign_in("ada@example.com", "not the password at all")
    unknown = await visitor.sign_in("nobody@example.com", "not the password at all")
    for response in (wrong_password, unknown):
        assert response.status_code == 401
        assert alerts(response.text) == [WRONG]
    assert "ada@example.com" in wrong_password.text  # the email stays filled in
    assert "not the password" not in wrong_password.text


async def test_wrong_codes_count_down_then_end_the_challenge(h: Harness, visitor: Visitor) -> None:
    phone = h.new_phone()
    await visitor.register("ada@example.com", phone)
    code = await h.last_code(phone)
    wrong = wrong_code(code)
    answered = await visitor.enter_code(wrong)
    assert_redirect(answered, "/verify")  # post/redirect/get
    first = await visitor.shown(answered)
    assert alerts(first.text) == ["That code is not right. 4 tries left."]
    assert 'aria-invalid="true"' in first.text
    again = await visitor.get("/verify")  # a reload: said once, and no try spent
    assert "4 tries left." in again.text and alerts(again.text) == []
    assert await h.scalar("SELECT attempts FROM challenges") == 1
    for _ in range(3):
        await visitor.enter_code(wrong)
    last = await visitor.shown(await visitor.enter_code(wrong))
    assert last.status_code == 410
    assert "Too many wrong codes" in text_of(last.text)
    # Confirming a number: no new code here (signing in sends one), so start again.
    assert 'href="/signin">Start again' in last.text and "/verify/new" not in last.text
    # The right code no longer helps, and the page forgot the challenge.
    after = await visitor.get("/verify")
    assert after.status_code == 303 and after.headers["location"] == "/signin"


async def test_an_expired_code_offers_to_start_again(h: Harness, visitor: Visitor) -> None:
    phone = h.new_phone()
    await visitor.register("ada@example.com", phone)
    code = await h.last_code(phone)
    token = await visitor.token("/verify")
    h.clock.advance(h.settings.code_ttl_seconds + 1)
    answered = await visitor.post("/verify", {"csrf_token": token, "code": code})
    expired = await visitor.shown(answered)
    assert expired.status_code == 410
    text = text_of(expired.text)
    assert "This code has expired" in text
    assert "sign in with your email and password" in text
    assert 'href="/signin">Start again' in expired.text

    # Starting again: signing in with the password sends a fresh confirmation code.
    again = await visitor.sign_in("ada@example.com")
    assert again.headers["location"] == "/verify"
    page = await visitor.get("/verify")
    assert "Confirm your mobile number" in page.text
    done = await visitor.enter_code(await h.last_code(phone))
    assert done.headers["location"] == "/account"


async def test_resend_waits_for_the_cooldown_and_voids_the_old_code(
    h: Harness, visitor: Visitor
) -> None:
    phone = h.new_phone()
    await visitor.register("ada@example.com", phone)
    old = await h.last_code(phone)
    page = await visitor.get("/verify")
    assert re.search(r"<button[^>]*data-resend[^>]*disabled", page.text)
    assert "You can ask for a new code in 30 seconds" in text_of(page.text)

    early = await visitor.shown(await visitor.submit("/verify", "/verify/resend"))
    assert "You can ask for another in" in text_of(early.text)
    assert re.search(r"<button[^>]*data-resend[^>]*disabled", early.text)
    assert len(await h.messages(phone)) == 1

    h.clock.advance(31)
    page = await visitor.get("/verify")
    assert not re.search(r"<button[^>]*data-resend[^>]*disabled", page.text)
    resent = await visitor.submit("/verify", "/verify/resend")
    assert resent.status_code == 303 and resent.headers["location"] == "/verify"
    notice = await visitor.get("/verify")
    assert "We sent a new code" in notice.text
    new = await h.last_code(phone)
    assert len(await h.messages(phone)) == 2

    if new != old:
        stale = await visitor.shown(await visitor.enter_code(old))
        assert alerts(stale.text) == ["That code is not right. 4 tries left."]
    done = await visitor.enter_code(new)
    assert done.headers["location"] == "/account"


async def test_sign_in_with_password_and_code(h: Harness, visitor: Visitor) -> None:
    phone = await visitor.signed_up("ada@example.com")
    await visitor.sign_out()
    signin = await visitor.get("/signin")
    assert "You have signed out." in signin.text
    assert label_for(signin.text, "Email") == "email"
    assert label_for(signin.text, "Password") == "password"
    started = await visitor.sign_in("ada@example.com")
    assert started.headers["location"] == "/verify"
    page = await visitor.get("/verify")
    assert "Sign in · step 2 of 2" in text_of(page.text)
    done = await visitor.enter_code(await h.last_code(phone))
    assert done.headers["location"] == "/account"
    assert "You are signed in." in (await visitor.get("/account")).text


async def test_every_wrong_field_is_named_at_once(h: Harness, visitor: Visitor) -> None:
    response = await visitor.register("not an email", "12345", name="   ")
    assert response.status_code == 422
    assert alerts(response.text) == [
        "Enter your name.",
        "Enter a valid email address, like name@example.com.",
        "Enter the mobile number in international form, starting with + and the country code.",
    ]
    assert await h.scalar("SELECT count(*) FROM accounts") == 0


async def test_registration_errors_sit_next_to_their_field(h: Harness, visitor: Visitor) -> None:
    response = await visitor.register("ada@example.com", "12345", password="a secret pass phrase")
    assert response.status_code == 422
    assert re.search(
        r'for="phone"[^<]*</label>\s*<p[^>]*>[^<]*</p>\s*<p class="field__error" id="phone-error" '
        r'role="alert">',
        response.text,
    )
    assert 'aria-describedby="phone-hint phone-error"' in response.text
    assert "a secret pass phrase" not in response.text  # passwords are never sent back
    assert 'value="ada@example.com"' in response.text
    weak = await visitor.register("ada@example.com", h.new_phone(), password="password1")
    assert weak.status_code == 422
    assert 'id="password-error" role="alert"' in weak.text
    assert await h.scalar("SELECT count(*) FROM accounts") == 0


async def test_an_unconfirmed_account_signing_in_confirms_its_number(
    h: Harness, visitor: Visitor
) -> None:
    phone = h.new_phone()
    await visitor.register("ada@example.com", phone)  # never confirmed
    visitor.client.cookies.clear()
    started = await visitor.sign_in("ada@example.com")
    assert started.headers["location"] == "/verify"
    page = await visitor.get("/verify")
    assert "Confirm your mobile number" in page.text
    done = await visitor.enter_code(await h.last_code(phone))
    assert done.headers["location"] == "/account"


async def test_a_taken_email_is_only_refused_after_the_code(h: Harness, visitor: Visitor) -> None:
    await visitor.signed_up("ada@example.com")
    await visitor.sign_out()
    phone = h.new_phone()
    registered = await visitor.register("ada@example.com", phone)
    assert registered.headers["location"] == "/verify"
    refused = await visitor.enter_code(await h.last_code(phone))
    assert refused.status_code == 409
    assert "can't be used for a new account" in text_of(refused.text)
    assert visitor.cookie("otpgate_session") is None


async def test_signed_in_visitors_skip_the_sign_in_forms(h: Harness, visitor: Visitor) -> None:
    await visitor.signed_up("ada@example.com")
    for path in ("/signin", "/register"):
        response = await visitor.get(path)
        assert response.status_code == 303 and response.headers["location"] == "/account"


async def test_account_needs_a_live_session(h: Harness, visitor: Visitor) -> None:
    response = await visitor.get("/account")
    assert response.status_code == 303 and response.headers["location"] == "/signin"
    visitor.client.cookies.set("__Host-otpgate_session", "ses_forged", domain="shop.example")
    response = await visitor.get("/account")
    assert response.status_code == 303 and response.headers["location"] == "/signin"
    assert (await visitor.get("/verify")).headers["location"] == "/signin"


async def test_dev_sms_lists_codes_newest_first(
    h: Harness, visitor: Visitor, developer: Visitor
) -> None:
    first, second = h.new_phone(), h.new_phone()
    await visitor.register("ada@example.com", first)
    await visitor.register("bob@example.com", second)
    codes = [await h.last_code(first), await h.last_code(second)]
    inbox = await developer.get("/dev/sms")
    assert inbox.status_code == 200
    shown = re.findall(r'<code class="otp" data-code>(\d+)</code>', inbox.text)
    assert shown == codes[::-1]
    assert inbox.text.index(second) < inbox.text.index(first)
    assert f'data-copy="{codes[1]}"' in inbox.text
