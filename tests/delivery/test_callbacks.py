"""Twilio status callbacks: signed ones move a sent message on; forged ones change nothing."""

from __future__ import annotations

from typing import Any

import httpx
from twilio.request_validator import RequestValidator

from tests.harness import Harness

from .conftest import ACCOUNT_SID, AUTH_TOKEN, ScriptedTwilio, delivery_status, metric

BuildHarness = Any
URL = "https://shop.example/hooks/twilio/status"


async def _sent_through_twilio(
    wired: BuildHarness, **overrides: Any
) -> tuple[Harness, dict[str, Any], str]:
    overrides.setdefault("twilio_status_callback", True)
    h: Harness = await wired(sms_providers="twilio", **overrides)
    data = await h.register()
    await h.runtime.dispatcher.drain()
    sid = await h.scalar("SELECT provider_message_id FROM messages")
    assert sid.startswith("SM")
    return h, data, sid


def _form(sid: str, status: str, **extra: str) -> dict[str, str]:
    return {
        "AccountSid": ACCOUNT_SID,
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "To": "+14155552601",
        "From": "+15005550006",
        "ApiVersion": "2010-04-01",
        **extra,
    }


async def _post(
    h: Harness, form: dict[str, str], signature: str | None, url: str = URL
) -> httpx.Response:
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    return await h.client.post("/hooks/twilio/status", data=form, headers=headers)


def _sign(form: dict[str, str], url: str = URL, token: str = AUTH_TOKEN) -> str:
    signature: str = RequestValidator(token).compute_signature(url, form)
    return signature


async def test_twilio_is_told_where_to_report(wired: BuildHarness, twilio: ScriptedTwilio) -> None:
    await _sent_through_twilio(wired)
    assert twilio.messages[0]["StatusCallback"] == URL


async def test_a_signed_delivered_callback_marks_the_message_delivered(
    wired: BuildHarness,
) -> None:
    h, data, sid = await _sent_through_twilio(wired)
    h.clock.advance(4)
    form = _form(sid, "delivered")

    response = await _post(h, form, _sign(form))

    assert response.status_code == 204
    assert await delivery_status(h, data["challenge"]["id"]) == "delivered"
    assert metric(h, "otpgate_sms_receipts_total", provider="twilio", status="delivered") == 1
    assert metric(h, "otpgate_sms_delivery_seconds_sum", provider="twilio") == 4.0
    # A late, out-of-order "sent" or a second receipt changes nothing.
    for status in ("sent", "undelivered"):
        late = _form(sid, status)
        assert (await _post(h, late, _sign(late))).status_code == 204
    assert await delivery_status(h, data["challenge"]["id"]) == "delivered"


async def test_an_undelivered_callback_is_recorded_with_its_error_code(
    wired: BuildHarness,
) -> None:
    h, data, sid = await _sent_through_twilio(wired)
    form = _form(sid, "undelivered", ErrorCode="30003")

    assert (await _post(h, form, _sign(form))).status_code == 204

    assert await delivery_status(h, data["challenge"]["id"]) == "undelivered"
    [row] = await h.rows("SELECT error FROM messages")
    assert row["error"] == "twilio reported undelivered (error 30003)"
    outcomes = await h.rows("SELECT outcome FROM events WHERE type = 'sms.failed'")
    assert outcomes == [{"outcome": "undelivered"}]


async def test_forged_and_unsigned_callbacks_are_refused_and_change_nothing(
    wired: BuildHarness,
) -> None:
    h, data, sid = await _sent_through_twilio(wired)
    form = _form(sid, "undelivered")
    forged = {
        "unsigned": None,
        "wrong token": _sign(form, token="not-the-auth-token"),
        "other url": _sign(form, url="https://evil.example/hooks/twilio/status"),
        "garbage": "bm90IGEgc2lnbmF0dXJl",
    }
    for name, signature in forged.items():
        response = await _post(h, form, signature)
        assert response.status_code == 403, name
        assert response.json()["code"] == "forbidden"
    # Signed for other fields than those posted.
    tampered = _form(sid, "delivered")
    response = await _post(h, form, _sign(tampered))
    assert response.status_code == 403
    # Signed, but for another Twilio account.
    other = _form(sid, "undelivered", AccountSid="AC" + "9" * 32)
    assert (await _post(h, other, _sign(other))).status_code == 403

    assert await delivery_status(h, data["challenge"]["id"]) == "sent"
    assert await h.rows("SELECT id FROM events WHERE type = 'sms.failed'") == []


async def test_callbacks_are_off_unless_configured(wired: BuildHarness) -> None:
    h: Harness = await wired(sms_providers="twilio")
    form = _form("SM" + "0" * 32, "delivered")
    assert (await _post(h, form, _sign(form))).status_code == 404


async def test_a_callback_url_of_its_own_is_the_one_signed(wired: BuildHarness) -> None:
    url = "https://hooks.shop.example/otp/twilio"
    h, data, sid = await _sent_through_twilio(wired, twilio_status_callback=url)
    form = _form(sid, "delivered")

    assert (await _post(h, form, _sign(form))).status_code == 403
    assert (await _post(h, form, _sign(form, url=url))).status_code == 204
    assert await delivery_status(h, data["challenge"]["id"]) == "delivered"
