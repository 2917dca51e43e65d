"""A real ``otpgate serve`` process on a free loopback port, with its own database and outbox.

Used by the browser tests and by ``python -m tests.browser.screenshots``.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import httpx

from tests.texts import CODE_LINE, code_of

# Generous limits: many journeys share one server and one client address.
RELAXED_LIMITS = {
    "OTPGATE_LIMIT_SEND_IP": "1000/minute",
    "OTPGATE_LIMIT_REGISTER_IP": "1000/minute",
    "OTPGATE_LIMIT_PASSWORD_IP": "1000/minute",
    "OTPGATE_LIMIT_VERIFY_IP": "1000/minute",
}
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def otpgate_command() -> list[str]:
    script = Path(sys.executable).parent / "otpgate"
    if script.exists():
        return [str(script)]
    found = shutil.which("otpgate")
    if found:
        return [found]
    return [sys.executable, "-m", "otpgate.cli"]


class Server:
    """``with Server(OTPGATE_CODE_TTL_SECONDS="2") as server: ...``

    ``host="localhost"`` serves (still on 127.0.0.1) at ``http://localhost:PORT``: WebAuthn
    refuses an IP address as the relying party, so passkey tests browse there."""

    def __init__(self, host: str = "127.0.0.1", **settings: str) -> None:
        self.settings = settings
        self.port = free_port()
        self.url = f"http://{host}:{self.port}"
        self._tmp = tempfile.TemporaryDirectory(prefix="otpgate-browser-")
        self.dir = Path(self._tmp.name)
        self.outbox = self.dir / "sms.jsonl"
        # The server's clock runs ahead by what this file says (OTPGATE_TEST_CLOCK_FILE).
        self.clock_file = self.dir / "clock-offset"
        self._offset = 0.0
        self._log: IO[bytes] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        # Each server has fresh limits; distinct numbers keep per-number send limits apart.
        self._numbers = itertools.count(1001)

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        env = {key: value for key, value in os.environ.items() if not key.startswith("OTPGATE_")}
        env.update(
            {
                "OTPGATE_DATA_DIR": str(self.dir / "data"),
                "OTPGATE_SMS_OUTBOX": str(self.outbox),
                "OTPGATE_BASE_URL": self.url,
                "OTPGATE_TEST_CLOCK_FILE": str(self.clock_file),
                "OTPGATE_LOG_LEVEL": "warning",
                **RELAXED_LIMITS,
                **self.settings,
            }
        )
        self._log = (self.dir / "server.log").open("wb")
        command = [*otpgate_command(), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        self._process = subprocess.Popen(
            command, env=env, stdout=self._log, stderr=subprocess.STDOUT, cwd=self.dir
        )
        self._wait_until_healthy()

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        assert self._process is not None
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                log = self.log()
                self.stop()
                raise RuntimeError(f"otpgate serve exited early:\n{log}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        log = self.log()
        self.stop()
        raise RuntimeError(f"otpgate serve did not become healthy in {START_TIMEOUT}s:\n{log}")

    def now(self) -> float:
        """The server's Unix time (the real one plus what ``advance`` added)."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the server's clock forward: codes expire without anyone waiting."""
        self._offset += seconds
        self.clock_file.write_text(str(self._offset))

    def stop(self) -> None:
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
                try:
                    self._process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None
        self._tmp.cleanup()

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, the requests it holds are cut (a crashed node)."""
        assert self._process is not None
        self._process.kill()
        self._process.wait()

    def log(self) -> str:
        path = self.dir / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # -- customers and their texts ---------------------------------------------------------

    def new_phone(self) -> str:
        """A valid US number nobody else in this run uses."""
        return f"+1415555{next(self._numbers):04d}"

    def messages(self, to: str) -> list[dict[str, Any]]:
        if not self.outbox.exists():
            return []
        lines = self.outbox.read_text(encoding="utf-8").splitlines()
        found = [json.loads(line) for line in lines if line.strip()]
        return [message for message in found if message["to"] == to]

    def wait_for_message(self, to: str, count: int = 1, timeout: float = 10.0) -> dict[str, Any]:
        """The ``count``-th text to ``to``, once it has been delivered."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            sent = self.messages(to)
            if len(sent) >= count:
                return sent[count - 1]
            time.sleep(0.05)
        raise AssertionError(f"no text number {count} to {to} within {timeout}s")

    def codes(self, to: str) -> list[str]:
        """The codes texted to ``to`` so far, oldest first (notices carry none)."""
        bodies = [m["body"] for m in self.messages(to)]
        return [code_of(b) for b in bodies if CODE_LINE.match(b.splitlines()[-1])]

    def wait_for_new_code(self, to: str, seen: int, timeout: float = 10.0) -> str:
        """The first code texted to ``to`` after the ``seen`` codes before it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            codes = self.codes(to)
            if len(codes) > seen:
                return codes[seen]
            time.sleep(0.05)
        raise AssertionError(f"no code number {seen + 1} to {to} within {timeout}s")

    def wait_for_code(self, to: str, count: int = 1, timeout: float = 10.0) -> str:
        """The code of the ``count``-th text to ``to``, once it has been delivered."""
        return code_of(self.wait_for_message(to, count, timeout)["body"])
