"""Two app nodes behind HAProxy, two workers, one PostgreSQL, one Redis: each a real process.

The topology tests (issue 10) show that nodes share everything that matters — challenges,
limits, the account pause, the outbox — so more nodes add capacity and one can die. PostgreSQL
and Redis are throwaway servers of the test's own (tests/daemons.py); SMS go to a fake Twilio on
loopback (tests/delivery/conftest.py), which counts what was really sent.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from tests.browser.server import Server, free_port
from tests.delivery.conftest import ScriptedTwilio
from tests.faults.stack import LIMITS, Stack
from tests.texts import code_of

PASSWORD = "two nodes share one truth 2026"

HAPROXY_CONFIG = """global
    maxconn {maxconn}
defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    # A node that refuses the connection (killed) is retried on the other one; a request the
    # dead node had already taken is not (it may have changed something): only those fail.
    retries 2
    option redispatch
frontend web
    bind 127.0.0.1:{port}
    default_backend apps
backend apps
    balance roundrobin
    option httpchk GET /healthz
    default-server inter 300ms fall 2 rise 2
{servers}
"""


class Balancer:
    """Debian's HAProxy on a free loopback port, round robin over ``backends``."""

    def __init__(self, backends: list[int]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._dir = tempfile.TemporaryDirectory(prefix="otpgate-haproxy-")
        servers = "\n".join(
            f"    server app{n} 127.0.0.1:{p} check" for n, p in enumerate(backends)
        )
        self.config = Path(self._dir.name) / "haproxy.cfg"
        self.config.write_text(HAPROXY_CONFIG.format(port=self.port, servers=servers, maxconn=512))
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
        self.process = subprocess.Popen(
            [binary, "-db", "-f", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError("haproxy did not come up")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None
        self._dir.cleanup()


class Cluster(Stack):
    """The fault suite's stack, scaled out: nodes ``a`` and ``b``, workers one and two."""

    def __init__(self, directory: Path, twilio: ScriptedTwilio, **settings: str) -> None:
        super().__init__(directory, **settings)
        self.twilio = twilio
        self.nodes: dict[str, Server] = {}
        self.balancer: Balancer | None = None

    def start(self) -> Cluster:
        super().start()  # PostgreSQL, Redis, `otpgate db upgrade`, and node a
        assert self.server is not None
        self.nodes["a"] = self.server
        self.nodes["b"] = Server(**self.env)
        self.nodes["b"].start()
        self.balancer = Balancer([node.port for node in self.nodes.values()])
        self.balancer.start()
        self.worker("worker-one")
        self.worker("worker-two")
        return self

    @property
    def url(self) -> str:
        """Through the load balancer, as customers reach it."""
        if self.balancer is None:
            return super().url
        return self.balancer.url

    def node(self, name: str) -> str:
        return self.nodes[name].url

    def kill(self, name: str) -> None:
        """SIGKILL an app node: no graceful shutdown, its in-flight requests are cut."""
        self.nodes[name].kill()

    def stop(self) -> None:
        if self.balancer is not None:
            self.balancer.stop()
        for name, node in self.nodes.items():
            if name != "a":  # node a is the stack's own server, stopped by Stack.stop
                node.stop()
        super().stop()

    # -- customers -------------------------------------------------------------------------

    def texts(self, phone: str) -> list[dict[str, str]]:
        return [m for m in list(self.twilio.created) if m["to"] == phone]

    def code(self, phone: str, count: int = 1, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            sent = self.texts(phone)
            if len(sent) >= count:
                return code_of(sent[count - 1]["body"])
            time.sleep(0.05)
        raise AssertionError(f"no text number {count} to {phone} within {timeout}s")

    def sign_up(self, base_url: str, index: int) -> dict[str, Any]:
        """Registers customer ``index`` on ``base_url``: its phone and pending challenge id."""
        phone = f"+1415555{6000 + index:04d}"
        body = {"name": "Node", "email": f"node{index}@example.com", "password": PASSWORD}
        answer = httpx.post(f"{base_url}/api/v1/accounts", json=body | {"phone": phone}, timeout=30)
        assert answer.status_code == 202, answer.text
        return {"phone": phone, "challenge": answer.json()["challenge"]["id"]}


__all__ = ["LIMITS", "PASSWORD", "Balancer", "Cluster"]
