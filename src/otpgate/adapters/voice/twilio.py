"""Twilio Programmable Voice through the official SDK (Calls API, 2010-04-01).

The call's TwiML is built by the SDK (``VoiceResponse``, which escapes the text) and sent
inline with the request: no URL of ours for Twilio to fetch, so nothing to expose or sign.
The text reads the code twice, digit by digit (``domain.calls``). Like Messages, the Calls
API takes no idempotency key and the SDK makes one attempt, so one ``send`` is at most one
call; a process that died mid-call leaves the message ``unknown`` (delivery never calls twice
blindly).
"""

from __future__ import annotations

import asyncio

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from otpgate.adapters.sms.twilio import DEFAULT_API_BASE, NO_ENVIRONMENT, twilio_errors
from otpgate.domain.errors import DeliveryError

__all__ = ["PERMANENT_CALL_ERRORS", "TwilioVoiceProvider", "twiml"]

# Twilio error codes that blame the number being called (https://www.twilio.com/docs/api/errors).
PERMANENT_CALL_ERRORS = frozenset(
    {
        13223,  # invalid phone number format
        13224,  # invalid phone number
        13225,  # call to this number is forbidden
        13226,  # invalid country code
        21211,  # invalid 'To' phone number
        21214,  # 'To' phone number cannot be reached
        21215,  # geo permission: calls to this region are not enabled
        21217,  # phone number does not appear to be valid
    }
)


def twiml(text: str) -> str:
    """The TwiML of a call that says ``text`` (escaped), with a pause before it."""
    response = VoiceResponse()
    response.pause(length=1)
    response.say(text)
    return str(response)


class TwilioVoiceProvider:
    name = "twilio-voice"

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str | None = None,
        api_key_sid: str | None = None,
        api_key_secret: str | None = None,
        from_: str,
        api_base: str = DEFAULT_API_BASE,
        timeout: float = 10.0,
    ) -> None:
        if api_key_sid and api_key_secret:
            username, password = api_key_sid, api_key_secret
        elif auth_token:
            username, password = account_sid, auth_token
        else:
            raise ValueError("twilio-voice needs an auth token or an API key SID and secret")
        self.account_sid = account_sid
        self.from_ = from_
        self._timeout = timeout
        self._http = TwilioHttpClient(timeout=timeout)
        self._client = Client(
            username,
            password,
            account_sid=account_sid,
            http_client=self._http,
            environment=NO_ENVIRONMENT,
        )
        self._client.api.base_url = api_base.rstrip("/")

    async def send(self, to: str, body: str, *, message_id: str, purpose: str) -> str:
        with twilio_errors(PERMANENT_CALL_ERRORS):
            async with asyncio.timeout(2 * self._timeout):
                sid = await asyncio.to_thread(self._create, to, body)
        return sid or message_id

    def _create(self, to: str, body: str) -> str | None:
        call = self._client.api.v2010.accounts(self.account_sid).calls.create(
            to=to, from_=self.from_, twiml=twiml(body)
        )
        return str(call.sid) if call.sid else None

    async def check(self) -> str:
        try:
            with twilio_errors(PERMANENT_CALL_ERRORS):
                async with asyncio.timeout(2 * self._timeout):
                    status = await asyncio.to_thread(self._account_status)
        except DeliveryError as exc:
            return f"twilio-voice: not usable: {exc.detail}"
        return f"twilio-voice: account {self.account_sid} is {status}; calling from {self.from_}"

    def _account_status(self) -> str:
        account = self._client.api.v2010.accounts(self.account_sid).fetch()
        return str(account.status or "unknown")

    async def aclose(self) -> None:
        session = self._http.session
        if session is not None:
            await asyncio.to_thread(session.close)
