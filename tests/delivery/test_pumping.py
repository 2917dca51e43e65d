"""SMS-pumping defences: the global ceiling and the prefix limit refuse with 429, leave an event
and a metric; sent-vs-confirmed per country and prefix is on /metrics.

Sign-ups text numbers nobody has proven yet, so they trip the ``*_new`` budgets (see
services/limits.py); the same limits, counted apart from confirmed numbers'.
"""

from __future__ import annotations

from typing import Any

from tests.api.test_limits import assert_throttled
from tests.harness import PASSWORD, Harness

from .conftest import as_dict, metric

BuildHarness = Any


async def _register(h: Harness, i: int, phone: str | None = None) -> Any:
    return await h.client.post(
        "/api/v1/accounts",
        json={
            "name": "Ada Lovelace",
            "email": f"u{i}@example.com",
            "password": PASSWORD,
            "phone": phone or h.new_phone(),
        },
    )


async def test_the_global_ceiling_stops_all_sends_and_is_seen(make_harness: BuildHarness) -> None:
    h: Harness = await make_harness(limit_send_global="2/minute")
    for i in range(2):
        assert (await _register(h, i)).status_code == 202

    assert_throttled(await _register(h, 2))

    assert len(await h.messages()) == 2  # nothing was sent for the refused one
    assert await h.scalar("SELECT count(*) FROM messages") == 2
    [event] = await h.rows(
        "SELECT outcome, details, account_id FROM events WHERE type = 'rate_limited'"
    )
    assert event["outcome"] == "send_global_new"
    assert as_dict(event["details"]) == {"rule": "send_global_new", "key": "all"}
    assert metric(h, "otpgate_limit_trips_total", rule="send_global_new") == 1
    assert (
        'otpgate_limit_trips_total{rule="send_global_new"} 1.0'
        in (await h.client.get("/metrics")).text
    )
    # A flood is counted in full but written to the audit trail once a minute, not per request.
    assert_throttled(await _register(h, 3))
    assert metric(h, "otpgate_limit_trips_total", rule="send_global_new") == 2
    assert await h.scalar("SELECT count(*) FROM events WHERE type = 'rate_limited'") == 1


async def test_a_spike_to_one_prefix_trips_the_prefix_limit(make_harness: BuildHarness) -> None:
    h: Harness = await make_harness(limit_send_prefix="2/hour")
    assert (await _register(h, 0, "+14155552601")).status_code == 202
    assert (await _register(h, 1, "+14155552602")).status_code == 202

    assert_throttled(await _register(h, 2, "+14155552603"))
    # Another range is not affected.
    assert (await _register(h, 3, "+447400123456")).status_code == 202

    [event] = await h.rows("SELECT outcome, details FROM events WHERE type = 'rate_limited'")
    assert event["outcome"] == "send_prefix_new"
    assert as_dict(event["details"]) == {"rule": "send_prefix_new", "key": "+141555"}
    assert metric(h, "otpgate_limit_trips_total", rule="send_prefix_new") == 1


async def test_a_number_limit_event_masks_the_number(make_harness: BuildHarness) -> None:
    h: Harness = await make_harness(limit_send_number_new="1/hour")
    assert (await _register(h, 0, "+14155552601")).status_code == 202
    assert_throttled(await _register(h, 1, "+14155552601"))

    [event] = await h.rows("SELECT details FROM events WHERE type = 'rate_limited'")
    details = as_dict(event["details"])
    assert details["rule"] == "send_number_new"
    assert "2601" not in details["key"] and details["key"].endswith("01")


async def test_conversion_is_counted_per_country_and_prefix(make_harness: BuildHarness) -> None:
    h: Harness = await make_harness()
    await h.registered_account("ada@example.com", "+14155552601")  # sent and confirmed
    await h.register("bob@example.com", "+447400123456")  # sent, never confirmed
    await h.messages()

    us = {"country": "US", "prefix": "+141555"}
    gb = {"country": "GB", "prefix": "+447400"}
    assert metric(h, "otpgate_sms_sent_total", **us) == 1
    assert metric(h, "otpgate_sms_verified_total", **us) == 1
    assert metric(h, "otpgate_sms_sent_total", **gb) == 1
    assert metric(h, "otpgate_sms_verified_total", **gb) == 0
    page = (await h.client.get("/metrics")).text
    assert 'otpgate_sms_sent_total{country="GB",prefix="+447400"} 1.0' in page
    assert "otpgate_sms_queue_seconds_bucket" in page


async def test_verification_outcomes_include_expired(make_harness: BuildHarness) -> None:
    h: Harness = await make_harness()
    data = await h.register()
    code = await h.last_code(data["phone"])
    h.clock.advance(301)

    response = await h.verify(data["challenge"]["id"], code)

    assert response.status_code == 410
    expired = {"purpose": "verify_phone", "outcome": "expired"}
    assert metric(h, "otpgate_verifications_total", **expired) == 1


async def test_the_global_ceiling_also_caps_sign_in_codes(make_harness: BuildHarness) -> None:
    h: Harness = await make_harness(limit_send_global="1/minute")
    await h.registered_account()  # the sign-up's own budget
    assert (await h.start_sign_in()).status_code == 202
    assert_throttled(await h.start_sign_in())
    assert metric(h, "otpgate_limit_trips_total", rule="send_global") == 1
