"""The development mail provider: every mail becomes one JSON line (DESIGN §6), read at
``/dev/mail``: ``{"id", "to", "subject", "text", "created_at"}`` (and ``html``)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from otpgate.adapters.sms.outbox import OutboxProvider
from otpgate.domain.errors import DeliveryError, PermanentDeliveryError
from otpgate.domain.mail import Mail


class MailOutboxProvider(OutboxProvider):
    name = "mail-outbox"

    async def send(self, to: str, body: str, *, message_id: str, purpose: str) -> str:
        try:
            mail = Mail.decode(body)
        except ValueError as exc:
            raise PermanentDeliveryError("not a mail") from exc
        line = json.dumps(
            {
                "id": message_id,
                "to": to,
                "subject": mail.subject,
                "text": mail.text,
                "html": mail.html,
                "purpose": purpose,
                "created_at": datetime.now(UTC).isoformat(),
            },
            ensure_ascii=False,
        )
        async with self._lock:
            await self._write(line)
        return message_id

    async def _write(self, line: str) -> None:
        try:
            await asyncio.to_thread(self._append, line)
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            raise DeliveryError(f"mail outbox not writable: {exc.strerror}{where}") from exc

    async def check(self) -> str:
        return "mail-" + await super().check()
