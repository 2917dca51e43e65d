"""The webhook provider: a signed JSON POST to a receiver the operator runs (DESIGN §5).

The receiver gets ``{id, to, body, purpose}`` with ``X-Otpgate-Timestamp`` (Unix seconds) and
``X-Otpgate-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">``. Signing the raw
bytes (not re-serialised JSON) lets any language verify without canonicalising; the timestamp
in the signed text stops a captured request from being replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import httpx

from otpgate.domain.errors import DeliveryError, PermanentDeliveryError

__all__ = ["WebhookProvider", "sign_webhook", "verify_webhook_signature"]

SIGNATURE_PREFIX = "sha256="
DEFAULT_TOLERANCE_SECONDS = 300
# Statuses that say "not now" rather than "never": the request timed out or was throttled.
_RETRYABLE_CLIENT_STATUSES = frozenset({408, 429})
# Statuses that say our credentials or signature are wrong, not the number: failing over to
# another provider still gets the code through, so they must not end delivery for good.
_CONFIG_CLIENT_STATUSES = frozenset({401, 403})


def sign_webhook(secret: bytes, timestamp: str, body: bytes) -> str:
    """The ``X-Otpgate-Signature`` value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + digest.hexdigest()


def verify_webhook_signature(
    secret: bytes,
    timestamp: str,
    body: bytes,
    signature_header: str,
    now: float,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """True when ``signature_header`` signs ``body`` at ``timestamp`` and the timestamp is fresh.

    For receivers (and our tests): pass the raw request body, the two headers and the current
    Unix time. Timestamps more than ``tolerance`` seconds in the past or future are refused.
    """
    if not timestamp.isascii() or not timestamp.isdigit():
        return False
    if abs(now - int(timestamp)) > tolerance:
        return False
    expected = sign_webhook(secret, timestamp, body)
    # Bytes, so a non-ASCII header is simply unequal instead of a TypeError.
    return hmac.compare_digest(expected.encode(), signature_header.encode("utf-8", "replace"))


@contextmanager
def _webhook_errors() -> Iterator[None]:
    """Turn httpx failures into our delivery errors; never echo the request or the answer."""
    try:
        yield
    except httpx.HTTPStatusError as exc:
        status = exc.response.status_code
        detail = f"webhook answered HTTP {status}"
        if 400 <= status < 500 and status not in (
            _RETRYABLE_CLIENT_STATUSES | _CONFIG_CLIENT_STATUSES
        ):
            raise PermanentDeliveryError(detail) from exc
        raise DeliveryError(detail) from exc
    except httpx.TimeoutException as exc:
        raise DeliveryError("webhook did not answer in time") from exc
    except httpx.HTTPError as exc:
        raise DeliveryError(f"cannot reach the webhook ({type(exc).__name__})") from exc


class WebhookProvider:
    name = "webhook"
    # Every request carries ``Idempotency-Key: <message id>``, stable across retries: delivery
    # may re-send a message whose first call was cut off, and the receiver drops the repeat.
    idempotent = True

    def __init__(self, url: str, secret: bytes, *, timeout: float = 10.0) -> None:
        self.url = url
        self._secret = secret
        # Redirects are not followed: a signed message must go only where it was configured.
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(timeout), follow_redirects=False)

    async def send(self, to: str, body: str, *, message_id: str, purpose: str) -> str:
        payload = json.dumps(
            {"id": message_id, "to": to, "body": body, "purpose": purpose},
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode("utf-8")
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Otpgate-Timestamp": timestamp,
            "X-Otpgate-Signature": sign_webhook(self._secret, timestamp, payload),
            # Stable across retries, so a receiver can drop a message it already sent.
            "Idempotency-Key": message_id,
        }
        with _webhook_errors():
            response = await self._client.post(self.url, content=payload, headers=headers)
            response.raise_for_status()
        return _receiver_id(response) or message_id

    async def check(self) -> str:
        # No request: any probe could be taken for a message, and an unsigned one may alert.
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return "webhook: OTPGATE_WEBHOOK_URL is not an http(s) URL"
        # Only scheme, host and path: a query string or user info may hold a token.
        where = f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}"
        return f"webhook: signed POSTs to {where}{parts.path} (not probed)"

    async def aclose(self) -> None:
        await self._client.aclose()


def _receiver_id(response: httpx.Response) -> str | None:
    """The receiver's own id for the message, when it answers JSON with a string ``id``."""
    try:
        answer = response.json()
    except ValueError:
        return None
    value = answer.get("id") if isinstance(answer, dict) else None
    return value if isinstance(value, str) and value else None
