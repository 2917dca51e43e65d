"""Real local HTTP servers standing in for SMS vendors, so providers run their real SDKs.

Each fake listens on 127.0.0.1 on a free port, in a thread, and records what arrived. Error
answers deliberately echo the message body: real vendors rarely do, but it proves a provider
never passes vendor text on into our error messages.
"""

from __future__ import annotations

import base64
import io
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.sns.models import sns_backends
from werkzeug.serving import make_server

from otpgate.adapters.sms.webhook import verify_webhook_signature

# How long a "hanging" fake holds a request at most; stop() releases it at once.
HANG_LIMIT_SECONDS = 10.0

# How often a server loop looks for shutdown(); the default 0.5 s would slow every teardown.
POLL_SECONDS = 0.01

Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))

    @property
    def basic_auth(self) -> tuple[str, str] | None:
        scheme, _, value = self.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        user, _, password = base64.b64decode(value).decode().partition(":")
        return user, password


def json_answer(status: int, payload: object) -> Answer:
    return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()


class FakeServer:
    """A threaded HTTP server; subclasses implement ``answer``. Use as a context manager."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._release = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    method=self.command,
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length),
                )
                fake.requests.append(request)
                answer = fake.answer(request)
                if answer is None:  # hang until stop(); the client times out first
                    fake._release.wait(HANG_LIMIT_SECONDS)
                    return
                status, headers, body = answer
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                return None  # keep test output quiet

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(POLL_SECONDS,), daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def answer(self, request: Request) -> Answer | None:
        """The answer to ``request``, or ``None`` to hang."""
        raise NotImplementedError

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class CannedServer(FakeServer):
    """Answers every request the same way (or hangs when ``answer_with`` is ``None``)."""

    def __init__(self, answer_with: Answer | None) -> None:
        super().__init__()
        self.answer_with = answer_with

    def answer(self, request: Request) -> Answer | None:
        return self.answer_with


class FakeTwilio(FakeServer):
    """Twilio's Messages API (2010-04-01): create a message, fetch the account.

    ``mode`` picks the answer to a create: ``ok`` (201 queued), ``server_error`` (500),
    ``invalid_number`` (400, error 21211), ``rate_limited`` (429, error 20429), ``hang``.
    """

    def __init__(self, credentials: Iterable[tuple[str, str]]) -> None:
        super().__init__()
        self.credentials = set(credentials)
        self.mode = "ok"
        self.messages: list[dict[str, str]] = []  # form fields of accepted messages

    def answer(self, request: Request) -> Answer | None:
        if request.basic_auth not in self.credentials:
            return _twilio_error(401, 20003, "Authenticate")
        parts = request.path.strip("/").split("/")
        # /2010-04-01/Accounts/{sid}.json and /2010-04-01/Accounts/{sid}/Messages.json
        if request.method == "GET" and len(parts) == 3 and parts[1] == "Accounts":
            sid = parts[2].removesuffix(".json")
            return json_answer(200, {"sid": sid, "status": "active", "friendly_name": "test"})
        if request.method == "POST" and len(parts) == 4 and parts[3] == "Messages.json":
            return self._create(parts[2], request.form)
        return _twilio_error(404, 20404, "The requested resource was not found")

    def _create(self, account_sid: str, form: dict[str, str]) -> Answer | None:
        body = form.get("Body", "")
        if self.mode == "hang":
            return None
        if self.mode == "server_error":
            return _twilio_error(500, 20500, f"Internal error while sending {body!r}")
        if self.mode == "rate_limited":
            return _twilio_error(429, 20429, f"Too many requests sending {body!r}")
        if self.mode == "invalid_number":
            to = form.get("To")
            return _twilio_error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        self.messages.append(form)
        sid = "SM" + uuid.uuid4().hex
        return json_answer(
            201,
            {
                "sid": sid,
                "account_sid": account_sid,
                "to": form.get("To"),
                "from": form.get("From"),
                "messaging_service_sid": form.get("MessagingServiceSid"),
                "body": body,
                "status": "queued",
                "num_segments": "1",
                "direction": "outbound-api",
                "api_version": "2010-04-01",
                "date_created": formatdate(usegmt=True),
                "date_updated": formatdate(usegmt=True),
                "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json",
            },
        )


def _twilio_error(status: int, code: int, message: str) -> Answer:
    return json_answer(
        status,
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
    )


class FakeWebhookReceiver(FakeServer):
    """A receiver that checks the signature like a real one would and records messages.

    ``mode``: ``ok`` (200 with its own id), ``no_id`` (204), ``client_error`` (400),
    ``server_error`` (500), ``rate_limited`` (429), ``unauthorized`` (401), ``hang``.
    A request whose signature does not verify is refused with 401 and not recorded.
    """

    def __init__(self, secret: bytes, now: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.secret = secret
        self.now = now
        self.mode = "ok"
        self.messages: list[dict[str, Any]] = []
        self.verified: list[Request] = []

    def answer(self, request: Request) -> Answer | None:
        if self.mode == "hang":
            return None
        echo = {"error": f"cannot deliver {request.body.decode()!r}"}
        statuses = {"client_error": 400, "server_error": 500, "rate_limited": 429}
        if self.mode in statuses:
            return json_answer(statuses[self.mode], echo)
        valid = verify_webhook_signature(
            self.secret,
            request.headers.get("x-otpgate-timestamp", ""),
            request.body,
            request.headers.get("x-otpgate-signature", ""),
            now=self.now(),
        )
        if not valid or self.mode == "unauthorized":
            return json_answer(401, {"error": "bad signature"})
        self.verified.append(request)
        self.messages.append(json.loads(request.body))
        if self.mode == "no_id":
            return 204, {}, b""
        return json_answer(200, {"id": "wh_" + uuid.uuid4().hex})


@dataclass
class FakeSns:
    """moto's SNS, served over real HTTP, plus a record of the raw requests it received.

    moto keeps (number, text) of every SMS in its in-process backend but drops the message
    attributes, so a small WSGI wrapper records the wire request too. moto's own
    ``ThreadedMotoServer`` offers no hook for that; this is the same app and server it builds.
    """

    region: str = "us-east-1"
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        moto_app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server(
            "127.0.0.1",
            0,
            self._recording(moto_app),
            threaded=True,
            request_handler=MotoRequestHandler,
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(POLL_SECONDS,), daemon=True
        )
        self._already_sent = set(self._backend.sms_messages)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def _backend(self) -> Any:
        return sns_backends[DEFAULT_ACCOUNT_ID][self.region]

    @property
    def sms(self) -> list[tuple[str, str]]:
        """(number, text) of every SMS moto accepted since this fake started."""
        sent = self._backend.sms_messages
        return [sent[key] for key in sent if key not in self._already_sent]

    def published(self) -> list[dict[str, str]]:
        """The form fields of every Publish request received."""
        return [r.form for r in self.requests if r.form.get("Action") == "Publish"]

    def _recording(self, app: Any) -> Any:
        def wrapper(environ: dict[str, Any], start_response: Any) -> Any:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(body)
            headers = {
                key[5:].replace("_", "-").lower(): value
                for key, value in environ.items()
                if key.startswith("HTTP_")
            }
            self.requests.append(
                Request(environ["REQUEST_METHOD"], environ["PATH_INFO"], headers, body)
            )
            return app(environ, start_response)

        return wrapper

    def __enter__(self) -> FakeSns:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def message_attributes(form: dict[str, str]) -> dict[str, str]:
    """``{name: string value}`` from a query-protocol Publish's ``MessageAttributes.entry.N``."""
    names = {
        key.split(".")[2]: value
        for key, value in form.items()
        if key.startswith("MessageAttributes.entry.") and key.endswith(".Name")
    }
    return {
        name: form.get(f"MessageAttributes.entry.{index}.Value.StringValue", "")
        for index, name in names.items()
    }
