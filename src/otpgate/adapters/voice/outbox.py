"""The development voice provider: every call becomes one JSON line in a file, like the SMS
outbox (its ``body`` is what the call would say)."""

from __future__ import annotations

from otpgate.adapters.sms.outbox import OutboxProvider


class VoiceOutboxProvider(OutboxProvider):
    name = "voice-outbox"

    async def check(self) -> str:
        line = await super().check()
        return "voice-" + line
