"""The development provider: every message becomes one JSON line in a file (DESIGN §6)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from otpgate.domain.errors import DeliveryError

MAX_LISTED = 200


class OutboxProvider:
    name = "outbox"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = asyncio.Lock()

    async def send(self, to: str, body: str, *, message_id: str, purpose: str) -> str:
        line = json.dumps(
            {
                "id": message_id,
                "to": to,
                "body": body,
                "purpose": purpose,
                "created_at": datetime.now(UTC).isoformat(),
            }
        )
        async with self._lock:
            try:
                await asyncio.to_thread(self._append, line)
            except OSError as exc:
                # Disk full, a directory that is a file, no permission: say which and where.
                where = f" ({exc.filename})" if exc.filename else ""
                raise DeliveryError(f"outbox file not writable: {exc.strerror}{where}") from exc
        return message_id

    def _append(self, line: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")

    async def check(self) -> str:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return f"outbox: cannot create {self.path.parent}: {exc.strerror}"
        return f"outbox: writing to {self.path}"

    async def aclose(self) -> None:
        return None

    def read(self, limit: int = MAX_LISTED) -> list[dict[str, Any]]:
        """The newest ``limit`` messages, newest first (for the /dev/sms page)."""
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()[-limit:]
        messages = []
        for line in reversed(lines):
            try:
                messages.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return messages
