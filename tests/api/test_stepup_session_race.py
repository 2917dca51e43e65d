"""S26: a step-up never applies after the session that asked for it was revoked.

The verify checks the session when the request comes in; the approval runs later, in its own
transaction. A sign-out in between (from another browser, "sign out everywhere else") must
stop the change: the approval re-checks the session inside its transaction, with the row
locked (PostgreSQL ``FOR UPDATE``), so the two can't cross.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from otpgate.services.principal import Customer
from tests.harness import PASSWORD, Harness, auth

NEW_PASSWORD = "a completely different passphrase"


async def two_browsers(h: Harness, email: str) -> tuple[dict[str, Any], str, str]:
    """An account signed in twice: the browser that will ask, and another one."""
    account = await h.registered_account(email)
    other = (await h.start_sign_in(email)).json()["challenge"]
    verified = await h.verify(other["id"], await h.last_code(account["phone"]))
    return account, account["token"], verified.json()["session"]["token"]


def hold_after_auth(
    h: Harness, monkeypatch: pytest.MonkeyPatch, hold: Callable[[str], Awaitable[None]]
) -> None:
    """Run ``hold(token)`` right after a request's session was checked, before its use case."""
    sessions = h.runtime.services.sessions
    real = sessions.authenticate

    async def held(token: str | None) -> Customer:
        customer = await real(token)
        await hold(token or "")
        return customer

    monkeypatch.setattr(sessions, "authenticate", held)


async def test_a_sign_out_between_check_and_approval_stops_the_change(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """S26 (and S21: a signed-out session's token, and its pending change, are refused): the
    asking session is signed out after its verify was let in, and nothing changes."""
    account, asking, other = await two_browsers(h, "ada@example.com")
    requested = await h.client.put(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=auth(asking),
    )
    assert requested.status_code == 202, requested.text
    challenge_id = requested.json()["challenge"]["id"]
    code = await h.last_code(account["phone"])
    before = await h.scalar("SELECT password_hash FROM accounts")

    checked, release = asyncio.Event(), asyncio.Event()

    async def hold(token: str) -> None:
        if token == asking:
            checked.set()
            await release.wait()

    hold_after_auth(h, monkeypatch, hold)
    verifying = asyncio.create_task(h.verify(challenge_id, code, token=asking))
    await checked.wait()  # the verify holds a checked, live session...
    signed_out = await h.client.delete("/api/v1/me/sessions", headers=auth(other))
    assert signed_out.json() == {"signed_out": 1}  # ...which is revoked now
    release.set()
    refused = await verifying

    assert refused.status_code == 409, refused.text
    assert await h.scalar("SELECT password_hash FROM accounts") == before
    assert await h.scalar("SELECT status FROM challenges WHERE id = :i", i=challenge_id) == (
        "canceled"
    )
    # The other browser was not signed out by a password change that never happened.
    assert (await h.client.get("/api/v1/me", headers=auth(other))).status_code == 200
    assert (await h.start_sign_in()).status_code == 202  # the old password still works


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_approval_and_sign_out_racing_never_cross(
    make_harness: Callable[..., Awaitable[Harness]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """S26 on PostgreSQL: the approval and a "sign out everywhere else" start together
    (barrier); whichever wins, a change that applied found its session live and locked."""
    h = await make_harness(
        limit_password_change="1000/minute",
        limit_send_ip="1000/minute",
        limit_register_ip="1000/minute",
        limit_password_ip="1000/minute",
    )
    barrier: list[asyncio.Barrier] = []
    racing: set[str] = set()

    async def hold(token: str) -> None:
        if token in racing:
            await barrier[-1].wait()

    hold_after_auth(h, monkeypatch, hold)
    outcomes = []
    for round_ in range(8):
        account, asking, other = await two_browsers(h, f"racer{round_}@example.com")
        requested = await h.client.put(
            "/api/v1/me/password",
            json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
            headers=auth(asking),
        )
        challenge_id = requested.json()["challenge"]["id"]
        code = await h.last_code(account["phone"])
        before = await h.scalar(
            "SELECT password_hash FROM accounts WHERE id = :i", i=account["account_id"]
        )
        barrier.append(asyncio.Barrier(2))
        racing.clear()
        racing.update({asking, other})
        verified, signed_out = await asyncio.gather(
            h.verify(challenge_id, code, token=asking),
            h.client.delete("/api/v1/me/sessions", headers=auth(other)),
        )
        racing.clear()
        assert signed_out.status_code == 200, signed_out.text
        changed = await h.scalar(
            "SELECT password_hash FROM accounts WHERE id = :i", i=account["account_id"]
        )
        if verified.status_code == 200:
            # Applied while the asking session was live: it revoked that session itself
            # (and the other one), so the sign-out found nothing of it to revoke.
            assert verified.json()["result"]["signed_out_sessions"] == 1
            assert signed_out.json()["signed_out"] == 0
            outcomes.append("applied")
        else:
            assert verified.status_code == 409, verified.text
            assert signed_out.json()["signed_out"] == 1
            assert changed == before
            outcomes.append("refused")
    assert len(outcomes) == 8, outcomes
