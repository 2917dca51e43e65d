"""Twilio Programmable Messaging through the official SDK (Messages API, 2010-04-01).

The SDK's default HTTP client is synchronous (requests); we run it in a worker thread. Its
async client needs an aiohttp session bound to one event loop and ignores its own timeout, so
the sync client with a per-request timeout is the simpler, sturdier choice here.

Twilio's Messages API takes no idempotency key, so ``message_id`` is not sent; the SDK does
not retry either (requests' default adapters make one attempt), so one ``send`` is at most one
SMS. Retries are the dispatcher's job. When a process died in the middle of a send, delivery
asks ``find`` whether Twilio has the message (same number, same body) before sending again.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from otpgate.domain.errors import DeliveryError, PermanentDeliveryError

__all__ = ["PERMANENT_ERROR_CODES", "TwilioProvider"]

DEFAULT_API_BASE = "https://api.twilio.com"
# How many of the number's newest messages ``find`` looks through.
FIND_LIMIT = 20

# Twilio error codes that blame the destination number itself: retrying, or sending through
# another provider with the same account, will not help. Every other 4xx (bad credentials,
# bad sender, account suspended) is our configuration and stays temporary, so failover can
# still deliver the code. https://www.twilio.com/docs/api/errors
PERMANENT_ERROR_CODES = frozenset(
    {
        21211,  # invalid 'To' phone number
        21214,  # 'To' phone number cannot be reached
        21217,  # phone number does not appear to be valid
        21265,  # 'To' number cannot be a short code
        21401,  # invalid phone number
        21407,  # this phone number type does not support SMS
        21408,  # permission to send to this region not enabled
        21421,  # phone number is invalid
        21610,  # recipient unsubscribed (replied STOP)
        21612,  # 'To' number not currently reachable via SMS
        21614,  # 'To' number is not a valid mobile number
        21635,  # 'To' number cannot be a landline
    }
)

# Twilio reads TWILIO_EDGE / TWILIO_REGION from os.environ when ``environment`` is empty and
# then rewrites the host (which would silently bypass ``api_base``). Our settings are the only
# source of configuration, so hand the SDK an environment that sets neither.
NO_ENVIRONMENT = {"TWILIO_EDGE": "", "TWILIO_REGION": ""}


@contextmanager
def twilio_errors(permanent: frozenset[int] = PERMANENT_ERROR_CODES) -> Iterator[None]:
    """Turn SDK and transport failures into our delivery errors (``permanent``: the error
    codes that blame the number; the voice provider passes its own).

    Messages name the HTTP status and Twilio's error code only: Twilio's own text may quote the
    number, and nothing here may carry the body (it holds the code) or the credentials.
    """
    try:
        yield
    except (TwilioRestException, TwilioServiceException) as exc:
        status, code = exc.status, exc.code
        if 400 <= status < 500 and code in permanent:
            raise PermanentDeliveryError(f"twilio refused the number (error {code})") from exc
        raise DeliveryError(f"twilio answered HTTP {status} (error {code})") from exc
    except (requests.Timeout, TimeoutError) as exc:
        raise DeliveryError("twilio did not answer in time") from exc
    except requests.RequestException as exc:
        raise DeliveryError(f"cannot reach twilio ({type(exc).__name__})") from exc
    except json.JSONDecodeError as exc:
        raise DeliveryError("twilio answered with unreadable JSON") from exc
    except TwilioException as exc:
        raise DeliveryError(f"twilio client error ({type(exc).__name__})") from exc


class TwilioProvider:
    name = "twilio"

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str | None = None,
        api_key_sid: str | None = None,
        api_key_secret: str | None = None,
        from_: str | None = None,
        messaging_service_sid: str | None = None,
        status_callback: str | None = None,
        api_base: str = DEFAULT_API_BASE,
        timeout: float = 10.0,
    ) -> None:
        if api_key_sid and api_key_secret:
            username, password = api_key_sid, api_key_secret
        elif auth_token:
            username, password = account_sid, auth_token
        else:
            raise ValueError("twilio needs an auth token or an API key SID and secret")
        if not (from_ or messaging_service_sid):
            raise ValueError("twilio needs a sender number or a messaging service SID")
        self.account_sid = account_sid
        self.from_ = from_
        self.messaging_service_sid = messaging_service_sid
        self.status_callback = status_callback
        self.api_base = api_base.rstrip("/")
        self._timeout = timeout
        self._http = TwilioHttpClient(timeout=timeout)
        self._client = Client(
            username,
            password,
            account_sid=account_sid,
            http_client=self._http,
            environment=NO_ENVIRONMENT,
        )
        # The SDK has no base-URL option; the ``api`` domain keeps its root in ``base_url``
        # and builds every Messages/Accounts URL from it, so pointing it elsewhere is enough.
        self._client.api.base_url = self.api_base

    async def send(self, to: str, body: str, *, message_id: str, purpose: str) -> str:
        with twilio_errors():
            async with asyncio.timeout(self._deadline):
                sid = await asyncio.to_thread(self._create, to, body)
        # A 201 without a sid would be odd; the SMS is on its way, so don't report a failure
        # that would make the dispatcher send a second one.
        return sid or message_id

    def _create(self, to: str, body: str) -> str | None:
        # ``None`` leaves a parameter out of the form (the SDK drops unset/None values).
        message = self._client.api.v2010.accounts(self.account_sid).messages.create(
            to=to,
            body=body,
            from_=self.from_,
            messaging_service_sid=self.messaging_service_sid,
            status_callback=self.status_callback,
        )
        return str(message.sid) if message.sid else None

    async def find(self, to: str, body: str) -> str | None:
        """The sid of a recent message to ``to`` whose body is exactly ``body``, if Twilio has
        one. The body holds a one-time code, so a match is that very message."""
        with twilio_errors():
            async with asyncio.timeout(self._deadline):
                return await asyncio.to_thread(self._find, to, body)

    def _find(self, to: str, body: str) -> str | None:
        recent = self._client.api.v2010.accounts(self.account_sid).messages.list(
            to=to, limit=FIND_LIMIT
        )
        for message in recent:
            if message.body == body and message.sid:
                return str(message.sid)
        return None

    async def check(self) -> str:
        # Fetching the account proves the credentials and the URL without sending anything.
        try:
            with twilio_errors():
                async with asyncio.timeout(self._deadline):
                    status = await asyncio.to_thread(self._account_status)
        except DeliveryError as exc:
            return f"twilio: not usable: {exc.detail}"
        sender = self.messaging_service_sid or self.from_
        return f"twilio: account {self.account_sid} is {status}; sending from {sender}"

    def _account_status(self) -> str:
        account = self._client.api.v2010.accounts(self.account_sid).fetch()
        return str(account.status or "unknown")

    async def aclose(self) -> None:
        session = self._http.session
        if session is not None:
            await asyncio.to_thread(session.close)

    @property
    def _deadline(self) -> float:
        # requests' timeout bounds the connect and each read separately; this bounds the whole
        # call (connect + read), so a server trickling bytes cannot hold a send forever.
        return 2 * self._timeout
