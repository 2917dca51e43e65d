"""Issue 15, points 3 and 4: the code page never contradicts itself, an ended code offers a
new one, and a code form is answered with a redirect, so a reload never spends a try."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.harness import Harness
from tests.pages.conftest import Visitor, alerts, token_in
from tests.pages.steps import CARD, RELAXED, assert_redirect, heading
from tests.texts import text_of, wrong_code

RESEND_BUTTON = re.compile(r"<button[^>]*data-resend[^>]*>Resend code")


@pytest.fixture
async def h(make_harness: Callable[..., Any]) -> Harness:
    harness: Harness = await make_harness(**RELAXED)
    return harness


async def signing_in(visitor: Visitor) -> str:
    phone = await visitor.signed_up("ada@example.com")
    await visitor.sign_out()
    assert_redirect(await visitor.sign_in("ada@example.com"), "/verify")
    return phone


async def test_an_expired_sign_in_code_offers_a_new_one_after_the_same_password(
    h: Harness, visitor: Visitor
) -> None:
    phone = await signing_in(visitor)
    page = await visitor.get("/verify")
    assert 'data-expires="300"' in page.text  # the countdown that replaces stale words
    assert 'aria-live="polite"' in page.text
    h.clock.advance(h.settings.code_ttl_seconds + 1)
    ended = await visitor.get("/verify")
    assert ended.status_code == 410
    assert "This code has expired" in text_of(ended.text)
    assert RESEND_BUTTON.search(ended.text) is None
    assert 'action="/verify/new"' in ended.text
    assert (await visitor.get("/verify")).status_code == 410  # a reload says the same
    sends = len(await h.messages(phone))
    renewed = await visitor.post("/verify/new", {"csrf_token": token_in(ended.text)})
    assert_redirect(renewed, "/verify")
    page = await visitor.get("/verify")
    assert page.status_code == 200 and "We sent a new code." in text_of(page.text)
    assert len(await h.messages(phone)) == sends + 1
    done = await visitor.enter_code(await h.last_code(phone))
    assert_redirect(done, "/account")


async def test_too_many_wrong_codes_offer_a_new_code_and_the_pause_still_holds(
    make_harness: Callable[..., Any], make_visitor: Callable[..., Visitor]
) -> None:
    """S10 + S12: a new code is a new challenge with its own 5 tries, but the account's
    streak of wrong codes runs across challenges and pauses it all the same."""
    h: Harness = await make_harness(**RELAXED, code_failure_streak_limit=7)
    visitor = make_visitor(h)
    phone = await signing_in(visitor)
    wrong = wrong_code(await h.last_code(phone))
    for _ in range(5):
        answered = await visitor.enter_code(wrong)
    ended = await visitor.shown(answered)
    assert ended.status_code == 410 and "Too many wrong codes" in text_of(ended.text)
    renewed = await visitor.post("/verify/new", {"csrf_token": token_in(ended.text)})
    assert_redirect(renewed, "/verify")
    wrong = wrong_code(await h.last_code(phone))
    for _ in range(2):  # seven in a row across both challenges: the account's codes pause
        await visitor.enter_code(wrong)
    paused = await visitor.shown(await visitor.enter_code(wrong))
    assert "Codes work again at" in text_of(paused.text)


async def test_a_step_up_code_that_ended_asks_again_for_the_same_change(
    h: Harness, visitor: Visitor
) -> None:
    phone = await visitor.signed_up("ada@example.com")
    sent = await visitor.submit("/account/payments/new", "/account/payments", **CARD)
    assert_redirect(sent, "/verify")
    h.clock.advance(h.settings.code_ttl_seconds + 1)
    ended = await visitor.get("/verify")
    assert ended.status_code == 410 and "Send a new code" in text_of(ended.text)
    renewed = await visitor.post("/verify/new", {"csrf_token": token_in(ended.text)})
    assert_redirect(renewed, "/verify")
    page = await visitor.get("/verify")
    assert "to add Visa ending 4242" in heading(page.text)
    done = await visitor.enter_code(await h.last_code(phone))
    assert_redirect(done, "/account/payments")
    assert await h.scalar("SELECT count(*) FROM payment_methods") == 1


async def test_no_resend_button_once_no_more_codes_can_be_sent(
    h: Harness, visitor: Visitor
) -> None:
    await signing_in(visitor)
    for _ in range(h.settings.max_sends_per_challenge - 1):
        h.clock.advance(31)
        assert_redirect(await visitor.submit("/verify", "/verify/resend"), "/verify")
    page = await visitor.get("/verify")
    assert RESEND_BUTTON.search(page.text) is None and "Call me instead" not in page.text
    assert "We've sent as many codes as we can" in text_of(page.text)


async def test_a_limited_resend_keeps_the_button_off_and_says_until_when(
    make_harness: Callable[..., Any], make_visitor: Callable[..., Visitor]
) -> None:
    h: Harness = await make_harness(
        limit_password_account="100/minute", limit_send_number="2/15minutes"
    )
    visitor = make_visitor(h)
    await signing_in(visitor)  # the sign-in code is the number's first
    h.clock.advance(31)
    assert_redirect(await visitor.submit("/verify", "/verify/resend"), "/verify")
    h.clock.advance(31)
    page = await visitor.shown(await visitor.submit("/verify", "/verify/resend"))
    text = text_of(page.text)
    assert "We've sent a lot of codes in a short time" in text
    assert "You can ask for a new code at" in text
    assert re.search(r"<button[^>]*data-resend[^>]*disabled", page.text)


async def test_reloading_after_a_wrong_code_spends_no_try(h: Harness, visitor: Visitor) -> None:
    """The POST is answered with a redirect: the browser's reload repeats the GET only."""
    phone = await signing_in(visitor)
    answered = await visitor.enter_code(wrong_code(await h.last_code(phone)))
    assert_redirect(answered, "/verify")
    for _ in range(3):
        page = await visitor.get("/verify")
        assert page.status_code == 200
    assert alerts(page.text) == []
    assert "4 tries left." in text_of(page.text)
    sign_in = "SELECT attempts FROM challenges WHERE purpose = 'sign_in'"
    assert await h.scalar(sign_in) == 1


async def test_what_a_code_form_said_cannot_be_forged_or_moved(
    h: Harness, visitor: Visitor
) -> None:
    """The notice cookie carries only words the server signed, for one challenge."""
    phone = await signing_in(visitor)
    answered = await visitor.enter_code(wrong_code(await h.last_code(phone)))
    name = "__Host-otpgate_notice"
    signed = answered.cookies.get(name)
    assert signed is not None  # base64 JSON and its HMAC (the words are the page's own)
    payload, signature = signed.split(".")
    for forged in (f"{payload}x.{signature}", f"{payload}.{signature[:-2]}AA", "junk"):
        visitor.client.cookies.set(name, forged, domain="shop.example")
        page = await visitor.get("/verify")
        assert page.status_code == 200 and alerts(page.text) == []
    # Another challenge (a new sign-in) never shows the old one's words.
    visitor.client.cookies.set(name, signed, domain="shop.example")
    await visitor.sign_in("ada@example.com")
    page = await visitor.get("/verify")
    assert alerts(page.text) == []
