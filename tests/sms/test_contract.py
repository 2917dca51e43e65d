"""The contract every SMS provider passes, run against each one and its real fake.

A new provider joins by subclassing ``SmsProviderContract`` and supplying three fixtures:
``settings`` (a working configuration), ``broken_settings`` (one whose send fails) and
``sent`` (what the fake received, as ``(to, body)`` pairs).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from otpgate.adapters.sms.base import Provider
from otpgate.adapters.sms.outbox import OutboxProvider
from otpgate.adapters.sms.registry import build_provider
from otpgate.config import Settings
from otpgate.domain.errors import DeliveryError

from .conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    BODY,
    CODE,
    FROM_NUMBER,
    SECRETS,
    TO,
    WEBHOOK_SECRET,
)
from .fakes import CannedServer, FakeSns, FakeTwilio, FakeWebhookReceiver

Sent = Callable[[], list[tuple[str, str]]]


class SmsProviderContract:
    provider_name: str

    @pytest.fixture
    def settings(self) -> Settings:
        raise NotImplementedError

    @pytest.fixture
    def broken_settings(self) -> Settings:
        raise NotImplementedError

    @pytest.fixture
    def sent(self) -> Sent:
        raise NotImplementedError

    @pytest.fixture
    async def provider(self, settings: Settings) -> AsyncIterator[Provider]:
        provider = build_provider(self.provider_name, settings)
        yield provider
        await provider.aclose()

    @pytest.fixture
    async def broken_provider(self, broken_settings: Settings) -> AsyncIterator[Provider]:
        provider = build_provider(self.provider_name, broken_settings)
        yield provider
        await provider.aclose()

    async def test_name_is_its_registry_key(self, provider: Provider) -> None:
        assert provider.name == self.provider_name

    async def test_send_delivers_exactly_the_number_and_body(
        self, provider: Provider, sent: Sent
    ) -> None:
        provider_id = await provider.send(TO, BODY, message_id="sms_contract1", purpose="sign_in")

        assert isinstance(provider_id, str)
        assert provider_id
        assert sent() == [(TO, BODY)]

    async def test_check_reports_one_line_and_sends_nothing(
        self, provider: Provider, sent: Sent
    ) -> None:
        line = await provider.check()

        assert line.startswith(self.provider_name)
        assert "\n" not in line
        assert not any(secret in line for secret in SECRETS)
        assert sent() == []

    async def test_a_failed_send_raises_our_error_without_body_or_secrets(
        self, broken_provider: Provider
    ) -> None:
        with pytest.raises(DeliveryError) as caught:
            await broken_provider.send(TO, BODY, message_id="sms_contract2", purpose="sign_in")

        error = caught.value
        assert isinstance(error.__cause__, Exception), "vendor errors are chained with `from`"
        for text in (str(error), error.detail, repr(error)):
            assert CODE not in text
            assert BODY not in text
            assert not any(secret in text for secret in SECRETS)


class TestOutbox(SmsProviderContract):
    provider_name = "outbox"

    @pytest.fixture
    def settings(self, make_settings: Callable[..., Settings], tmp_path: Path) -> Settings:
        return make_settings(sms_outbox=tmp_path / "outbox" / "sms.jsonl")

    @pytest.fixture
    def broken_settings(self, make_settings: Callable[..., Settings], tmp_path: Path) -> Settings:
        return make_settings(sms_outbox=tmp_path)  # a directory: appending to it fails

    @pytest.fixture
    def sent(self, settings: Settings) -> Sent:
        outbox = OutboxProvider(settings.outbox_path)
        return lambda: [(m["to"], m["body"]) for m in reversed(outbox.read())]


def _twilio_settings(make_settings: Callable[..., Settings], api_base: str) -> Settings:
    return make_settings(
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from=FROM_NUMBER,
        twilio_api_base=api_base,
    )


class TestTwilio(SmsProviderContract):
    provider_name = "twilio"

    @pytest.fixture
    def settings(self, make_settings: Callable[..., Settings], twilio_fake: FakeTwilio) -> Settings:
        return _twilio_settings(make_settings, twilio_fake.url)

    @pytest.fixture
    def broken_settings(
        self, make_settings: Callable[..., Settings], twilio_fake: FakeTwilio
    ) -> Settings:
        twilio_fake.mode = "server_error"  # its error text quotes the body
        return _twilio_settings(make_settings, twilio_fake.url)

    @pytest.fixture
    def sent(self, twilio_fake: FakeTwilio) -> Sent:
        return lambda: [(m["To"], m["Body"]) for m in twilio_fake.messages]


class TestSns(SmsProviderContract):
    provider_name = "sns"

    @pytest.fixture
    def settings(self, make_settings: Callable[..., Settings], sns_fake: FakeSns) -> Settings:
        return make_settings(sns_endpoint_url=sns_fake.url, sns_region=sns_fake.region)

    @pytest.fixture
    def broken_settings(self, make_settings: Callable[..., Settings]) -> Iterator[Settings]:
        # An SNS-style 500 whose message quotes the body.
        error = (
            "<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code>"
            f"<Message>failed on {BODY}</Message></Error></ErrorResponse>"
        )
        with CannedServer((500, {"Content-Type": "text/xml"}, error.encode())) as server:
            yield make_settings(sns_endpoint_url=server.url)

    @pytest.fixture
    def sent(self, sns_fake: FakeSns) -> Sent:
        return lambda: sns_fake.sms


class TestWebhook(SmsProviderContract):
    provider_name = "webhook"

    @pytest.fixture
    def settings(
        self, make_settings: Callable[..., Settings], webhook_receiver: FakeWebhookReceiver
    ) -> Settings:
        return make_settings(
            webhook_url=webhook_receiver.url + "/sms", webhook_secret=WEBHOOK_SECRET
        )

    @pytest.fixture
    def broken_settings(
        self, settings: Settings, webhook_receiver: FakeWebhookReceiver
    ) -> Settings:
        webhook_receiver.mode = "server_error"  # its error text quotes the request
        return settings

    @pytest.fixture
    def sent(self, webhook_receiver: FakeWebhookReceiver) -> Sent:
        return lambda: [(m["to"], m["body"]) for m in webhook_receiver.messages]
