"""An app under test: real storage, real limiter, the outbox provider, a clock we move."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from otpgate.bootstrap import Runtime
from otpgate.config import Settings
from otpgate.domain.clock import ManualClock
from tests.texts import CODE_LINE, code_of

PASSWORD = "correct horse battery staple"


@dataclass
class Harness:
    app: FastAPI
    client: httpx.AsyncClient
    clock: ManualClock
    settings: Settings
    phones_used: int = 0

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    # -- SMS -----------------------------------------------------------------------------

    async def messages(self, to: str | None = None) -> list[dict[str, Any]]:
        """Every message delivered so far (oldest first), optionally only those to ``to``."""
        await self.runtime.dispatcher.drain()
        path = self.settings.outbox_path
        if not path.exists():
            return []
        found = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        return [m for m in found if to is None or m["to"] == to]

    async def calls(self, to: str) -> list[dict[str, Any]]:
        """Every call placed to ``to`` so far (the voice outbox), oldest first."""
        await self.runtime.dispatcher.drain()
        path = self.settings.voice_outbox_path
        if not path.exists():
            return []
        found = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        return [m for m in found if m["to"] == to]

    async def mails(self, to: str | None = None) -> list[dict[str, Any]]:
        """Every mail delivered so far through the mail outbox (oldest first)."""
        await self.runtime.dispatcher.drain()
        path = self.settings.mail_outbox_path
        if not path.exists():
            return []
        found = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        return [m for m in found if to is None or m["to"] == to]

    async def last_code(self, to: str) -> str:
        """The code of the newest text to ``to`` that carries one (notices carry none)."""
        sent = [m for m in await self.messages(to) if CODE_LINE.match(m["body"].splitlines()[-1])]
        assert sent, f"no SMS with a code was sent to {to}"
        return code_of(sent[-1]["body"])

    # -- accounts ------------------------------------------------------------------------

    def new_phone(self) -> str:
        """A distinct valid US mobile-or-fixed number per call (per-number limits stay apart)."""
        self.phones_used += 1
        return f"+1415555{2600 + self.phones_used:04d}"

    async def register(
        self, email: str = "ada@example.com", phone: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        phone = phone or self.new_phone()
        body = {"name": "Ada Lovelace", "email": email, "password": PASSWORD, "phone": phone}
        body.update(extra)
        response = await self.client.post("/api/v1/accounts", json=body)
        assert response.status_code == 202, response.text
        data: dict[str, Any] = response.json()
        data["phone"] = phone
        return data

    async def verify(
        self, challenge_id: str, code: str, *, token: str | None = None, **extra: Any
    ) -> httpx.Response:
        """POST a code to the challenge (as the session ``token`` when given)."""
        return await self.client.post(
            f"/api/v1/challenges/{challenge_id}/verify",
            json={"code": code, **extra},
            headers=auth(token) if token else None,
        )

    async def approve(self, token: str, requested: httpx.Response, phone: str) -> Any:
        """A step-up asked for (``requested`` is its 202): enter the code texted to ``phone``;
        the verify's JSON."""
        assert requested.status_code == 202, requested.text
        challenge = requested.json()["challenge"]
        assert challenge["purpose"] == "step_up"
        verified = await self.verify(challenge["id"], await self.last_code(phone), token=token)
        assert verified.status_code == 200, verified.text
        return verified.json()

    async def registered_account(
        self, email: str = "ada@example.com", phone: str | None = None
    ) -> dict[str, Any]:
        """Register and confirm the number; returns ids, phone and the first session token."""
        data = await self.register(email, phone)
        code = await self.last_code(data["phone"])
        response = await self.verify(data["challenge"]["id"], code)
        assert response.status_code == 200, response.text
        data["token"] = response.json()["session"]["token"]
        return data

    async def start_sign_in(self, email: str = "ada@example.com", **extra: Any) -> httpx.Response:
        return await self.client.post(
            "/api/v1/sessions", json={"email": email, "password": PASSWORD, **extra}
        )

    async def signed_in(self, email: str = "ada@example.com") -> tuple[dict[str, Any], str]:
        """A confirmed account and a fresh session token from a full sign-in."""
        account = await self.registered_account(email)
        response = await self.start_sign_in(email)
        assert response.status_code == 202, response.text
        challenge = response.json()["challenge"]
        code = await self.last_code(account["phone"])
        verified = await self.verify(challenge["id"], code)
        assert verified.status_code == 200, verified.text
        return account, verified.json()["session"]["token"]

    # -- database --------------------------------------------------------------------------

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.runtime.store.engine.connect() as conn:
            return (await conn.execute(text(sql), params)).scalar()

    async def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        async with self.runtime.store.engine.connect() as conn:
            return [dict(r) for r in (await conn.execute(text(sql), params)).mappings()]


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def outbox_path(tmp: Path) -> Path:
    return tmp / "sms-outbox.jsonl"
