"""Issue 15, point 2: a limit or a pause is said inside the page's own layout, in plain
words, with the exact time it ends; never a bare error page."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.requests import Request

from otpgate.web.pages.errors import render_error
from tests.harness import Harness
from tests.pages.conftest import Visitor, alerts
from tests.pages.steps import add_address, add_card, heading
from tests.texts import text_of, wrong_code

TIME = re.compile(r'<time datetime="([0-9T:Z-]+)" data-local="time">(\d\d:\d\d) UTC</time>')


def ends(h: Harness, seconds: int) -> datetime:
    """The minute a pause of ``seconds`` from now ends (shown rounded up)."""
    end = h.clock.now().astimezone(UTC) + timedelta(seconds=seconds)
    return end.replace(second=0) + timedelta(minutes=1) if end.second else end


def shown_time(html: str) -> datetime:
    match = TIME.search(html)
    assert match, "no local <time> in the page"
    moment = datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert match.group(2) == moment.strftime("%H:%M")
    return moment


@pytest.fixture
async def h(make_harness: Callable[..., Any]) -> Harness:
    harness: Harness = await make_harness(
        limit_send_account="3/hour", limit_password_account="100/minute"
    )
    return harness


async def test_a_send_limit_on_a_list_action_stays_in_the_account_layout(
    h: Harness, visitor: Visitor
) -> None:
    """Make default / Remove let the limit through to a bare "ERROR 429" page before."""
    phone = await visitor.signed_up("ada@example.com")
    await add_address(visitor, phone)
    card = await add_card(visitor, phone)
    await add_address(visitor, phone, line1="2 Office Park")  # the account's 3rd text
    refused = await visitor.submit("/account/payments", f"/account/payments/{card}/delete")
    assert refused.status_code == 429
    assert heading(refused.text) == "Your payments"
    assert 'aria-label="Your account"' in refused.text  # the account navigation is kept
    assert "Error 429" not in refused.text and "Too many requests" not in refused.text
    [alert] = alerts(refused.text)
    assert alert.startswith(
        "We've sent a lot of codes in a short time, so we can't send another one yet. "
    )
    text = text_of(refused.text)
    assert "You can ask for a new code at " in text
    assert shown_time(refused.text) == ends(h, 3600)
    # The same words on a form that sends a code (inside its own page too).
    new = "+14155559999"
    form = await visitor.submit("/account/security", "/account/security/phone", phone=new)
    assert form.status_code == 429 and heading(form.text) == "Login & security"
    assert "You can ask for a new code at" in text_of(form.text)


async def test_the_account_pause_says_when_codes_work_again(
    make_harness: Callable[..., Any], make_visitor: Callable[..., Visitor]
) -> None:
    h: Harness = await make_harness(code_failure_streak_limit=3)
    visitor = make_visitor(h)
    phone = await visitor.signed_up("ada@example.com")
    await visitor.sign_out()
    await visitor.sign_in("ada@example.com")
    wrong = wrong_code(await h.last_code(phone))
    for _ in range(3):  # the third in a row pauses the account's codes
        await visitor.enter_code(wrong)
    page = await visitor.shown(await visitor.enter_code(wrong))
    paused = text_of(page.text)
    assert "codes are paused for your security. Codes work again at" in paused, paused
    assert shown_time(page.text) == ends(h, h.settings.code_lockout_seconds)
    # Signing in again says the same, with the same time.
    again = await visitor.sign_in("ada@example.com")
    assert again.status_code == 429
    assert "Codes work again at" in text_of(again.text)
    assert shown_time(again.text) == ends(h, h.settings.code_lockout_seconds)


async def test_a_limit_no_page_caught_gets_its_own_page_in_the_layout(h: Harness) -> None:
    """The last resort (web/pages/errors.py): plain words, the time it ends, the account
    navigation for a browser with a session cookie; never "Error 429"."""

    def request(cookie: str) -> Request:
        return Request(
            {
                "type": "http",
                "method": "POST",
                "path": "/account/anything",
                "headers": [(b"cookie", cookie.encode())],
                "app": h.app,
            }
        )

    session = request("__Host-otpgate_session=x")
    signed_in = render_error(session, 429, headers={"Retry-After": "600"})
    html = signed_in.body.decode()
    assert signed_in.status_code == 429 and signed_in.headers["retry-after"] == "600"
    assert "Error 429" not in html and "Too many requests" not in html
    assert 'aria-label="Your account"' in html
    assert "You can try again at" in text_of(html)
    assert shown_time(html) == ends(h, 600)
    anonymous = render_error(request(""), 429, headers={"Retry-After": "60"})
    assert 'aria-label="Your account"' not in anonymous.body.decode()
    assert "Please wait a little" in text_of(anonymous.body.decode())
