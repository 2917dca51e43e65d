"""The webhook provider: what a receiver gets, the signature helper, status mapping."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from otpgate.adapters.sms.webhook import WebhookProvider, sign_webhook, verify_webhook_signature
from otpgate.domain.errors import DeliveryError, PermanentDeliveryError

from .conftest import BODY, TO, WEBHOOK_SECRET
from .fakes import FakeWebhookReceiver

MakeProvider = Callable[..., WebhookProvider]
SECRET = WEBHOOK_SECRET.encode()
NOW = 1_800_000_000.0


@pytest.fixture
async def make_provider(webhook_receiver: FakeWebhookReceiver) -> AsyncIterator[MakeProvider]:
    made: list[WebhookProvider] = []

    def make(**overrides: Any) -> WebhookProvider:
        options: dict[str, Any] = {
            "url": webhook_receiver.url + "/sms",
            "secret": SECRET,
            "timeout": 5.0,
        }
        made.append(WebhookProvider(**(options | overrides)))
        return made[-1]

    yield make
    for provider in made:
        await provider.aclose()


async def test_posts_signed_json_with_an_idempotency_key(
    make_provider: MakeProvider, webhook_receiver: FakeWebhookReceiver
) -> None:
    receiver_id = await make_provider().send(TO, BODY, message_id="sms_42", purpose="step_up")

    [request] = webhook_receiver.verified  # the receiver checked the signature
    assert (request.method, request.path) == ("POST", "/sms")
    assert request.headers["content-type"] == "application/json"
    assert request.headers["idempotency-key"] == "sms_42"
    assert json.loads(request.body) == {
        "id": "sms_42",
        "to": TO,
        "body": BODY,
        "purpose": "step_up",
    }
    timestamp = request.headers["x-otpgate-timestamp"]
    assert abs(int(timestamp) - time.time()) <= 5
    assert request.headers["x-otpgate-signature"] == sign_webhook(SECRET, timestamp, request.body)
    assert receiver_id.startswith("wh_")


async def test_returns_our_id_when_the_receiver_names_none(
    make_provider: MakeProvider, webhook_receiver: FakeWebhookReceiver
) -> None:
    webhook_receiver.mode = "no_id"

    assert await make_provider().send(TO, BODY, message_id="sms_42", purpose="sign_in") == "sms_42"


async def test_a_receiver_refuses_a_wrong_secret(
    make_provider: MakeProvider, webhook_receiver: FakeWebhookReceiver
) -> None:
    with pytest.raises(DeliveryError) as caught:
        await make_provider(secret=b"not-the-secret").send(
            TO, BODY, message_id="sms_42", purpose="sign_in"
        )

    assert webhook_receiver.messages == []
    # 401/403 blame our configuration, not the number: failover must still be possible.
    assert not isinstance(caught.value, PermanentDeliveryError)
    assert caught.value.detail == "webhook answered HTTP 401"


@pytest.mark.parametrize(
    ("mode", "permanent", "detail"),
    [
        ("client_error", True, "webhook answered HTTP 400"),
        ("server_error", False, "webhook answered HTTP 500"),
        ("rate_limited", False, "webhook answered HTTP 429"),
        ("unauthorized", False, "webhook answered HTTP 401"),
    ],
)
async def test_statuses_are_classified(
    make_provider: MakeProvider,
    webhook_receiver: FakeWebhookReceiver,
    mode: str,
    permanent: bool,
    detail: str,
) -> None:
    webhook_receiver.mode = mode

    with pytest.raises(DeliveryError) as caught:
        await make_provider().send(TO, BODY, message_id="sms_42", purpose="sign_in")

    assert isinstance(caught.value, PermanentDeliveryError) is permanent
    assert caught.value.detail == detail


async def test_a_hanging_receiver_times_out_as_temporary(
    make_provider: MakeProvider, webhook_receiver: FakeWebhookReceiver
) -> None:
    webhook_receiver.mode = "hang"
    started = time.monotonic()

    with pytest.raises(DeliveryError) as caught:
        await make_provider(timeout=0.5).send(TO, BODY, message_id="sms_42", purpose="sign_in")

    assert time.monotonic() - started < 3
    assert caught.value.detail == "webhook did not answer in time"


async def test_an_unreachable_receiver_is_temporary(
    make_provider: MakeProvider, closed_url: str
) -> None:
    with pytest.raises(DeliveryError) as caught:
        await make_provider(url=closed_url).send(TO, BODY, message_id="sms_42", purpose="sign_in")

    assert not isinstance(caught.value, PermanentDeliveryError)
    assert caught.value.detail == "cannot reach the webhook (ConnectError)"


async def test_check_names_the_target_without_query_or_credentials(
    make_provider: MakeProvider, webhook_receiver: FakeWebhookReceiver
) -> None:
    url = webhook_receiver.url.replace("http://", "http://user:pw@") + "/sms?token=abc"

    line = await make_provider(url=url).check()

    assert line == f"webhook: signed POSTs to {webhook_receiver.url}/sms (not probed)"
    assert webhook_receiver.requests == []


class TestVerifyWebhookSignature:
    body = b'{"id":"sms_1","to":"+14155550123","body":"hi","purpose":"sign_in"}'
    timestamp = str(int(NOW))

    def signature(self, secret: bytes = SECRET, timestamp: str | None = None) -> str:
        return sign_webhook(secret, timestamp or self.timestamp, self.body)

    def test_accepts_a_fresh_genuine_signature(self) -> None:
        assert verify_webhook_signature(SECRET, self.timestamp, self.body, self.signature(), NOW)

    def test_accepts_up_to_the_tolerance(self) -> None:
        assert verify_webhook_signature(
            SECRET, self.timestamp, self.body, self.signature(), NOW + 300
        )

    def test_refuses_a_signature_under_another_secret(self) -> None:
        forged = self.signature(secret=b"attacker")
        assert not verify_webhook_signature(SECRET, self.timestamp, self.body, forged, NOW)

    def test_refuses_a_changed_body(self) -> None:
        changed = self.body.replace(b"hi", b"ho")
        assert not verify_webhook_signature(SECRET, self.timestamp, changed, self.signature(), NOW)

    def test_refuses_a_signature_moved_to_a_new_timestamp(self) -> None:
        later = str(int(NOW) + 60)
        assert not verify_webhook_signature(SECRET, later, self.body, self.signature(), NOW + 60)

    @pytest.mark.parametrize("skew", [301, -301, 86_400])
    def test_refuses_old_and_future_timestamps(self, skew: int) -> None:
        assert not verify_webhook_signature(
            SECRET, self.timestamp, self.body, self.signature(), NOW + skew
        )

    @pytest.mark.parametrize("timestamp", ["", "abc", "-1", "1.5", "١٢٣"])
    def test_refuses_malformed_timestamps(self, timestamp: str) -> None:
        assert not verify_webhook_signature(SECRET, timestamp, self.body, self.signature(), NOW)

    @pytest.mark.parametrize(
        "header", ["", "sha256=", "sha1=abc", "sha256=ZZ", "sha256=é", "deadbeef"]
    )
    def test_refuses_malformed_headers(self, header: str) -> None:
        assert not verify_webhook_signature(SECRET, self.timestamp, self.body, header, NOW)

    def test_refuses_a_bare_hex_digest_without_prefix(self) -> None:
        bare = self.signature().removeprefix("sha256=")
        assert not verify_webhook_signature(SECRET, self.timestamp, self.body, bare, NOW)
