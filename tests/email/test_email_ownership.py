"""Email ownership (DESIGN §5.7, S57): an address is used only once a link sent to it is
opened; a changed address waits in ``pending_email``; whether an address is taken changes
nothing in the answers a signed-in customer sees."""

from __future__ import annotations

from tests.email.mailbox import assert_no_code, token_of
from tests.harness import Harness, auth
from tests.pages.conftest import Visitor, token_in


async def confirm(visitor: Visitor, token: str) -> str:
    page = await visitor.get(f"/email/confirm?token={token}")
    assert page.status_code == 200, page.text
    done = await visitor.post("/email/confirm", {"csrf_token": token_in(page.text), "token": token})
    return done.text


async def test_s57_registering_mails_a_link_and_only_opening_it_proves_the_address(
    h: Harness, visitor: Visitor
) -> None:
    account, token = await h.signed_in()
    me = (await h.client.get("/api/v1/me", headers=auth(token))).json()
    assert me["email_verified"] is False
    [mail] = await h.mails("ada@example.com")
    assert mail["subject"] == "Confirm your email address for Shop"
    assert_no_code(mail, await h.last_code(account["phone"]))
    link = token_of(mail, "/email/confirm")
    # Opening the link (a mail scanner does) changes nothing: GET never changes state (S32).
    assert (await visitor.get(f"/email/confirm?token={link}")).status_code == 200
    me = (await h.client.get("/api/v1/me", headers=auth(token))).json()
    assert me["email_verified"] is False
    assert "Email address confirmed" in await confirm(visitor, link)
    me = (await h.client.get("/api/v1/me", headers=auth(token))).json()
    assert me["email_verified"] is True
    # Single use.
    assert (await visitor.get(f"/email/confirm?token={link}")).status_code == 404
    events = (await h.client.get("/api/v1/me/events", headers=auth(token))).json()["events"]
    assert "email.confirmed" in [e["type"] for e in events]
    # The token is stored only as a hash; the outbox row shows the subject, never the link.
    stored = await h.rows("SELECT body_redacted FROM messages WHERE channel = 'email'")
    assert all(link not in row["body_redacted"] for row in stored)


async def test_a_link_expires_and_a_foreign_post_is_refused(h: Harness, visitor: Visitor) -> None:
    await h.signed_in()
    link = token_of((await h.mails("ada@example.com"))[0], "/email/confirm")
    page = await visitor.get(f"/email/confirm?token={link}")
    refused = await visitor.post(
        "/email/confirm",
        {"csrf_token": token_in(page.text), "token": link},
        headers={"origin": "https://evil.example"},
    )
    assert refused.status_code == 403
    h.clock.advance(24 * 3600 + 1)
    assert (await visitor.get(f"/email/confirm?token={link}")).status_code == 404


async def test_a_changed_email_waits_for_its_link_and_the_old_address_is_told(
    h: Harness, visitor: Visitor
) -> None:
    account, token = await h.signed_in()
    await confirm(visitor, token_of((await h.mails("ada@example.com"))[0], "/email/confirm"))
    requested = await h.client.patch(
        "/api/v1/me", json={"email": "ada.king@example.org"}, headers=auth(token)
    )
    done = await h.approve(token, requested, account["phone"])
    assert done["result"]["email"] == "ada@example.com"
    assert done["result"]["pending_email"] == "ada.king@example.org"
    # The old, confirmed address hears of the change at once (change_applied).
    notice = (await h.mails("ada@example.com"))[-1]
    assert notice["subject"] == "Your Shop account changed"
    assert 'Change your email to "ada.king@example.org"' in notice["text"]
    [mail] = await h.mails("ada.king@example.org")
    assert "Email address confirmed" in await confirm(visitor, token_of(mail, "/email/confirm"))
    me = (await h.client.get("/api/v1/me", headers=auth(token))).json()
    assert (me["email"], me["email_verified"], me["pending_email"]) == (
        "ada.king@example.org",
        True,
        None,
    )
    told = (await h.mails("ada@example.com"))[-1]
    assert told["subject"] == "Your Shop email address was changed"
    assert "ada.king@example.org" in told["text"]


async def test_a_taken_address_answers_like_a_free_one_and_gets_no_link(h: Harness) -> None:
    """The ``email_unavailable`` probe is gone: a signed-in customer can't learn whether an
    address has an account."""
    await h.registered_account("bob@example.com")
    account, token = await h.signed_in()
    answers = []
    for address in ("bob@example.com", "nobody@example.com"):
        requested = await h.client.patch("/api/v1/me", json={"email": address}, headers=auth(token))
        done = await h.approve(token, requested, account["phone"])
        answers.append(
            (requested.status_code, done["challenge"]["status"], done["result"]["email"])
        )
        assert done["result"]["pending_email"] == address
    assert answers[0] == answers[1]
    assert [m["subject"] for m in await h.mails("bob@example.com")] == [
        "Confirm your email address for Shop"  # bob's own registration, nothing more
    ]
    assert len(await h.mails("nobody@example.com")) == 1


async def test_a_link_to_an_address_taken_meanwhile_changes_nothing(
    h: Harness, visitor: Visitor
) -> None:
    account, token = await h.signed_in()
    requested = await h.client.patch(
        "/api/v1/me", json={"email": "carol@example.com"}, headers=auth(token)
    )
    await h.approve(token, requested, account["phone"])
    link = token_of((await h.mails("carol@example.com"))[0], "/email/confirm")
    await h.registered_account("carol@example.com")
    assert "can't be used" in await confirm(visitor, link)
    me = (await h.client.get("/api/v1/me", headers=auth(token))).json()
    assert me["email"] == "ada@example.com"


async def test_sending_the_link_again_is_limited(h: Harness, visitor: Visitor) -> None:
    await visitor.signed_up("ada@example.com")
    for _ in range(4):
        await visitor.submit("/account/security", "/account/security/email/resend")
    # The first link and three more; the fourth press waits.
    assert len(await h.mails("ada@example.com")) == 4
    page = (await visitor.get("/account/security")).text
    assert "Send the link again" in page
