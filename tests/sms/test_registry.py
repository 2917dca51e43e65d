"""The provider registry: every configured name builds, missing settings say which."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from otpgate.adapters.sms.outbox import OutboxProvider
from otpgate.adapters.sms.registry import PROVIDERS, build_provider
from otpgate.adapters.sms.sns import SnsProvider
from otpgate.adapters.sms.twilio import TwilioProvider
from otpgate.adapters.sms.webhook import WebhookProvider
from otpgate.config import SMS_PROVIDER_NAMES, Settings

from .conftest import ACCOUNT_SID, API_KEY_SECRET, API_KEY_SID, AUTH_TOKEN, FROM_NUMBER

MakeSettings = Callable[..., Settings]
TWILIO_OK = {
    "twilio_account_sid": ACCOUNT_SID,
    "twilio_auth_token": AUTH_TOKEN,
    "twilio_from": FROM_NUMBER,
}


def test_every_name_the_settings_accept_is_registered() -> None:
    assert set(PROVIDERS) == set(SMS_PROVIDER_NAMES)


@pytest.mark.parametrize(
    ("name", "options", "kind"),
    [
        ("outbox", {}, OutboxProvider),
        ("twilio", TWILIO_OK, TwilioProvider),
        ("sns", {}, SnsProvider),
        ("webhook", {"webhook_url": "https://h.test/sms", "webhook_secret": "s"}, WebhookProvider),
    ],
)
async def test_builds_each_provider(
    make_settings: MakeSettings, name: str, options: dict[str, Any], kind: type
) -> None:
    provider = build_provider(name, make_settings(**options))
    try:
        assert isinstance(provider, kind)
        assert provider.name == name
    finally:
        await provider.aclose()


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        (
            "twilio",
            {**TWILIO_OK, "twilio_account_sid": None},
            "OTPGATE_TWILIO_ACCOUNT_SID is required for the twilio provider",
        ),
        (
            "twilio",
            {**TWILIO_OK, "twilio_auth_token": None},
            "OTPGATE_TWILIO_AUTH_TOKEN (or OTPGATE_TWILIO_API_KEY_SID and "
            "OTPGATE_TWILIO_API_KEY_SECRET) is required for the twilio provider",
        ),
        (
            "twilio",
            {**TWILIO_OK, "twilio_api_key_sid": API_KEY_SID},
            "OTPGATE_TWILIO_API_KEY_SID and OTPGATE_TWILIO_API_KEY_SECRET go together "
            "for the twilio provider",
        ),
        (
            "twilio",
            {**TWILIO_OK, "twilio_from": None},
            "OTPGATE_TWILIO_FROM or OTPGATE_TWILIO_MESSAGING_SERVICE_SID is required "
            "for the twilio provider",
        ),
        (
            "webhook",
            {"webhook_secret": "s"},
            "OTPGATE_WEBHOOK_URL is required for the webhook provider",
        ),
        (
            "webhook",
            {"webhook_url": "https://h.test/sms"},
            "OTPGATE_WEBHOOK_SECRET is required for the webhook provider",
        ),
        ("carrier-pigeon", {}, "unknown SMS provider 'carrier-pigeon'"),
    ],
)
def test_missing_settings_are_named(
    make_settings: MakeSettings, name: str, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        build_provider(name, make_settings(**options))


async def test_api_key_alone_is_enough_for_twilio(make_settings: MakeSettings) -> None:
    settings = make_settings(
        **{**TWILIO_OK, "twilio_auth_token": None},
        twilio_api_key_sid=API_KEY_SID,
        twilio_api_key_secret=API_KEY_SECRET,
    )
    provider = build_provider("twilio", settings)
    await provider.aclose()
