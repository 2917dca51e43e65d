"""Every mail provider by name, in one explicit mapping (like ``adapters/sms/registry.py``)."""

from __future__ import annotations

from collections.abc import Callable

from otpgate.adapters.email.outbox import MailOutboxProvider
from otpgate.adapters.email.smtp import SmtpProvider
from otpgate.adapters.sms.base import Provider
from otpgate.config import Settings

__all__ = ["MAIL_PROVIDERS", "build_mail_providers"]


def _outbox(settings: Settings) -> Provider:
    return MailOutboxProvider(settings.mail_outbox_path)


def _smtp(settings: Settings) -> Provider:
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return SmtpProvider(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.mail_sender,
        username=settings.smtp_username,
        password=password,
        starttls=settings.smtp_starttls,
        tls=settings.smtp_tls,
        timeout=settings.smtp_timeout_seconds,
    )


MAIL_PROVIDERS: dict[str, Callable[[Settings], Provider]] = {
    "mail-outbox": _outbox,
    "smtp": _smtp,
}


def build_mail_providers(settings: Settings) -> dict[str, Provider]:
    """The configured mail provider, by name."""
    name = settings.mail_provider
    return {name: MAIL_PROVIDERS[name](settings)}
