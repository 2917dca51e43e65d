"""Twilio calls: the request the official SDK really sends (Calls API with inline TwiML), and
how failures are classified; the voice outbox and the registry."""

from __future__ import annotations

import json
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from otpgate.adapters.voice.registry import build_voice_providers
from otpgate.adapters.voice.twilio import TwilioVoiceProvider
from otpgate.config import Settings
from otpgate.domain.calls import code_call
from otpgate.domain.errors import DeliveryError, PermanentDeliveryError
from tests.sms.fakes import Answer, FakeServer, Request, _twilio_error, json_answer

ACCOUNT_SID = "AC" + "4" * 32
AUTH_TOKEN = "twilio-voice-token-do-not-leak"
FROM = "+15005550006"
TO = "+14155550123"
CALLS_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"


class FakeCalls(FakeServer):
    """Twilio's Calls API: ``mode`` ``ok`` (201 queued), ``invalid`` (400, 13224), ``down``."""

    def __init__(self) -> None:
        super().__init__()
        self.mode = "ok"
        self.calls: list[dict[str, str]] = []

    def answer(self, request: Request) -> Answer | None:
        if request.basic_auth != (ACCOUNT_SID, AUTH_TOKEN):
            return _twilio_error(401, 20003, "Authenticate")
        if request.method != "POST" or request.path != CALLS_PATH:
            return _twilio_error(404, 20404, "Not found")
        if self.mode == "invalid":
            return _twilio_error(400, 13224, f"Invalid number {request.form.get('To')}")
        if self.mode == "down":
            return _twilio_error(503, 20503, "Service unavailable")
        self.calls.append(request.form)
        sid = "CA" + uuid.uuid4().hex
        return json_answer(201, {"sid": sid, "account_sid": ACCOUNT_SID, "status": "queued"})


@pytest.fixture
def twilio() -> Iterator[FakeCalls]:
    fake = FakeCalls()
    with fake:
        yield fake


def provider(fake: FakeCalls) -> TwilioVoiceProvider:
    return TwilioVoiceProvider(
        account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, from_=FROM, api_base=fake.url, timeout=5
    )


async def test_a_call_says_the_text_twice_through_inline_twiml(twilio: FakeCalls) -> None:
    call = code_call(code="402917", brand="Shop & Co <Ltd>", purpose_text="sign in")
    voice = provider(twilio)
    sid = await voice.send(TO, call.text, message_id="voice_1", purpose="sign_in")
    await voice.aclose()
    assert sid.startswith("CA")
    (form,) = twilio.calls
    assert (form["To"], form["From"]) == (TO, FROM)
    # Well-formed: the brand's "&" and "<" are escaped. (Our own TwiML, not untrusted XML.)
    twiml = ET.fromstring(form["Twiml"])  # noqa: S314
    assert twiml.tag == "Response"
    said = twiml.find("Say")
    assert said is not None and said.text == call.text
    assert said.text.count("4. 0. 2. 9. 1. 7.") == 2


async def test_a_bad_number_is_permanent_and_an_outage_temporary(twilio: FakeCalls) -> None:
    voice = provider(twilio)
    twilio.mode = "invalid"
    with pytest.raises(PermanentDeliveryError) as refused:
        await voice.send(TO, "words", message_id="voice_1", purpose="sign_in")
    assert TO not in refused.value.detail
    twilio.mode = "down"
    with pytest.raises(DeliveryError) as down:
        await voice.send(TO, "words", message_id="voice_1", purpose="sign_in")
    assert not isinstance(down.value, PermanentDeliveryError)
    await voice.aclose()


async def test_the_outbox_writes_one_line_per_call(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key="k" * 40)
    (outbox,) = build_voice_providers(settings).values()
    assert outbox.name == "voice-outbox"
    await outbox.send(TO, "This is Shop.", message_id="voice_1", purpose="sign_in")
    (line,) = (tmp_path / "voice-outbox.jsonl").read_text().splitlines()
    assert json.loads(line) | {"created_at": None} == {
        "id": "voice_1",
        "to": TO,
        "body": "This is Shop.",
        "purpose": "sign_in",
        "created_at": None,
    }


def test_twilio_voice_needs_a_caller_id(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        sms_provider="sns",
        voice_providers="twilio-voice",
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
    )
    with pytest.raises(ValueError, match="OTPGATE_TWILIO_VOICE_FROM"):
        build_voice_providers(settings)
