"""Every SMS provider by name, in one explicit mapping that mypy checks (no import strings).

``build_provider`` is the only place that reads provider settings: a missing one stops
start-up with a line naming the environment variable, never a traceback from a vendor SDK.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import SecretStr

from otpgate.adapters.sms.base import Provider
from otpgate.adapters.sms.outbox import OutboxProvider
from otpgate.config import Settings

__all__ = ["PROVIDERS", "ProviderFactory", "build_provider", "build_providers"]

ProviderFactory = Callable[[Settings], Provider]


def required_setting(value: str | None, setting: str, provider: str) -> str:
    if not value:
        raise ValueError(f"OTPGATE_{setting} is required for the {provider} provider")
    return value


def secret_value(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def _outbox(settings: Settings) -> Provider:
    return OutboxProvider(settings.outbox_path)


def _twilio(settings: Settings) -> Provider:
    account_sid = required_setting(settings.twilio_account_sid, "TWILIO_ACCOUNT_SID", "twilio")
    auth_token = secret_value(settings.twilio_auth_token)
    key_sid, key_secret = settings.twilio_api_key_sid, secret_value(settings.twilio_api_key_secret)
    if bool(key_sid) != bool(key_secret):
        raise ValueError(
            "OTPGATE_TWILIO_API_KEY_SID and OTPGATE_TWILIO_API_KEY_SECRET go together "
            "for the twilio provider"
        )
    if not (auth_token or key_sid):
        raise ValueError(
            "OTPGATE_TWILIO_AUTH_TOKEN (or OTPGATE_TWILIO_API_KEY_SID and "
            "OTPGATE_TWILIO_API_KEY_SECRET) is required for the twilio provider"
        )
    if not (settings.twilio_from or settings.twilio_messaging_service_sid):
        raise ValueError(
            "OTPGATE_TWILIO_FROM or OTPGATE_TWILIO_MESSAGING_SERVICE_SID is required "
            "for the twilio provider"
        )
    # Vendor SDKs load only where their provider is configured (boto3 alone is ~35 MB).
    from otpgate.adapters.sms.twilio import TwilioProvider

    return TwilioProvider(
        account_sid=account_sid,
        auth_token=auth_token,
        api_key_sid=key_sid,
        api_key_secret=key_secret,
        from_=settings.twilio_from,
        messaging_service_sid=settings.twilio_messaging_service_sid,
        status_callback=settings.twilio_status_callback_url,
        api_base=settings.twilio_api_base,
        timeout=settings.sms_send_timeout_seconds,
    )


def _sns(settings: Settings) -> Provider:
    from otpgate.adapters.sms.sns import SnsProvider

    return SnsProvider(
        region=settings.sns_region,
        endpoint_url=settings.sns_endpoint_url,
        sender_id=settings.sns_sender_id,
        timeout=settings.sms_send_timeout_seconds,
    )


def _webhook(settings: Settings) -> Provider:
    url = required_setting(settings.webhook_url, "WEBHOOK_URL", "webhook")
    secret = required_setting(secret_value(settings.webhook_secret), "WEBHOOK_SECRET", "webhook")
    from otpgate.adapters.sms.webhook import WebhookProvider

    return WebhookProvider(url, secret.encode(), timeout=settings.sms_send_timeout_seconds)


PROVIDERS: dict[str, ProviderFactory] = {
    "outbox": _outbox,
    "twilio": _twilio,
    "sns": _sns,
    "webhook": _webhook,
}


def build_provider(name: str, settings: Settings) -> Provider:
    """The provider called ``name``, configured from ``settings``.

    Raises ``ValueError`` naming the missing setting (or the unknown provider).
    """
    try:
        factory = PROVIDERS[name]
    except KeyError:
        known = ", ".join(PROVIDERS)
        raise ValueError(f"unknown SMS provider {name!r} (known: {known})") from None
    return factory(settings)


def build_providers(settings: Settings) -> dict[str, Provider]:
    """Every provider the ordered list or a route names, by name, each built once."""
    return {name: build_provider(name, settings) for name in settings.sms_route_table.all_providers}
