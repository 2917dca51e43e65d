"""Rate limits: 429 with Retry-After, nothing sent over a cap, keys attackers cannot dodge."""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from otpgate.web.app import create_app
from tests.harness import PASSWORD, Harness


def assert_throttled(response: httpx.Response, code: str = "rate_limited") -> None:
    assert response.status_code == 429, response.text
    assert response.json()["code"] == code
    assert int(response.headers["Retry-After"]) >= 1
    assert response.json()["retry_after"] == int(response.headers["Retry-After"])


async def test_password_attempts_are_throttled_per_email_for_known_and_unknown(h: Harness) -> None:
    await h.registered_account("ada@example.com")
    for email in ("ada@example.com", "ghost@example.com"):
        for _ in range(5):
            response = await h.client.post(
                "/api/v1/sessions", json={"email": email, "password": "wrong guess here"}
            )
            assert response.status_code == 401
        assert_throttled(
            await h.client.post("/api/v1/sessions", json={"email": email, "password": PASSWORD})
        )
    # Keyed on the address as typed, folded: case changes don't buy more tries.
    assert_throttled(
        await h.client.post("/api/v1/sessions", json={"email": "ADA@example.com", "password": "x"})
    )


async def test_many_ips_still_throttle_one_account(make_harness: Any) -> None:
    h: Harness = await make_harness(trusted_proxies="203.0.113.7")
    await h.registered_account("ada@example.com")
    for i in range(5):
        response = await h.client.post(
            "/api/v1/sessions",
            json={"email": "ada@example.com", "password": "wrong guess here"},
            headers={"X-Forwarded-For": f"198.51.100.{i}"},
        )
        assert response.status_code == 401
    assert_throttled(
        await h.client.post(
            "/api/v1/sessions",
            json={"email": "ada@example.com", "password": PASSWORD},
            headers={"X-Forwarded-For": "198.51.100.99"},
        )
    )
    events = await h.rows("SELECT ip FROM events WHERE type = 'signin.password_failed'")
    assert {e["ip"] for e in events} == {f"198.51.100.{i}" for i in range(5)}


async def test_forwarded_for_is_ignored_from_untrusted_peers(h: Harness) -> None:
    await h.registered_account("ada@example.com")
    await h.client.post(
        "/api/v1/sessions",
        json={"email": "ada@example.com", "password": "wrong guess"},
        headers={"X-Forwarded-For": "1.2.3.4"},
    )
    [event] = await h.rows("SELECT ip FROM events WHERE type = 'signin.password_failed'")
    assert event["ip"] == "203.0.113.7"


async def test_sends_per_number_are_capped_and_nothing_is_sent_over_the_cap(
    make_harness: Any,
) -> None:
    h: Harness = await make_harness(limit_password_account="100/minute")  # not under test
    account = await h.registered_account()  # counted in the budget of unproven numbers
    for _ in range(15):  # sign-in sends 1..15 to the confirmed number (15 per 15 minutes)
        assert (await h.start_sign_in()).status_code == 202
    before = len(await h.messages(account["phone"]))
    assert before == 16
    refused = await h.start_sign_in()
    assert_throttled(refused)
    [event] = await h.rows("SELECT * FROM events WHERE type = 'rate_limited'")
    assert "'rule': 'send_number'" in repr(event) or '"rule": "send_number"' in repr(event)
    assert len(await h.messages(account["phone"])) == before


async def test_sign_ups_with_someone_elses_number_cannot_block_their_sign_in(
    make_harness: Any,
) -> None:
    h: Harness = await make_harness(limit_register_ip="1000/minute", limit_send_ip="1000/minute")
    victim = await h.registered_account("victim@example.com")
    for i in range(5):  # an attacker types the victim's number into the sign-up form
        await h.client.post(
            "/api/v1/accounts",
            json={
                "name": "Mallory",
                "email": f"junk{i}@example.com",
                "password": PASSWORD,
                "phone": victim["phone"],
            },
        )
    refused = await h.client.post(
        "/api/v1/accounts",
        json={
            "name": "M",
            "email": "junk9@example.com",
            "password": PASSWORD,
            "phone": victim["phone"],
        },
    )
    assert_throttled(refused)  # the sign-up budget for that number is spent...
    assert (await h.start_sign_in("victim@example.com")).status_code == 202  # ...not the victim's


async def test_wrong_passwords_elsewhere_never_lock_out_a_trusted_browser(
    make_harness: Any,
) -> None:
    h: Harness = await make_harness(limit_send_number="100/minute")
    account = await h.registered_account()
    challenge = (await h.start_sign_in()).json()["challenge"]
    device_token = (
        await h.verify(challenge["id"], await h.last_code(account["phone"]), remember_device=True)
    ).json()["device_token"]
    for _ in range(5):
        await h.client.post(
            "/api/v1/sessions", json={"email": "ada@example.com", "password": "attacker guess"}
        )
    assert_throttled(await h.start_sign_in())
    trusted = await h.start_sign_in(device_token=device_token)
    assert trusted.status_code == 201
    # A forged device token earns no bucket of its own.
    assert_throttled(await h.start_sign_in(device_token="dev_forged"))


