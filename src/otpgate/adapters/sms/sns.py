"""Amazon SNS direct-to-phone SMS (``Publish`` with ``PhoneNumber``) through boto3.

Credentials come from the standard AWS chain (environment, shared files, instance or task
role), never from our settings. boto3 is synchronous, so calls run in a worker thread with
botocore's own connect/read timeouts. SNS has no idempotency key for SMS, so ``message_id`` is
not sent; SDK retries are off so one ``send`` is at most one SMS (retries are the
dispatcher's job).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    ReadTimeoutError,
)

from otpgate.domain.errors import DeliveryError, PermanentDeliveryError

__all__ = ["SnsProvider"]

# Error codes SNS uses for a bad parameter; only a bad *phone number* blames the recipient.
_INVALID_PARAMETER_CODES = frozenset({"InvalidParameter", "InvalidParameterValue"})


@contextmanager
def _sns_errors() -> Iterator[None]:
    """Turn botocore failures into our delivery errors.

    Messages name the AWS error code and HTTP status only: AWS's text may quote the number,
    and nothing here may carry the body (it holds the code).
    """
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("Code", "Unknown")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        # AWS says "Invalid parameter: PhoneNumber Reason: ..." for a number it cannot use;
        # an invalid SenderID or attribute is our configuration and stays temporary.
        if code in _INVALID_PARAMETER_CODES and "phone" in str(error.get("Message", "")).lower():
            raise PermanentDeliveryError(f"sns refused the number ({code})") from exc
        raise DeliveryError(f"sns answered HTTP {status} ({code})") from exc
    except (ConnectTimeoutError, ReadTimeoutError, TimeoutError) as exc:
        raise DeliveryError("sns did not answer in time") from exc
    except BotoCoreError as exc:
        # Connection refused, DNS, missing credentials, ...: the class name says which.
        raise DeliveryError(f"cannot reach sns ({type(exc).__name__})") from exc


class SnsProvider:
    name = "sns"

    def __init__(
        self,
        *,
        region: str,
        endpoint_url: str | None = None,
        sender_id: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.region = region
        self.sender_id = sender_id
        self._timeout = timeout
        config = Config(
            connect_timeout=timeout,
            read_timeout=timeout,
            # One attempt: a retried Publish after a lost answer would be a second SMS.
            retries={"total_max_attempts": 1, "mode": "standard"},
        )
        # A private session: boto3's default session is shared module state.
        session = boto3.session.Session(region_name=region)
        self._client: Any = session.client("sns", endpoint_url=endpoint_url, config=config)

    async def send(self, to: str, body: str, *, message_id: str, purpose: str) -> str:
        attributes = {
            # Transactional: routed for reliability (OTPs), not lowest price (marketing).
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}
        }
        if self.sender_id:
            attributes["AWS.SNS.SMS.SenderID"] = {
                "DataType": "String",
                "StringValue": self.sender_id,
            }
        with _sns_errors():
            async with asyncio.timeout(self._deadline):
                answer = await asyncio.to_thread(
                    self._client.publish,
                    PhoneNumber=to,
                    Message=body,
                    MessageAttributes=attributes,
                )
        return str(answer.get("MessageId") or message_id)

    async def check(self) -> str:
        # Reading the account's SMS settings proves credentials and endpoint without sending.
        try:
            with _sns_errors():
                async with asyncio.timeout(self._deadline):
                    answer = await asyncio.to_thread(
                        self._client.get_sms_attributes,
                        attributes=["DefaultSMSType", "MonthlySpendLimit"],
                    )
        except DeliveryError as exc:
            return f"sns ({self.region}): not usable: {exc.detail}"
        settings = answer.get("attributes", {})
        default_type = settings.get("DefaultSMSType", "unset")
        limit = settings.get("MonthlySpendLimit", "unset")
        return (
            f"sns ({self.region}): reachable; account default SMS type {default_type}, "
            f"monthly spend limit {limit} USD"
        )

    async def aclose(self) -> None:
        await asyncio.to_thread(self._client.close)

    @property
    def _deadline(self) -> float:
        # botocore bounds the connect and each read; this bounds the whole call.
        return 2 * self._timeout
