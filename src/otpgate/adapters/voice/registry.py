"""Every voice provider by name, in one explicit mapping (like ``adapters/sms/registry.py``).
A missing setting stops start-up with a line naming it."""

from __future__ import annotations

from collections.abc import Callable

from otpgate.adapters.sms.base import Provider
from otpgate.adapters.sms.registry import required_setting, secret_value
from otpgate.adapters.voice.outbox import VoiceOutboxProvider
from otpgate.config import Settings

__all__ = ["VOICE_PROVIDERS", "build_voice_provider", "build_voice_providers"]


def _outbox(settings: Settings) -> Provider:
    return VoiceOutboxProvider(settings.voice_outbox_path)


def _twilio(settings: Settings) -> Provider:
    account_sid = required_setting(
        settings.twilio_account_sid, "TWILIO_ACCOUNT_SID", "twilio-voice"
    )
    caller = settings.twilio_voice_from or settings.twilio_from
    from otpgate.adapters.voice.twilio import TwilioVoiceProvider  # the SDK only if used

    return TwilioVoiceProvider(
        account_sid=account_sid,
        auth_token=secret_value(settings.twilio_auth_token),
        api_key_sid=settings.twilio_api_key_sid,
        api_key_secret=secret_value(settings.twilio_api_key_secret),
        from_=required_setting(caller, "TWILIO_VOICE_FROM (or TWILIO_FROM)", "twilio-voice"),
        api_base=settings.twilio_api_base,
        timeout=settings.sms_send_timeout_seconds,
    )


VOICE_PROVIDERS: dict[str, Callable[[Settings], Provider]] = {
    "voice-outbox": _outbox,
    "twilio-voice": _twilio,
}


def build_voice_provider(name: str, settings: Settings) -> Provider:
    try:
        factory = VOICE_PROVIDERS[name]
    except KeyError:
        known = ", ".join(VOICE_PROVIDERS)
        raise ValueError(f"unknown voice provider {name!r} (known: {known})") from None
    return factory(settings)


def build_voice_providers(settings: Settings) -> dict[str, Provider]:
    """The configured voice providers, by name (none when calls are off)."""
    return {name: build_voice_provider(name, settings) for name in settings.voice_provider_order}