async def test_password_pauses_never_exceed_an_hour(make_harness: Any) -> None:
    h: Harness = await make_harness(limit_password_ip="1000/minute")
    retry_after = 0
    for _ in range(40):
        response = await h.client.post(
            "/api/v1/sessions", json={"email": "ada@example.com", "password": "guess guess"}
        )
        if response.status_code == 429:
            retry_after = max(retry_after, int(response.headers["Retry-After"]))
    assert 0 < retry_after <= 3600


async def test_every_spelling_of_an_address_shares_one_password_bucket(h: Harness) -> None:
    await h.registered_account("ada@example.com")
    spellings = ["ada@example.com", "ADA@EXAMPLE.COM", "ada@ｅxample.com", "ada@example．com"]
    for spelling in [*spellings, "ada@exampｌe.com"]:
        response = await h.client.post(
            "/api/v1/sessions", json={"email": spelling, "password": "wrong guess here"}
        )
        assert response.status_code == 401, spelling
    for spelling in spellings:
        assert_throttled(
            await h.client.post("/api/v1/sessions", json={"email": spelling, "password": PASSWORD})
        )


async def test_ipv6_clients_are_counted_by_their_64_block(make_harness: Any) -> None:
    h: Harness = await make_harness(trusted_proxies="203.0.113.7", limit_password_ip="3/minute")
    for i in range(3):
        response = await h.client.post(
            "/api/v1/sessions",
            json={"email": f"u{i}@example.com", "password": "wrong guess"},
            headers={"X-Forwarded-For": f"2001:db8:1:2::{i + 1}"},
        )
        assert response.status_code == 401
    assert_throttled(
        await h.client.post(
            "/api/v1/sessions",
            json={"email": "u9@example.com", "password": "wrong guess"},
            headers={"X-Forwarded-For": "2001:db8:1:2:ffff::9"},
        )
    )


async def test_sends_per_ip_are_capped(make_harness: Any) -> None:
    h: Harness = await make_harness(limit_register_ip="1000/minute", limit_send_ip="3/15minutes")
    for i in range(3):
        await h.register(f"user{i}@example.com")
    response = await h.client.post(
        "/api/v1/accounts",
        json={
            "name": "Eve",
            "email": "eve@example.com",
            "password": PASSWORD,
            "phone": h.new_phone(),
        },
    )
    assert_throttled(response)
    assert len(await h.messages()) == 3
    assert await h.scalar("SELECT count(*) FROM accounts WHERE email = 'eve@example.com'") == 0


async def test_sends_per_prefix_are_capped(make_harness: Any) -> None:
    h: Harness = await make_harness(
        limit_register_ip="1000/minute", limit_send_ip="1000/minute", limit_send_prefix="2/hour"
    )
    await h.register("a@example.com", phone="+14155550101")
    await h.register("b@example.com", phone="+14155550102")
    response = await h.client.post(
        "/api/v1/accounts",
        json={"name": "C", "email": "c@example.com", "password": PASSWORD, "phone": "+14155550103"},
    )
    assert_throttled(response)
    await h.register("d@example.com", phone="+12125550104")  # another prefix is fine


async def test_registrations_per_ip_are_capped(make_harness: Any) -> None:
    h: Harness = await make_harness(limit_register_ip="2/hour")
    await h.register("a@example.com")
    await h.register("b@example.com")
    response = await h.client.post(
        "/api/v1/accounts",
        json={"name": "C", "email": "c@example.com", "password": PASSWORD, "phone": h.new_phone()},
    )
    assert_throttled(response)


async def test_limits_are_shared_by_every_app_process(
    make_harness: Any, backend: str, make_settings: Any
) -> None:
    """Scaled mode: two app instances on one Redis count together (no per-process state)."""
    if backend != "postgres":
        return  # in-process limits are per process by design (embedded mode)
    prefix = "shared" + secrets.token_hex(4)
    settings = make_settings()
    first = create_app(settings, limiter_prefix=prefix)
    second = create_app(settings, limiter_prefix=prefix)
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
        for app in (first, second)
    ]
    try:
        for i in range(5):
            response = await clients[i % 2].post(
                "/api/v1/sessions", json={"email": "x@example.com", "password": "wrong one"}
            )
            assert response.status_code == 401
        response = await clients[1].post(
            "/api/v1/sessions", json={"email": "x@example.com", "password": "wrong one"}
        )
        assert_throttled(response)
    finally:
        for client in clients:
            await client.aclose()
        for app in (first, second):
            await app.state.runtime.aclose()
