"""Twilio: the request the official SDK really sends, and how each failure is classified."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from otpgate.adapters.sms.twilio import TwilioProvider
from otpgate.domain.errors import DeliveryError, PermanentDeliveryError

from .conftest import (
    ACCOUNT_SID,
    API_KEY_SECRET,
    API_KEY_SID,
    AUTH_TOKEN,
    BODY,
    FROM_NUMBER,
    MESSAGING_SERVICE_SID,
    TO,
)
from .fakes import FakeTwilio

MakeProvider = Callable[..., TwilioProvider]
MESSAGES_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
CALLBACK = "https://otp.example.test/hooks/twilio/status"


@pytest.fixture
async def make_provider(twilio_fake: FakeTwilio) -> AsyncIterator[MakeProvider]:
    made: list[TwilioProvider] = []

    def make(**overrides: Any) -> TwilioProvider:
        options: dict[str, Any] = {
            "account_sid": ACCOUNT_SID,
            "auth_token": AUTH_TOKEN,
            "from_": FROM_NUMBER,
            "api_base": twilio_fake.url,
            "timeout": 5.0,
        }
        made.append(TwilioProvider(**(options | overrides)))
        return made[-1]

    yield make
    for provider in made:
        await provider.aclose()


async def test_sends_auth_number_sender_body_and_callback(
    make_provider: MakeProvider, twilio_fake: FakeTwilio
) -> None:
    provider = make_provider(status_callback=CALLBACK)

    sid = await provider.send(TO, BODY, message_id="sms_1", purpose="sign_in")

    [request] = twilio_fake.requests
    assert (request.method, request.path) == ("POST", MESSAGES_PATH)
    assert request.basic_auth == (ACCOUNT_SID, AUTH_TOKEN)
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.form == {
        "To": TO,
        "From": FROM_NUMBER,
        "Body": BODY,
        "StatusCallback": CALLBACK,
    }
    assert sid.startswith("SM")


async def test_messaging_service_replaces_the_from_number(
    make_provider: MakeProvider, twilio_fake: FakeTwilio
) -> None:
    provider = make_provider(from_=None, messaging_service_sid=MESSAGING_SERVICE_SID)

    await provider.send(TO, BODY, message_id="sms_1", purpose="sign_in")

    assert twilio_fake.messages == [
        {"To": TO, "MessagingServiceSid": MESSAGING_SERVICE_SID, "Body": BODY}
    ]


async def test_api_key_authenticates_for_the_account(
    make_provider: MakeProvider, twilio_fake: FakeTwilio
) -> None:
    provider = make_provider(
        auth_token=None, api_key_sid=API_KEY_SID, api_key_secret=API_KEY_SECRET
    )

    await provider.send(TO, BODY, message_id="sms_1", purpose="sign_in")

    [request] = twilio_fake.requests
    assert request.basic_auth == (API_KEY_SID, API_KEY_SECRET)
    assert request.path == MESSAGES_PATH


@pytest.mark.parametrize("mode", ["server_error", "rate_limited"])
async def test_server_errors_and_throttling_are_temporary(
    make_provider: MakeProvider, twilio_fake: FakeTwilio, mode: str
) -> None:
    twilio_fake.mode = mode

    with pytest.raises(DeliveryError) as caught:
        await make_provider().send(TO, BODY, message_id="sms_1", purpose="sign_in")

    assert not isinstance(caught.value, PermanentDeliveryError)


async def test_an_invalid_number_is_permanent(
    make_provider: MakeProvider, twilio_fake: FakeTwilio
) -> None:
    twilio_fake.mode = "invalid_number"

    with pytest.raises(PermanentDeliveryError) as caught:
        await make_provider().send(TO, BODY, message_id="sms_1", purpose="sign_in")

    assert "21211" in caught.value.detail
    assert TO not in caught.value.detail  # Twilio's text quotes the number; ours does not


async def test_rejected_credentials_are_temporary_so_failover_can_deliver(
    make_provider: MakeProvider,
) -> None:
    provider = make_provider(auth_token="wrong-token")

    with pytest.raises(DeliveryError) as caught:
        await provider.send(TO, BODY, message_id="sms_1", purpose="sign_in")

    assert not isinstance(caught.value, PermanentDeliveryError)
    assert caught.value.detail == "twilio answered HTTP 401 (error 20003)"
    assert "wrong-token" not in str(caught.value)


async def test_a_hanging_api_times_out_as_temporary(
    make_provider: MakeProvider, twilio_fake: FakeTwilio
) -> None:
    twilio_fake.mode = "hang"
    provider = make_provider(timeout=0.5)

    started = time.monotonic()
    with pytest.raises(DeliveryError) as caught:
        await provider.send(TO, BODY, message_id="sms_1", purpose="sign_in")

    assert time.monotonic() - started < 3
    assert caught.value.detail == "twilio did not answer in time"
    assert not isinstance(caught.value, PermanentDeliveryError)


async def test_an_unreachable_api_is_temporary(
    make_provider: MakeProvider, closed_url: str
) -> None:
    with pytest.raises(DeliveryError) as caught:
        await make_provider(api_base=closed_url).send(
            TO, BODY, message_id="sms_1", purpose="sign_in"
        )

    assert not isinstance(caught.value, PermanentDeliveryError)
    assert caught.value.detail == "cannot reach twilio (ConnectionError)"


async def test_check_fetches_the_account(
    make_provider: MakeProvider, twilio_fake: FakeTwilio
) -> None:
    line = await make_provider().check()

    assert line == f"twilio: account {ACCOUNT_SID} is active; sending from {FROM_NUMBER}"
    assert [(r.method, r.path) for r in twilio_fake.requests] == [
        ("GET", f"/2010-04-01/Accounts/{ACCOUNT_SID}.json")
    ]


async def test_check_reports_rejected_credentials(make_provider: MakeProvider) -> None:
    line = await make_provider(auth_token="wrong-token").check()

    assert line == "twilio: not usable: twilio answered HTTP 401 (error 20003)"


async def test_twilio_environment_variables_cannot_redirect_requests(
    make_provider: MakeProvider, twilio_fake: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The SDK would otherwise rewrite the host to api.<edge>.<region>.twilio.com.
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    monkeypatch.setenv("TWILIO_REGION", "au1")

    await make_provider().send(TO, BODY, message_id="sms_1", purpose="sign_in")

    assert len(twilio_fake.messages) == 1
