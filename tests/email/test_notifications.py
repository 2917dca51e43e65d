"""Notices by email (DESIGN §5.7): a sign-in from a browser not seen before, every applied
high-risk change and every factor change; each names what happened, none carries a code, and
each can be turned off. They go only to a confirmed address."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from otpgate.services.ports import RequestContext
from tests.email.mailbox import assert_no_code, token_of
from tests.harness import PASSWORD, Harness, auth


async def confirmed(h: Harness, email: str = "ada@example.com") -> tuple[dict[str, Any], str]:
    """A signed-in account whose address is proven."""
    account, token = await h.signed_in(email)
    link = token_of((await h.mails(email))[0], "/email/confirm")
    await h.runtime.services.mail.confirm(link, RequestContext())
    return account, token


async def sign_in_from(h: Harness, phone: str, agent: str) -> str:
    started = await h.client.post(
        "/api/v1/sessions",
        json={"email": "ada@example.com", "password": PASSWORD},
        headers={"user-agent": agent},
    )
    code = await h.last_code(phone)
    done = await h.client.post(
        f"/api/v1/challenges/{started.json()['challenge']['id']}/verify",
        json={"code": code},
        headers={"user-agent": agent},
    )
    assert done.status_code == 200, done.text
    return code


def subjects(mails: list[dict[str, Any]]) -> list[str]:
    return [m["subject"] for m in mails]


async def test_a_new_browser_is_told_and_a_known_one_is_not(h: Harness) -> None:
    account, _token = await confirmed(h)
    before = len(await h.mails("ada@example.com"))
    await sign_in_from(h, account["phone"], "python-httpx/0")  # not seen: told
    code = await sign_in_from(h, account["phone"], "Firefox/200 (Linux)")
    await sign_in_from(h, account["phone"], "Firefox/200 (Linux)")  # seen now: quiet
    mails = (await h.mails("ada@example.com"))[before:]
    assert subjects(mails) == ["New sign-in to your Shop account"] * 2
    assert "Firefox/200 (Linux)" in mails[-1]["text"]
    assert "https://shop.example/account/devices" in mails[-1]["text"]
    assert_no_code(mails[-1], code)


async def test_changes_and_factor_changes_are_told_in_the_step_ups_words(h: Harness) -> None:
    account, token = await confirmed(h)
    requested = await h.client.patch("/api/v1/me", json={"name": "Ada King"}, headers=auth(token))
    await h.approve(token, requested, account["phone"])
    added = await h.client.post(
        "/api/v1/me/factors", json={"type": "backup_codes"}, headers=auth(token)
    )
    approved = await h.approve(token, added, account["phone"])
    mails = await h.mails("ada@example.com")
    assert subjects(mails[-2:]) == [
        "Your Shop account changed",
        "Your Shop sign-in methods changed",
    ]
    assert 'Change your name to "Ada King"' in mails[-2]["text"]
    # The backup codes shown once are in no mail.
    assert_no_code(mails[-1], *approved["result"]["codes"])


async def test_each_notice_can_be_turned_off(make_harness: Callable[..., Any]) -> None:
    h: Harness = await make_harness(
        notify_new_sign_in=False, notify_changes=False, notify_factor_changes=False
    )
    account, token = await confirmed(h)
    await sign_in_from(h, account["phone"], "Another/1")
    requested = await h.client.patch("/api/v1/me", json={"name": "Ada King"}, headers=auth(token))
    await h.approve(token, requested, account["phone"])
    assert subjects(await h.mails("ada@example.com")) == ["Confirm your email address for Shop"]


async def test_an_unproven_address_gets_no_notice(h: Harness) -> None:
    account, token = await h.signed_in()
    await sign_in_from(h, account["phone"], "Another/1")
    requested = await h.client.patch("/api/v1/me", json={"name": "Ada King"}, headers=auth(token))
    await h.approve(token, requested, account["phone"])
    assert subjects(await h.mails("ada@example.com")) == ["Confirm your email address for Shop"]


async def test_the_dev_mailbox_lists_mail_for_this_machine_only(
    h: Harness, make_visitor: Callable[..., Any]
) -> None:
    await h.signed_in()
    page = await make_visitor(h, peer="127.0.0.1").get("/dev/mail")
    assert page.status_code == 200
    assert "Confirm your email address for Shop" in page.text
    assert "data-link" in page.text
    assert (await make_visitor(h).get("/dev/mail")).status_code == 404


async def test_a_new_number_is_told_by_email_once_it_is_proven(h: Harness) -> None:
    account, token = await confirmed(h)
    new = h.new_phone()
    requested = await h.client.put("/api/v1/me/phone", json={"phone": new}, headers=auth(token))
    step_one = await h.approve(token, requested, account["phone"])
    assert subjects(await h.mails("ada@example.com"))[-1] == "Confirm your email address for Shop"
    second = step_one["next_challenge"]["id"]
    done = await h.verify(second, await h.last_code(new), token=token)
    assert done.status_code == 200
    notice = (await h.mails("ada@example.com"))[-1]
    assert notice["subject"] == "Your Shop account changed"
    assert f"Change your mobile number to +1 ••• ••• ••{new[-2:]}" in notice["text"]
