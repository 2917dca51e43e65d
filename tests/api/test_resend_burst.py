"""S16 + S44: a burst of resends of one challenge sends one code and spends one send.

The review sent 20 parallel resends: 1 SMS went out, 16 were refused by the number's send cap,
and that number then got no code for the whole window. Only a resend that really queues a
message counts against the caps now.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import httpx
import pytest

from otpgate.web.app import create_app
from tests.harness import Harness


async def burst(clients: list[httpx.AsyncClient], url: str, count: int) -> list[int]:
    responses = await asyncio.gather(*(clients[i % len(clients)].post(url) for i in range(count)))
    for response in responses:
        assert response.headers["content-type"].startswith("application/")
        if response.status_code == 429:
            assert response.json()["code"] == "resend_too_soon"
            assert int(response.headers["retry-after"]) >= 1
    return [response.status_code for response in responses]


async def test_twenty_parallel_resends_send_once_and_the_number_still_gets_codes(
    h: Harness,
) -> None:
    """S16/S44: 20 parallel resends: one new code; after the cooldown the next one goes too,
    and a new sign-in still texts a code (main left the number without codes)."""
    account = await h.registered_account()
    phone = account["phone"]
    challenge = (await h.start_sign_in()).json()["challenge"]
    url = f"/api/v1/challenges/{challenge['id']}/resend"
    h.clock.advance(31)
    sent = len(await h.messages(phone))

    statuses = await burst([h.client], url, 20)

    assert statuses.count(202) == 1, statuses
    assert statuses.count(429) == 19, statuses
    assert len(await h.messages(phone)) == sent + 1
    for _ in range(3):  # sign-in, burst, then three more within the number's 5 per 15 minutes
        h.clock.advance(31)
        again = await h.client.post(url)
        assert again.status_code == 202, again.text
    assert len(await h.messages(phone)) == sent + 4
    events = await h.scalar("SELECT count(*) FROM events WHERE type = 'rate_limited'")
    assert events == 0  # no send cap was ever reached


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_resends_through_two_app_processes_share_one_claim(
    h: Harness, make_settings: Any
) -> None:
    """S44 across app instances on one PostgreSQL and one Redis: still one code."""
    prefix = "t" + secrets.token_hex(6)
    apps = [create_app(h.settings, clock=h.clock, limiter_prefix=prefix) for _ in range(2)]
    clients = [
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("203.0.113.9", 50000)),
            base_url="http://testserver",
        )
        for app in apps
    ]
    try:
        registered = (
            await clients[0].post(
                "/api/v1/accounts",
                json={
                    "name": "Ada",
                    "email": "two@example.com",
                    "password": "correct horse battery staple",
                    "phone": "+14155550123",
                },
            )
        ).json()
        url = f"/api/v1/challenges/{registered['challenge']['id']}/resend"
        h.clock.advance(31)
        statuses = await burst(clients, url, 20)
        assert statuses.count(202) == 1, statuses
        h.clock.advance(31)
        assert (await clients[1].post(url)).status_code == 202
        sends = await h.scalar(
            "SELECT count(*) FROM messages WHERE challenge_id = :i",
            i=registered["challenge"]["id"],
        )
        assert sends == 3
    finally:
        for client in clients:
            await client.aclose()
        for app in apps:
            await app.state.runtime.aclose()
