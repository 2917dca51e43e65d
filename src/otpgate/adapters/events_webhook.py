"""The event webhooks' sender: a POST signed per Standard Webhooks (implements
``services.webhooks.WebhookSender``).

Headers ``webhook-id`` (the event's own id, the same on every attempt), ``webhook-timestamp``
(Unix seconds of this attempt) and ``webhook-signature: v1,<base64 HMAC-SHA256 of
"<id>.<timestamp>.<body>">``, made by the ``standardwebhooks`` library so any receiver's
Standard Webhooks verifier accepts them. Only a 2xx answer counts as delivered; anything else,
or no answer, is a ``DeliveryError`` (retried later). Errors name the status or the kind of
failure, never the body.
"""

from __future__ import annotations

from datetime import datetime

import httpx
from standardwebhooks import Webhook

from otpgate import __version__
from otpgate.domain.errors import DeliveryError


class StandardWebhookSender:
    def __init__(
        self,
        url: str,
        secret: str,
        *,
        timeout_seconds: float = 10.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.url = url
        self.signer = Webhook(secret)
        # Redirects are not followed: a receiver moved elsewhere is a configuration change.
        self.client = client or httpx.AsyncClient(timeout=timeout_seconds, follow_redirects=False)

    async def send(self, webhook_id: str, body: str, at: datetime) -> None:
        headers = {
            "content-type": "application/json",
            "user-agent": f"otpgate/{__version__}",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": self.signer.sign(webhook_id, at, body),
        }
        try:
            response = await self.client.post(self.url, content=body.encode(), headers=headers)
        except httpx.TimeoutException as exc:
            raise DeliveryError("the webhook receiver did not answer in time") from exc
        except httpx.HTTPError as exc:
            raise DeliveryError(
                f"the webhook receiver is unreachable ({type(exc).__name__})"
            ) from exc
        if not 200 <= response.status_code < 300:
            raise DeliveryError(f"the webhook receiver answered {response.status_code}")

    async def aclose(self) -> None:
        await self.client.aclose()
