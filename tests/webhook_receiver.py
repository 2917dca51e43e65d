"""A real HTTP receiver for event webhooks on a loopback port, checked with the
``standardwebhooks`` library's own verifier, as a shop's receiver would be."""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class Receiver:
    """``with Receiver(secret) as receiver: ...``; ``stop()``/``start()`` take it down and up
    on the same port; ``fail`` decides per delivery whether to answer 503."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.deliveries: list[tuple[dict[str, str], bytes, bool]] = []
        self.fail: Callable[[dict[str, Any]], bool] = lambda _event: False
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/otpgate"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {name.lower(): value for name, value in self.headers.items()}
                event = json.loads(body)
                refuse = receiver.fail(event)
                with receiver._lock:
                    receiver.deliveries.append((headers, body, not refuse))
                self.send_response(503 if refuse else 204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Receiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def verified(self, only_accepted: bool = False) -> list[dict[str, Any]]:
        """Every delivery (or those answered 2xx), each verified by Standard Webhooks'
        verifier: a bad signature or a stale timestamp raises."""
        verifier = Webhook(self.secret)
        with self._lock:
            deliveries = list(self.deliveries)
        out = []
        for headers, body, accepted in deliveries:
            event = verifier.verify(body, headers)
            assert headers["webhook-id"] == event["id"]
            if accepted or not only_accepted:
                out.append(event)
        return out

    def accepted(self) -> list[dict[str, Any]]:
        """The events the receiver took, first delivery of each id, in arrival order."""
        seen: set[str] = set()
        out = []
        for event in self.verified(only_accepted=True):
            if event["id"] not in seen:
                seen.add(event["id"])
                out.append(event)
        return out

    def raw(self) -> list[bytes]:
        with self._lock:
            return [body for _headers, body, _accepted in self.deliveries]

    def wait_for(self, count: int, timeout: float = 15.0) -> list[dict[str, Any]]:
        """The accepted events once there are at least ``count`` (a real server's relay)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            accepted = self.accepted()
            if len(accepted) >= count:
                return accepted
            time.sleep(0.05)
        raise AssertionError(f"{len(self.accepted())} webhooks arrived, expected {count}")
