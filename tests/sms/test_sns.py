"""Amazon SNS through boto3 against moto's server: attributes on the wire, error mapping."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from otpgate.adapters.sms.sns import SnsProvider
from otpgate.domain.errors import DeliveryError, PermanentDeliveryError

from .conftest import BODY, TO
from .fakes import Answer, CannedServer, FakeSns, message_attributes

MakeProvider = Callable[..., SnsProvider]


@pytest.fixture
async def make_provider(sns_fake: FakeSns) -> AsyncIterator[MakeProvider]:
    made: list[SnsProvider] = []

    def make(**overrides: Any) -> SnsProvider:
        options: dict[str, Any] = {
            "region": sns_fake.region,
            "endpoint_url": sns_fake.url,
            "timeout": 5.0,
        }
        made.append(SnsProvider(**(options | overrides)))
        return made[-1]

    yield make
    for provider in made:
        await provider.aclose()


def _aws_error(status: int, code: str, message: str) -> Answer:
    xml = (
        '<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error>'
        f"<Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
    )
    return status, {"Content-Type": "text/xml"}, xml.encode()


async def test_publishes_transactional_sms_with_sender_id(
    make_provider: MakeProvider, sns_fake: FakeSns
) -> None:
    message_id = await make_provider(sender_id="OTPGATE").send(
        TO, BODY, message_id="sms_1", purpose="sign_in"
    )

    [publish] = sns_fake.published()
    assert publish["PhoneNumber"] == TO
    assert publish["Message"] == BODY
    assert message_attributes(publish) == {
        "AWS.SNS.SMS.SMSType": "Transactional",
        "AWS.SNS.SMS.SenderID": "OTPGATE",
    }
    assert sns_fake.sms == [(TO, BODY)]
    assert message_id not in ("", "sms_1")  # moto's MessageId, not ours


async def test_sender_id_is_left_out_when_not_configured(
    make_provider: MakeProvider, sns_fake: FakeSns
) -> None:
    await make_provider().send(TO, BODY, message_id="sms_1", purpose="sign_in")

    [publish] = sns_fake.published()
    assert message_attributes(publish) == {"AWS.SNS.SMS.SMSType": "Transactional"}


async def test_an_invalid_number_is_permanent(
    make_provider: MakeProvider, sns_fake: FakeSns
) -> None:
    with pytest.raises(PermanentDeliveryError) as caught:
        await make_provider().send("+1", BODY, message_id="sms_1", purpose="sign_in")

    assert caught.value.detail == "sns refused the number (InvalidParameter)"
    assert sns_fake.sms == []


@pytest.mark.parametrize(
    ("answer", "permanent", "detail"),
    [
        (
            _aws_error(400, "InvalidParameter", "Invalid parameter: PhoneNumber Reason: bad"),
            True,
            "sns refused the number (InvalidParameter)",
        ),
        (
            _aws_error(400, "InvalidParameter", "Invalid parameter: SenderID"),
            False,
            "sns answered HTTP 400 (InvalidParameter)",
        ),
        (
            _aws_error(400, "Throttling", "Rate exceeded"),
            False,
            "sns answered HTTP 400 (Throttling)",
        ),
        (
            _aws_error(500, "InternalError", "Internal failure"),
            False,
            "sns answered HTTP 500 (InternalError)",
        ),
        (
            _aws_error(403, "InvalidClientTokenId", "The security token is invalid"),
            False,
            "sns answered HTTP 403 (InvalidClientTokenId)",
        ),
    ],
    ids=["phone-invalid", "sender-id-invalid", "throttled", "server-error", "bad-credentials"],
)
async def test_aws_errors_are_classified(
    make_provider: MakeProvider, answer: Answer, permanent: bool, detail: str
) -> None:
    with CannedServer(answer) as server, pytest.raises(DeliveryError) as caught:
        await make_provider(endpoint_url=server.url).send(
            TO, BODY, message_id="sms_1", purpose="sign_in"
        )

    assert isinstance(caught.value, PermanentDeliveryError) is permanent
    assert caught.value.detail == detail
    assert len(server.requests) == 1, "SDK retries are off: one send is at most one SMS"


async def test_a_hanging_endpoint_times_out_as_temporary(make_provider: MakeProvider) -> None:
    with CannedServer(None) as server:
        provider = make_provider(endpoint_url=server.url, timeout=0.5)
        started = time.monotonic()
        with pytest.raises(DeliveryError) as caught:
            await provider.send(TO, BODY, message_id="sms_1", purpose="sign_in")

    assert time.monotonic() - started < 3
    assert caught.value.detail == "sns did not answer in time"
    assert len(server.requests) == 1


async def test_an_unreachable_endpoint_is_temporary(
    make_provider: MakeProvider, closed_url: str
) -> None:
    with pytest.raises(DeliveryError) as caught:
        await make_provider(endpoint_url=closed_url).send(
            TO, BODY, message_id="sms_1", purpose="sign_in"
        )

    assert not isinstance(caught.value, PermanentDeliveryError)
    assert caught.value.detail == "cannot reach sns (EndpointConnectionError)"


async def test_check_reads_sms_settings_without_publishing(
    make_provider: MakeProvider, sns_fake: FakeSns
) -> None:
    line = await make_provider().check()

    assert line.startswith("sns (us-east-1): reachable")
    assert [r.form.get("Action") for r in sns_fake.requests] == ["GetSMSAttributes"]
