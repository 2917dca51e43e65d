"""Real ``otpgate`` processes for the queue tests: a worker we can stop politely or kill."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from tests.browser.server import otpgate_command


class Worker:
    """``otpgate worker`` with the given ``OTPGATE_*`` settings, its output in a file."""

    def __init__(self, directory: Path, name: str = "worker", **settings: str) -> None:
        self.log_path = directory / f"{name}.log"
        env = {key: value for key, value in os.environ.items() if not key.startswith("OTPGATE_")}
        env.update({"OTPGATE_LOG_FORMAT": "json", "OTPGATE_LOG_LEVEL": "info", **settings})
        self.env = env
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [*otpgate_command(), "worker", "--concurrency", "4"],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=directory,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_started(self, timeout: float = 30.0) -> None:
        wait_for(lambda: '"worker started"' in self.log(), timeout, self)

    def terminate(self, timeout: float = 20.0) -> int:
        """SIGTERM, and the exit status once it has stopped by itself."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self.close()

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to clean up (a crash, an OOM kill)."""
        self.process.kill()
        self.process.wait()
        self.close()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._log.close()


def wait_for(condition: Callable[[], bool], timeout: float, worker: Worker | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if worker is not None and worker.process.poll() is not None:
            raise AssertionError(f"the worker exited early:\n{worker.log()}")
        time.sleep(0.05)
    detail = f"\n{worker.log()}" if worker is not None else ""
    raise AssertionError(f"condition not met within {timeout}s{detail}")
