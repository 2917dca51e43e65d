"""Mail through an SMTP server (aiosmtplib): STARTTLS and login when configured.

Every header is built by the standard library's ``EmailMessage`` under the SMTP policy, from
values that are one line already (``domain.mail``), and the library refuses a header value
holding CR or LF besides: no value can add a header or start the body. Vendor errors are
mapped at this edge; their messages never carry the address or the body.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid

import aiosmtplib

from otpgate.domain.errors import DeliveryError, PermanentDeliveryError
from otpgate.domain.mail import Mail, header_safe


class SmtpProvider:
    name = "smtp"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        tls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = header_safe(sender)
        self.username = username
        self.password = password
        # Implicit TLS (port 465) or STARTTLS (587); never both.
        self.tls = tls
        self.starttls = starttls and not tls
        self.timeout = timeout

    def build(self, to: str, mail: Mail, message_id: str) -> EmailMessage:
        message = EmailMessage(policy=SMTP)
        message["From"] = self.sender
        message["To"] = header_safe(to)
        message["Subject"] = mail.subject
        message["Date"] = formatdate(usegmt=True)
        domain = self.sender.rpartition("@")[2].strip(" >") or None
        # Our id in the Message-ID: a retried send is recognisable as the same mail.
        message["Message-ID"] = make_msgid(idstring=message_id, domain=domain)
        message.set_content(mail.text)
        message.add_alternative(mail.html, subtype="html")
        return message

    async def send(self, to: str, body: str, *, message_id: str, purpose: str) -> str:
        try:
            mail = Mail.decode(body)
        except ValueError as exc:
            raise PermanentDeliveryError("not a mail") from exc
        message = self.build(to, mail, message_id)
        try:
            await aiosmtplib.send(
                message,
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                start_tls=self.starttls,
                use_tls=self.tls,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise PermanentDeliveryError("the mail server refused the recipient") from exc
        except aiosmtplib.SMTPResponseException as exc:
            # 5xx: this will not work later either; 4xx: try again.
            if 500 <= exc.code < 600:
                raise PermanentDeliveryError(
                    f"the mail server refused the mail ({exc.code})"
                ) from exc
            raise DeliveryError(f"the mail server answered {exc.code}") from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"mail server unreachable ({type(exc).__name__})") from exc
        # The ledger keeps 100 characters of a provider's id.
        return str(message["Message-ID"])[:100]

    async def check(self) -> str:
        try:
            client = aiosmtplib.SMTP(
                hostname=self.host,
                port=self.port,
                timeout=self.timeout,
                start_tls=self.starttls,
                use_tls=self.tls,
            )
            await client.connect()
            await client.quit()
        except (aiosmtplib.SMTPException, OSError) as exc:
            return f"smtp: {self.host}:{self.port} unreachable ({type(exc).__name__})"
        return f"smtp: {self.host}:{self.port} answers"

    async def aclose(self) -> None:
        return None
