"""Changing the account from the pages: each change through the code page, which names it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from otpgate.domain.tokens import token_hash
from otpgate.web.pages.devices import browser_name
from tests.harness import Harness
from tests.pages.conftest import Visitor, alerts, token_in
from tests.pages.steps import (
    ADDRESS,
    CARD,
    RELAXED,
    add_address,
    add_card,
    approve,
    assert_redirect,
    code_page,
    heading,
)
from tests.pages.test_journeys import label_for
from tests.texts import text_of, wrong_code

MASKED = r"\+1 ••• ••• ••\d\d"


@pytest.fixture
async def h(make_harness: Callable[..., Any]) -> Harness:
    harness: Harness = await make_harness(**RELAXED)
    return harness


async def test_the_account_links_to_every_account_page(h: Harness, visitor: Visitor) -> None:
    await visitor.signed_up("ada@example.com")
    page = await visitor.get("/account")
    for path in (
        "/account/security",
        "/account/addresses",
        "/account/payments",
        "/account/devices",
        "/account/activity",
    ):
        assert f'href="{path}"' in page.text
        assert (await visitor.get(path)).status_code == 200
    assert 'aria-current="page">Overview' in page.text


async def test_adding_an_address_waits_for_the_code_that_names_it(
    h: Harness, visitor: Visitor
) -> None:
    phone = await visitor.signed_up("ada@example.com")
    form = await visitor.get("/account/addresses/new")
    for label, field in (
        ("Full name", "full_name"),
        ("Address line 1", "line1"),
        ("Address line 2", "line2"),
        ("City", "city"),
        ("State / region", "region"),
        ("Postal code", "postal_code"),
        ("Country", "country"),
        ("Phone", "phone"),
        ("Delivery instructions", "instructions"),
        ("Label", "label"),
    ):
        assert label_for(form.text, label) == field
    assert '<option value="US" selected>United States</option>' in form.text  # the phone's

    sent = await visitor.submit("/account/addresses/new", "/account/addresses", **ADDRESS)
    assert_redirect(sent, "/verify")
    assert heading((await visitor.get("/verify")).text) == (
        f'Enter the code we sent to {phone_mask(phone)} to ship to "Ada Lovelace, 1 Main St, '
        'Springfield IL 62701, US", label "Home"'
    )
    page = text_of((await visitor.get("/verify")).text)
    assert "Confirm a change" in page and "Don't ask for codes" not in page
    assert await h.scalar("SELECT count(*) FROM addresses") == 0
    sms = (await h.messages(phone))[-1]["body"]
    assert 'code to ship to "Ada Lovelace, 1 Main St, Springfield IL 62701, US"' in sms

    listed = await approve(visitor, phone, "/account/addresses")
    assert "The address is added." in listed
    assert "Home Default Ada Lovelace 1 Main St Springfield IL 62701 United States" in listed
    assert await h.scalar("SELECT count(*) FROM addresses") == 1
    assert "The address is added." not in text_of((await visitor.get("/account/addresses")).text)


def phone_mask(phone: str) -> str:
    return f"+1 ••• ••• ••{phone[-2:]}"


async def test_a_wrong_code_counts_down_and_changes_nothing(h: Harness, visitor: Visitor) -> None:
    phone = await visitor.signed_up("ada@example.com")
    await visitor.submit("/account/addresses/new", "/account/addresses", **ADDRESS)
    code = await h.last_code(phone)
    refused = await visitor.shown(await visitor.enter_code(wrong_code(code)))
    assert refused.status_code == 200
    assert alerts(refused.text) == ["That code is not right. 4 tries left."]
    assert 'to ship to "Ada Lovelace, 1 Main St' in heading(refused.text)
    assert await h.scalar("SELECT count(*) FROM addresses") == 0
    for _ in range(3):
        await visitor.enter_code(wrong_code(code))
    ended = await visitor.shown(await visitor.enter_code(wrong_code(code)))
    assert ended.status_code == 410
    text = text_of(ended.text)
    assert "Too many wrong codes" in text and "Nothing was changed" in text
    assert 'href="/account/addresses">Back to Your addresses' in ended.text
    assert 'action="/verify/new"' in ended.text and "Send a new code" in text
    assert await h.scalar("SELECT count(*) FROM addresses") == 0
    assert (await visitor.get("/verify")).status_code == 410  # a reload says the same


async def test_label_and_instructions_apply_at_once_the_rest_needs_a_code(
    h: Harness, visitor: Visitor
) -> None:
    phone = await visitor.signed_up("ada@example.com")
    address_id = await add_address(visitor, phone)
    challenges = await h.scalar("SELECT count(*) FROM challenges")
    edit = f"/account/addresses/{address_id}/edit"
    form = await visitor.get(edit)
    assert 'value="1 Main St"' in form.text and 'value="Home"' in form.text

    cosmetic = {**ADDRESS, "label": "Mum's", "instructions": "Leave it with number 3"}
    saved = await visitor.submit(edit, f"/account/addresses/{address_id}", **cosmetic)
    assert_redirect(saved, "/account/addresses")
    listed = text_of((await visitor.get("/account/addresses")).text)
    assert "Saved. Labels and delivery instructions change without a code." in listed
    assert "Mum's" in listed and "Leave it with number 3" in listed
    assert await h.scalar("SELECT count(*) FROM challenges") == challenges
    assert await h.scalar("SELECT label FROM addresses") == "Mum's"

    same = await visitor.submit(edit, f"/account/addresses/{address_id}", **cosmetic)
    assert_redirect(same, "/account/addresses")
    assert "Nothing changed." in (await visitor.get("/account/addresses")).text

    moved = {**cosmetic, "line1": "2 Side St"}
    asked = await visitor.submit(edit, f"/account/addresses/{address_id}", **moved)
    assert_redirect(asked, "/verify")
    assert await code_page(visitor) == (
        f"Enter the code we sent to {phone_mask(phone)} to change the address "
        '"1 Main St, Springfield 62701": street to "2 Side St"'
    )
    assert await h.scalar("SELECT line1 FROM addresses") == "1 Main St"
    assert "The address is updated." in await approve(visitor, phone, "/account/addresses")
    assert await h.scalar("SELECT line1 FROM addresses") == "2 Side St"


async def test_with_the_strict_policy_a_label_needs_a_code_too(
    make_harness: Callable[..., Any], make_visitor: Callable[..., Visitor]
) -> None:
    h: Harness = await make_harness(step_up_address_edits="all", **RELAXED)
    visitor = make_visitor(h)
    phone = await visitor.signed_up("ada@example.com")
    address_id = await add_address(visitor, phone)
    listed = text_of((await visitor.get("/account/addresses")).text)
    assert "Every change to an address needs a code" in listed
    edit = f"/account/addresses/{address_id}/edit"
    asked = await visitor.submit(
        edit, f"/account/addresses/{address_id}", **{**ADDRESS, "label": "Work"}
    )
    assert_redirect(asked, "/verify")
    assert await h.scalar("SELECT label FROM addresses") == "Home"
    assert "The address is updated." in await approve(visitor, phone, "/account/addresses")
    assert await h.scalar("SELECT label FROM addresses") == "Work"


async def test_default_and_removal_take_a_code(h: Harness, visitor: Visitor) -> None:
    phone = await visitor.signed_up("ada@example.com")
    first = await add_address(visitor, phone)
    second = await add_address(visitor, phone, line1="9 Elm Rd", label="Work")
    page = await visitor.get("/account/addresses")
    assert page.text.count("Make default</button>") == 1  # only on the one that isn't
    token = token_in(page.text)

    made = await visitor.post(f"/account/addresses/{second}/default", {"csrf_token": token})
    assert_redirect(made, "/verify")
    assert await code_page(visitor) == (
        f'Enter the code we sent to {phone_mask(phone)} to make "9 Elm Rd, Springfield 62701" '
        "your default address"
    )
    await approve(visitor, phone, "/account/addresses")
    defaults = await h.rows("SELECT id FROM addresses WHERE is_default = :d", d=True)
    assert [row["id"] for row in defaults] == [second]

    removed = await visitor.post(f"/account/addresses/{first}/delete", {"csrf_token": token})
    assert_redirect(removed, "/verify")
    assert 'to remove the address "1 Main St, Springfield 62701"' in await code_page(visitor)
    assert "The address is removed." in await approve(visitor, phone, "/account/addresses")
    assert [r["id"] for r in await h.rows("SELECT id FROM addresses")] == [second]
    missing = await visitor.post("/account/addresses/adr_nope/delete", {"csrf_token": token})
    assert missing.status_code == 404


async def test_address_errors_sit_next_to_their_field(h: Harness, visitor: Visitor) -> None:
    await visitor.signed_up("ada@example.com")
    bad = {**ADDRESS, "postal_code": "ABC", "line1": "<b>1 Main</b> St"}
    refused = await visitor.submit("/account/addresses/new", "/account/addresses", **bad)
    assert refused.status_code == 422
    assert alerts(refused.text) == ["That is not a valid postal code for US."]
    assert 'id="postal_code-error"' in refused.text
    assert 'value="&lt;b&gt;1 Main&lt;/b&gt; St"' in refused.text  # kept, escaped
    assert "<b>1 Main" not in refused.text
    no_city = await visitor.submit(
        "/account/addresses/new", "/account/addresses", **{**ADDRESS, "city": " "}
    )
    assert alerts(no_city.text) == ["Enter the town or city."]
    assert await h.scalar("SELECT count(*) FROM challenges WHERE purpose = 'step_up'") == 0


async def test_adding_and_changing_a_card_with_codes(h: Harness, visitor: Visitor) -> None:
    phone = await visitor.signed_up("ada@example.com")
    form = await visitor.get("/account/payments/new")
    assert "Add an address" in text_of(form.text)  # no address book yet
    billing = await add_address(visitor, phone)
    form = await visitor.get("/account/payments/new")
    for label, field in (
        ("Card number", "number"),
        ("Expiry month", "exp_month"),
        ("Expiry year", "exp_year"),
        ("Name on card", "name_on_card"),
        ("Billing address", "billing_address_id"),
    ):
        assert label_for(form.text, label) == field
    assert f'<option value="{billing}" selected>' in form.text  # the default address
    for attribute in ('autocomplete="cc-number"', 'inputmode="numeric"'):
        assert attribute in form.text

    sent = await visitor.submit(
        "/account/payments/new", "/account/payments", **CARD, billing_address_id=billing
    )
    assert_redirect(sent, "/verify")
    assert await code_page(visitor) == (
        f"Enter the code we sent to {phone_mask(phone)} to add Visa ending 4242, "
        'billing address "Home, 1 Main St"'
    )
    listed = await approve(visitor, phone, "/account/payments")
    assert "The card is added." in listed
    assert "Visa ending 4242, expires 08/45 Default" in listed
    assert "Billing address: Ada Lovelace, 1 Main St, Springfield 62701" in listed
    card = await h.scalar("SELECT id FROM payment_methods")

    edit = f"/account/payments/{card}/edit"
    changed = await visitor.submit(
        edit, f"/account/payments/{card}", exp_month="9", exp_year="2046", billing_address_id=""
    )
    assert_redirect(changed, "/verify")
    assert "to update Visa ending 4242: expiry 09/46, no billing address" in await code_page(
        visitor
    )
    assert "The card is updated." in await approve(visitor, phone, "/account/payments")
    row = (await h.rows("SELECT exp_month, exp_year, billing_address_id FROM payment_methods"))[0]
    assert (row["exp_month"], row["exp_year"], row["billing_address_id"]) == (9, 2046, None)

    same = await visitor.submit(
        edit, f"/account/payments/{card}", exp_month="9", exp_year="2046", billing_address_id=""
    )
    assert same.status_code == 422
    assert alerts(same.text) == ["Nothing would change for this card."]

    second = await add_card(visitor, phone, number="5555 5555 5555 4444", exp_year="2044")
    token = token_in((await visitor.get("/account/payments")).text)
    made = await visitor.post(f"/account/payments/{second}/default", {"csrf_token": token})
    assert_redirect(made, "/verify")
    assert "to update Mastercard ending 4444: default card" in await code_page(visitor)
    await approve(visitor, phone, "/account/payments")
    removed = await visitor.post(f"/account/payments/{card}/delete", {"csrf_token": token})
    assert_redirect(removed, "/verify")
    assert "to remove Visa ending 4242" in await code_page(visitor)
    assert "The card is removed." in await approve(visitor, phone, "/account/payments")
    assert [r["id"] for r in await h.rows("SELECT id FROM payment_methods")] == [second]


async def test_changing_name_and_email(h: Harness, visitor: Visitor) -> None:
    phone = await visitor.signed_up("ada@example.com")
    page = await visitor.get("/account/security")
    assert label_for(page.text, "Name") == "name" and label_for(page.text, "Email") == "email"
    assert "Text messages are the weakest of these" in text_of(page.text)
    assert "Add an authenticator app" in text_of(page.text)
    same = await visitor.submit(
        "/account/security",
        "/account/security/profile",
        name="Ada Lovelace",
        email="ada@example.com",
    )
    assert same.status_code == 422
    assert alerts(same.text) == ["Nothing would change: enter a new name or email."]

    sent = await visitor.submit(
        "/account/security", "/account/security/profile", name="Ada King", email="ada@king.example"
    )
    assert_redirect(sent, "/verify")
    assert await code_page(visitor) == (
        f'Enter the code we sent to {phone_mask(phone)} to change your name to "Ada King" and '
        'your email to "ada@king.example"'
    )
    assert "Your details are updated." in await approve(visitor, phone, "/account/security")
    overview = text_of((await visitor.get("/account")).text)
    assert "Ada King" in overview and "ada@king.example" in overview


async def test_a_new_password_rotates_this_browsers_session(
    h: Harness, visitor: Visitor, make_visitor: Callable[..., Visitor]
) -> None:
    phone = await visitor.signed_up("ada@example.com")
    other = make_visitor(h)
    await other.sign_in("ada@example.com")
    await other.enter_code(await h.last_code(phone))
    assert (await other.get("/account")).status_code == 200

    wrong_current = await visitor.submit(
        "/account/security",
        "/account/security/password",
        current_password="not my password",
        new_password="a completely different passphrase",
    )
    assert wrong_current.status_code == 422
    assert alerts(wrong_current.text) == ["Your current password is not right."]
    assert "not my password" not in wrong_current.text
    assert "a completely different passphrase" not in wrong_current.text

    old_cookie = visitor.cookie("otpgate_session")
    sent = await visitor.submit(
        "/account/security",
        "/account/security/password",
        current_password="correct horse battery staple",
        new_password="a completely different passphrase",
    )
    assert_redirect(sent, "/verify")
    assert "to change your password" in await code_page(visitor)
    done = await visitor.enter_code(await h.last_code(phone))
    assert_redirect(done, "/account/security")
    assert visitor.cookie("otpgate_session") not in (None, old_cookie)
    landed = text_of((await visitor.get("/account/security")).text)
    assert "Your password is changed. Every other browser was signed out." in landed
    assert_redirect(await other.get("/account"), "/signin")
    visitor.client.cookies.set("__Host-otpgate_session", str(old_cookie), domain="shop.example")
    assert_redirect(await visitor.get("/account"), "/signin")


async def test_a_new_mobile_number_needs_the_old_then_the_new(h: Harness, visitor: Visitor) -> None:
    old = await visitor.signed_up("ada@example.com")
    new = "+14155559999"
    invalid = await visitor.submit("/account/security", "/account/security/phone", phone="12")
    assert invalid.status_code == 422
    assert 'value="12"' in invalid.text and 'id="phone-error"' in invalid.text

    sent = await visitor.submit("/account/security", "/account/security/phone", phone=new)
    assert_redirect(sent, "/verify")
    first = (await visitor.get("/verify")).text
    assert heading(first) == (
        f"Enter the code we sent to {phone_mask(old)} to change your mobile number to +14155559999"
    )
    assert "New mobile number · step 1 of 2" in text_of(first)
    assert await h.messages(new) == []

    step_one = await visitor.enter_code(await h.last_code(old))
    assert_redirect(step_one, "/verify")
    second = await visitor.get("/verify")
    assert heading(second.text) == "Now enter the code we sent to your new number +1 ••• ••• ••99"
    assert "One more code to go." in text_of(second.text)
    assert "step 2 of 2" in text_of(second.text)
    assert await h.scalar("SELECT phone FROM accounts") == old

    stale = await h.last_code(old)
    if stale != await h.last_code(new):
        refused = await visitor.shown(await visitor.enter_code(stale))
        assert "That code is not right." in text_of(refused.text)
    landed = await approve(visitor, new, "/account/security")
    assert "Your mobile number is changed. Codes now go to the new number." in landed
    assert "+1 ••• ••• ••99" in landed
    assert await h.scalar("SELECT phone FROM accounts") == new
    notice = (await h.messages(old))[-1]
    assert notice["purpose"] == "notice" and "was changed to +1 ••• ••• ••99" in notice["body"]


async def test_resend_works_for_a_change_code(h: Harness, visitor: Visitor) -> None:
    phone = await visitor.signed_up("ada@example.com")
    await visitor.submit("/account/addresses/new", "/account/addresses", **ADDRESS)
    sends = len(await h.messages(phone))
    early = await visitor.shown(await visitor.submit("/verify", "/verify/resend"))
    assert "A new code was just sent. You can ask for another in" in text_of(early.text)
    h.clock.advance(31)
    resent = await visitor.submit("/verify", "/verify/resend")
    assert_redirect(resent, "/verify")
    page = await visitor.get("/verify")
    assert "We sent a new code" in page.text
    assert 'to ship to "Ada Lovelace, 1 Main St' in heading(page.text)
    assert len(await h.messages(phone)) == sends + 1
    assert 'code to ship to "Ada Lovelace, 1 Main St' in (await h.messages(phone))[-1]["body"]
    await approve(visitor, phone, "/account/addresses")
    assert await h.scalar("SELECT count(*) FROM addresses") == 1


async def test_an_expired_change_code_offers_to_start_again_there(
    h: Harness, visitor: Visitor
) -> None:
    phone = await visitor.signed_up("ada@example.com")
    await visitor.submit("/account/payments/new", "/account/payments", **CARD)
    code = await h.last_code(phone)
    token = await visitor.token("/verify")
    h.clock.advance(h.settings.code_ttl_seconds + 1)
    answered = await visitor.post("/verify", {"csrf_token": token, "code": code})
    expired = await visitor.shown(answered)
    assert expired.status_code == 410
    text = text_of(expired.text)
    assert "This code has expired" in text and "Nothing was changed" in text
    assert 'href="/account/payments">Back to Your payments' in expired.text
    assert await h.scalar("SELECT count(*) FROM payment_methods") == 0
    activity = text_of((await visitor.get("/account/activity")).text)
    # One row for the change, saying how it ended; its steps underneath (issue 15, point 9).
    assert "Change expired unused, nothing changed Add Visa ending 4242" in activity
    assert "What happened : 3 steps Code sent by text message" in activity
    assert "Change requested, code sent ·" in activity


async def test_a_change_overtaken_meanwhile_is_refused_cleanly(
    h: Harness, visitor: Visitor, make_visitor: Callable[..., Visitor]
) -> None:
    phone = await visitor.signed_up("ada@example.com")
    sent = await visitor.submit(
        "/account/security", "/account/security/profile", name="Ada", email="bob@example.com"
    )
    assert_redirect(sent, "/verify")
    code = await h.last_code(phone)
    await make_visitor(h).signed_up("bob@example.com", name="Bob")  # takes the address first
    refused = await visitor.enter_code(code)
    assert refused.status_code == 409
    assert "We couldn't make this change" in heading(refused.text)
    assert alerts(refused.text) == ["That email address can't be used. Choose another one."]
    assert "nothing was changed" in text_of(refused.text)
    assert 'href="/account/security">Back to Login &amp; security' in refused.text
    account = (await h.rows("SELECT name, email FROM accounts WHERE phone = :p", p=phone))[0]
    assert (account["name"], account["email"]) == ("Ada Lovelace", "ada@example.com")
    assert_redirect(await visitor.get("/verify"), "/account")
    activity = text_of((await visitor.get("/account/activity")).text)
    assert 'Change refused, nothing changed Change your name to "Ada" and your email to' in activity


async def test_removing_an_address_another_browser_removed_first(
    h: Harness, visitor: Visitor, make_visitor: Callable[..., Visitor]
) -> None:
    phone = await visitor.signed_up("ada@example.com")
    address_id = await add_address(visitor, phone)
    token = token_in((await visitor.get("/account/addresses")).text)
    await visitor.post(f"/account/addresses/{address_id}/delete", {"csrf_token": token})
    code = await h.last_code(phone)

    other = make_visitor(h)
    await other.sign_in("ada@example.com")
    await other.enter_code(await h.last_code(phone))
    other_token = token_in((await other.get("/account/addresses")).text)
    await other.post(f"/account/addresses/{address_id}/delete", {"csrf_token": other_token})
    await approve(other, phone, "/account/addresses")

    refused = await visitor.enter_code(code)
    assert refused.status_code == 404
    assert alerts(refused.text) == ["That address no longer exists; nothing was changed."]
    assert 'href="/account/addresses">Back to Your addresses' in refused.text


async def test_devices_sign_out_one_all_others_and_forget(
    h: Harness, visitor: Visitor, make_visitor: Callable[..., Visitor]
) -> None:
    phone = await visitor.signed_up("ada@example.com")
    others = [make_visitor(h), make_visitor(h)]
    for other in others:
        await other.sign_in("ada@example.com")
        await other.enter_code(await h.last_code(phone), remember="1")
    page = await visitor.get("/account/devices")
    text = text_of(page.text)
    assert text.count("Last seen") == 3 and text.count("This browser") == 1
    assert text.count("Trusted since") == 2
    assert "IP 203.0.113.9" in text
    assert "Sign out everywhere else" in text

    token = token_in(page.text)
    first_other = await h.scalar(
        "SELECT id FROM sessions WHERE token_hash = :t",
        t=token_hash(str(others[1].cookie("otpgate_session"))),
    )
    out = await visitor.post(
        f"/account/devices/sessions/{first_other}/sign-out", {"csrf_token": token}
    )
    assert_redirect(out, "/account/devices")
    assert "That browser is signed out." in (await visitor.get("/account/devices")).text
    assert_redirect(await others[1].get("/account"), "/signin")
    assert (await others[0].get("/account")).status_code == 200

    devices = await h.rows("SELECT id FROM devices WHERE revoked_at IS NULL")
    forgot = await visitor.post(
        f"/account/devices/trusted/{devices[0]['id']}/forget", {"csrf_token": token}
    )
    assert_redirect(forgot, "/account/devices")
    assert await h.scalar("SELECT count(*) FROM devices WHERE revoked_at IS NULL") == 1

    everywhere = await visitor.post(
        "/account/devices/sessions/sign-out-others", {"csrf_token": token}
    )
    assert_redirect(everywhere, "/account/devices")
    after = text_of((await visitor.get("/account/devices")).text)
    assert "Every other browser is signed out." in after and after.count("Last seen") == 1
    assert_redirect(await others[0].get("/account"), "/signin")
    assert (await visitor.get("/account")).status_code == 200
    activity = text_of((await visitor.get("/account/activity")).text)
    assert "Signed out everywhere else" in activity
    assert "Trusted browser forgotten" in activity


async def test_activity_is_one_row_per_change_with_times_for_the_browser(
    h: Harness, visitor: Visitor
) -> None:
    """Issue 15, point 9: requested, code sent and applied are one row; every time carries
    its UTC moment for app.js to show in the browser's zone."""
    phone = await visitor.signed_up("ada@example.com")
    await add_address(visitor, phone)
    page = (await visitor.get("/account/activity")).text
    rows = re.findall(
        r'<li class="activity__item[^"]*">(.*?)</li>\s*(?=<li class="activity__item|</ol>)',
        page,
        re.S,
    )
    made = [text_of(row) for row in rows if "Change made" in row]
    assert len(made) == 1
    assert made[0].startswith('Change made Ship to "Ada Lovelace, 1 Main St')
    assert "Change requested, code sent" in made[0] and "Code accepted" in made[0]
    assert not any(text_of(row).startswith("Code sent by text message") for row in rows)
    moment = r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ" data-local="datetime">'
    assert re.search(moment, page)
    assert "<script>" not in page  # times are localised by the static app.js (CSP)


def test_devices_are_named_by_browser_and_system() -> None:
    android = (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Mobile Safari/537.36"
    )
    iphone = (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
    )
    mac = (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0"
    )
    assert browser_name(android) == "Chrome on Android"
    assert browser_name(iphone) == "Safari on iPhone"
    assert browser_name(mac) == "Edge on macOS"
    assert browser_name("python-httpx/0.27.0") == "Unknown browser"
    assert browser_name(None) == "Unknown browser"
