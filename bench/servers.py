"""Real server processes for the benchmark: ``otpgate serve``, the twin, and HAProxy."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx
from tests.browser.server import otpgate_command
from tests.topology.cluster import HAPROXY_CONFIG

from bench import infra


class Process:
    """A server on a free loopback port, stopped (its whole process group) on exit."""

    def __init__(self, command: list[str], env: dict[str, str], port: int, health: str) -> None:
        self.command, self.env, self.port, self.health = command, env, port, health
        self.url = f"http://127.0.0.1:{port}"
        self._log = tempfile.NamedTemporaryFile(prefix="otpgate-bench-", suffix=".log")  # noqa: SIM115
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Process:
        self.process = subprocess.Popen(
            self.command,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.command[0]} exited:\n{self.log()}")
            try:
                if httpx.get(self.url + self.health, timeout=1).status_code < 500:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.command[0]} did not start:\n{self.log()}")

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()

    def log(self) -> str:
        return Path(self._log.name).read_text(errors="replace")[-4000:]

    def rss_mib(self) -> list[float]:
        """Resident memory of each serving process (uvicorn's workers, or the one process)."""
        assert self.process is not None
        workers = infra.children(self.process.pid)
        sizes = [infra.rss_mib(pid) for pid in workers or [self.process.pid]]
        # uvicorn's supervisor may also own multiprocessing's resource tracker (~15 MiB): not a
        # serving process.
        return [size for size in sizes if size > 40] or sizes


def otpgate(env: dict[str, str], workers: int) -> Process:
    port = infra.free_port()
    command = [*otpgate_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    return Process([*command, "--workers", str(workers)], env, port, "/healthz")


def twin(dsn: str, workers: int) -> Process:
    port = infra.free_port()
    env = {**infra.environment_without_otpgate(), "OTPGATE_BENCH_TWIN_DSN": dsn}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    command = [sys.executable, "-m", "uvicorn", "bench.twin:app", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers), "--no-access-log"]
    return Process([*command, "--log-level", "warning"], env, port, "/docs")


def haproxy(backends: list[str]) -> Process:
    """Round robin over ``backends`` (http://127.0.0.1:port), configured as the topology tests'
    balancer is (tests/topology/cluster.py)."""
    port = infra.free_port()
    servers = "\n".join(
        f"    server app{n} {url.removeprefix('http://')} check" for n, url in enumerate(backends)
    )
    config = Path(tempfile.mkdtemp(prefix="otpgate-haproxy-")) / "haproxy.cfg"
    config.write_text(HAPROXY_CONFIG.format(port=port, servers=servers, maxconn=4096))
    return Process(["haproxy", "-db", "-f", str(config)], dict(os.environ), port, "/healthz")
