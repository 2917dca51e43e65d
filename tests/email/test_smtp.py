"""The email channel through a real SMTP server on loopback (aiosmtpd): what it receives, and
headers no value can shape (S41)."""

from __future__ import annotations

import email
import socket
from collections.abc import Callable, Iterator
from email.message import Message
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SmtpServer
from aiosmtpd.smtp import Envelope, Session

from otpgate.adapters.email.smtp import SmtpProvider
from otpgate.domain.errors import DeliveryError
from otpgate.domain.mail import Mail, compose
from otpgate.services.ports import RequestContext
from tests.email.mailbox import CODE_LIKE, LINK
from tests.harness import Harness, auth


class Inbox:
    """An aiosmtpd handler that keeps what it is sent."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], Message]] = []

    async def handle_DATA(self, server: SmtpServer, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        parsed = email.message_from_bytes(content, policy=default)
        self.received.append((envelope.mail_from or "", list(envelope.rcpt_tos), parsed))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def text_of(message: Message) -> str:
    part = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    assert part is not None
    return str(part.get_content())


async def test_registration_mails_its_link_through_smtp(
    make_harness: Callable[..., Any], smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    h: Harness = await make_harness(
        mail_provider="smtp", smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False
    )
    account, token = await h.signed_in()
    await h.runtime.dispatcher.drain()
    [(sender, rcpts, message)] = inbox.received
    assert (sender, rcpts) == ("no-reply@shop.example", ["ada@example.com"])
    assert message["From"] == "Shop <no-reply@shop.example>"
    assert message["Subject"] == "Confirm your email address for Shop"
    assert message.is_multipart()
    body = text_of(message)
    [link] = LINK.findall(body)
    assert link.startswith("https://shop.example/email/confirm?token=")
    assert not CODE_LIKE.search(LINK.sub("", body))
    html = message.get_body(preferencelist=("html",))  # type: ignore[attr-defined]
    assert html is not None and "Confirm this address" in html.get_content()
    # The delivery ledger has it as sent, by the smtp provider.
    rows = await h.rows("SELECT status, provider FROM messages WHERE channel = 'email'")
    assert rows == [{"status": "sent", "provider": "smtp"}]
    # Once the address is proven, a change applied is told in the step-up's own words,
    # escaped in the HTML part.
    await h.runtime.services.mail.confirm(link.rsplit("=", 1)[1], RequestContext())
    requested = await h.client.patch(
        "/api/v1/me", json={"name": "Ada <b>&</b> Lovelace"}, headers=auth(token)
    )
    await h.approve(token, requested, account["phone"])
    await h.runtime.dispatcher.drain()
    notice = inbox.received[-1][2]
    assert notice["Subject"] == "Your Shop account changed"
    assert 'Change your name to "Ada <b>&</b> Lovelace"' in text_of(notice)
    html = notice.get_body(preferencelist=("html",))  # type: ignore[attr-defined]
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in html.get_content() and "<b>" not in html.get_content()


def test_s41_no_value_can_add_a_header() -> None:
    provider = SmtpProvider(
        host="127.0.0.1", port=1, sender="Shop <no-reply@shop.example>\r\nBcc: x@evil.example"
    )
    mail = Mail(subject="Hello\r\nBcc: victim@evil.example\r\n\r\nbody", text="t", html="<p>t</p>")
    built = provider.build("ada@example.com\r\nCc: y@evil.example", mail, "email_1")
    raw = built.as_bytes()
    headers = raw.split(b"\r\n\r\n", 1)[0]
    for line in headers.split(b"\r\n"):
        assert not line.lower().startswith((b"bcc:", b"cc:")), line
    assert built["Subject"] == "Hello Bcc: victim@evil.example body"


def test_user_text_is_escaped_in_the_html_part() -> None:
    mail = compose("Hi", ['Name "<script>alert(1)</script>"'], [("Open", "https://x/?a=1&b=<2>")])
    assert "<script>" not in mail.html and "&lt;script&gt;" in mail.html
    assert 'href="https://x/?a=1&amp;b=&lt;2&gt;"' in mail.html


async def test_an_unreachable_server_is_a_temporary_delivery_error() -> None:
    provider = SmtpProvider(
        host="127.0.0.1", port=free_port(), sender="a@b.example", starttls=False, timeout=2
    )
    with pytest.raises(DeliveryError):
        await provider.send(
            "ada@example.com", compose("s", ["t"]).encode(), message_id="m", purpose="notice"
        )


async def test_every_notice_goes_through_smtp_and_none_carries_a_code(
    make_harness: Callable[..., Any], smtp: tuple[Inbox, int]
) -> None:
    """new_sign_in, change_applied, factor_changed and each recovery mail, as the SMTP server
    receives them."""
    from tests.email.test_notifications import sign_in_from

    inbox, port = smtp
    h: Harness = await make_harness(
        mail_provider="smtp", smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False
    )
    account, token = await h.signed_in()
    await h.runtime.dispatcher.drain()
    [link] = LINK.findall(text_of(inbox.received[0][2]))
    await h.runtime.services.mail.confirm(link.rsplit("=", 1)[1], RequestContext())
    codes = [await sign_in_from(h, account["phone"], "Another browser/1")]
    added = await h.client.post(
        "/api/v1/me/factors", json={"type": "backup_codes"}, headers=auth(token)
    )
    approved = await h.approve(token, added, account["phone"])
    codes += approved["result"]["codes"]
    started = await h.start_sign_in()
    codes.append(await h.last_code(account["phone"]))
    recovery = h.runtime.services.recovery
    await recovery.request(started.json()["challenge"]["id"], RequestContext())
    await h.runtime.dispatcher.drain()
    asked = text_of(inbox.received[-1][2])
    start = next(url for url in LINK.findall(asked) if "/recovery/start" in url)
    cancel = next(url for url in LINK.findall(asked) if "/recovery/cancel" in url)
    await recovery.start(start.rsplit("=", 1)[1], RequestContext())
    await recovery.cancel(cancel.rsplit("=", 1)[1], RequestContext())
    await h.runtime.dispatcher.drain()
    # (mails handed over together may arrive in either order)
    assert sorted(message["Subject"] for _, _, message in inbox.received) == sorted(
        [
            "Confirm your email address for Shop",
            "New sign-in to your Shop account",
            "Your Shop sign-in methods changed",
            "Recover your Shop account?",
            "Recovery of your Shop account has started",
            "Recovery of your Shop account was canceled",
        ]
    )
    for _, rcpts, message in inbox.received:
        assert rcpts == ["ada@example.com"]
        body = text_of(message)
        assert not CODE_LIKE.search(LINK.sub("", body)), body
        assert not any(code in body for code in codes)
