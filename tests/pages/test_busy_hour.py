"""A busy customer's hour, replayed at every default limit: ordinary upkeep never meets a cap.

Issue 15, point 1: sign-up, sign-in and eight account changes from one address (ten texts in
fifteen minutes) ended on "429 Too many requests" because the per-IP send cap counted the
whole household. Here three people behind one NAT address each sign up, sign in on a second
browser, make a dozen changes (one of them a new mobile number, one with a resent code) and
sign in again, all within one hour, at the defaults. No answer is a 429, and every code is
texted. The pumping caps that stay tight (a number nobody has proven) are checked last.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.email.mailbox import token_of
from tests.harness import Harness
from tests.pages.conftest import Visitor, token_in
from tests.pages.steps import ADDRESS, CARD, add_address, add_card, approve, assert_redirect
from tests.texts import text_of

HOUSEHOLD_IP = "198.51.100.23"


class Replay:
    """A visitor whose every answer is checked: never a 429, never a 5xx."""

    def __init__(self, visitor: Visitor) -> None:
        self.visitor = visitor
        self.answers: list[int] = []

    def seen(self, response: httpx.Response) -> httpx.Response:
        self.answers.append(response.status_code)
        assert response.status_code != 429, response.text
        assert response.status_code < 500, response.text
        return response


async def busy_hour(h: Harness, v: Visitor, other: Visitor, email: str) -> int:
    """One customer's hour; returns how many texts their numbers received."""
    phone = await v.signed_up(email)
    first = phone
    # A second browser (the phone) signs in too.
    assert_redirect(await other.sign_in(email), "/verify")
    assert_redirect(await other.enter_code(await h.last_code(phone)), "/account")

    async def change(form: str, action: str, back: str, **fields: str) -> None:
        sent = await v.submit(form, action, **fields)
        assert_redirect(sent, "/verify")
        await approve(v, phone, back)
        h.clock.advance(60)

    await change(
        "/account/security",
        "/account/security/profile",
        "/account/security",
        name="Ada King",
        email=email,
    )
    await change(
        "/account/security",
        "/account/security/profile",
        "/account/security",
        name="Ada King",
        email="new." + email,
    )
    # A new address is used once the link mailed to it is opened (issue 14).
    link = token_of((await h.mails("new." + email))[-1], "/email/confirm")
    page = await v.get(f"/email/confirm?token={link}")
    confirmed = await v.post("/email/confirm", {"csrf_token": token_in(page.text), "token": link})
    assert confirmed.status_code == 200, confirmed.text
    home = await add_address(v, phone)
    h.clock.advance(60)
    work = await add_address(v, phone, line1="2 Office Park", label="Work")
    h.clock.advance(60)
    await change(
        f"/account/addresses/{home}/edit",
        f"/account/addresses/{home}",
        "/account/addresses",
        **{**ADDRESS, "line1": "10 Main St"},
    )
    await change("/account/addresses", f"/account/addresses/{work}/default", "/account/addresses")
    await add_card(v, phone)
    h.clock.advance(60)
    # One code that didn't arrive at once: asked for again after the cooldown.
    sent = await v.submit(
        "/account/payments/new", "/account/payments", **{**CARD, "number": "5555 5555 5555 4444"}
    )
    assert_redirect(sent, "/verify")
    await h.messages(phone)  # delivered, so the resent code is the newest text
    h.clock.advance(31)
    resent = await v.shown(await v.submit("/verify", "/verify/resend"))
    assert "We sent a new code" in resent.text, text_of(resent.text)
    await approve(v, phone, "/account/payments")
    h.clock.advance(60)
    # A new mobile number: a code to the old one, then one to the new one.
    new_phone = h.new_phone()
    sent = await v.submit("/account/security", "/account/security/phone", phone=new_phone)
    assert_redirect(sent, "/verify")
    assert_redirect(await v.enter_code(await h.last_code(phone)), "/verify")
    await approve(v, new_phone, "/account/security")
    phone = new_phone
    h.clock.advance(60)
    await change(
        "/account/security",
        "/account/security/password",
        "/account/security",
        current_password="correct horse battery staple",
        new_password="a completely different passphrase",
    )
    # The other browser was signed out by the new password: it signs in again.
    assert_redirect(
        await other.sign_in("new." + email, password="a completely different passphrase"),
        "/verify",
    )
    assert_redirect(await other.enter_code(await h.last_code(phone)), "/account")
    return len(await h.messages(first)) + len(await h.messages(phone))


async def test_a_busy_hour_for_three_people_behind_one_address_meets_no_limit(
    h: Harness, make_visitor: Callable[..., Visitor]
) -> None:
    """At the default limits (the ``h`` fixture overrides none)."""
    replays: list[Replay] = []

    def browser() -> Visitor:
        visitor = make_visitor(h, peer=HOUSEHOLD_IP)
        replay = Replay(visitor)
        replays.append(replay)
        visitor.client.event_hooks["response"] = [_watch(replay)]
        return visitor

    texts = [
        await busy_hour(h, browser(), browser(), f"{person}@example.com")
        for person in ("ada", "bob", "cy")
    ]
    assert min(texts) >= 13  # each person: thirteen texts (and a notice) within the hour
    assert await h.scalar("SELECT count(*) FROM events WHERE type = 'rate_limited'") == 0
    assert all(code != 429 for replay in replays for code in replay.answers)


async def test_a_number_nobody_has_proven_still_gets_few_codes(
    h: Harness, make_visitor: Callable[..., Visitor]
) -> None:
    """The pumping and bombing cap that stays tight: sign-ups typing one number from many
    addresses text it five times in fifteen minutes, then are refused (S16, S40)."""
    victim = h.new_phone()
    answers = []
    for i in range(6):
        stranger = make_visitor(h, peer=f"192.0.2.{i + 1}")
        answers.append((await stranger.register(f"x{i}@example.com", victim)).status_code)
    assert answers == [303] * 5 + [429]
    assert len(await h.messages(victim)) == 5


def _watch(replay: Replay) -> Callable[[httpx.Response], object]:
    async def hook(response: httpx.Response) -> None:
        replay.seen(response)

    return hook
