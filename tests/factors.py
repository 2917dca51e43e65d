"""Enrolling factors through the API, as an integrator would: shared by the factor tests."""

from __future__ import annotations

import re
from typing import Any

import pyotp

from tests.harness import Harness, auth

CALL_DIGITS = re.compile(r"is: ((?:\d\. )+)")


def code_of_call(body: str) -> str:
    """The code a call reads out ("... is: 1. 2. 3. 4. 5. 6. Again, ..."), checking that it
    is read twice and the same both times."""
    readings = [reading.replace(".", "").replace(" ", "") for reading in CALL_DIGITS.findall(body)]
    assert len(readings) == 2 and readings[0] == readings[1], body
    return readings[0]


def totp_now(h: Harness, secret: str) -> str:
    """The code an authenticator app shows at the harness' time."""
    return pyotp.TOTP(secret).at(int(h.clock.now().timestamp()))


async def add_factor(h: Harness, token: str, phone: str, **body: Any) -> dict[str, Any]:
    """POST /me/factors and approve the step-up with the texted code; the verify's result."""
    requested = await h.client.post("/api/v1/me/factors", json=body, headers=auth(token))
    result: dict[str, Any] = (await h.approve(token, requested, phone))["result"]
    return result


async def enrol_totp(h: Harness, token: str, phone: str, label: str = "My phone") -> dict[str, Any]:
    """Add an authenticator app and confirm it with its first code; the step-up's result
    (``factor``, ``secret``, ...). The clock moves on a step, so the next code is new."""
    added = await add_factor(h, token, phone, type="totp", label=label)
    confirmed = await h.client.post(
        f"/api/v1/me/factors/{added['factor']['id']}/confirm",
        json={"code": totp_now(h, added["secret"])},
        headers=auth(token),
    )
    assert confirmed.status_code == 200, confirmed.text
    h.clock.advance(30)
    return added


async def factors_of(h: Harness, token: str) -> list[dict[str, Any]]:
    listed = await h.client.get("/api/v1/me/factors", headers=auth(token))
    assert listed.status_code == 200, listed.text
    found: list[dict[str, Any]] = listed.json()["factors"]
    return found


async def sign_in_challenge(h: Harness, email: str = "ada@example.com") -> dict[str, Any]:
    started = await h.start_sign_in(email)
    assert started.status_code == 202, started.text
    challenge: dict[str, Any] = started.json()["challenge"]
    return challenge
