"""Throwaway Redis and PostgreSQL servers that a test owns: own port, own directory, own process.

The fuzz and fault suites stop, restart and starve these; the machine's own PostgreSQL and
Redis (``OTPGATE_TEST_*``) are never touched. PostgreSQL refuses to run as root, so as root the
cluster runs as the ``postgres`` user (``runuser``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.browser.server import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _wait(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(check) and check():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not come up within {timeout}s")


class RedisServer:
    """``redis-server`` on a free loopback port, in memory only."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._dir = tempfile.TemporaryDirectory(prefix="otpgate-redis-")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self._dir.name,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait(self.answers, 10, "redis-server")

    def answers(self) -> bool:
        import socket

        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def close(self) -> None:
        self.stop()
        self._dir.cleanup()


class PostgresCluster:
    """A PostgreSQL 15 cluster of its own (``initdb`` + ``pg_ctl``) on a free loopback port."""

    def __init__(self) -> None:
        self.port = free_port()
        self._tmp = tempfile.mkdtemp(prefix="otpgate-pg-")
        self.data = Path(self._tmp) / "data"
        self.log = Path(self._tmp) / "server.log"
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._as_root = os.geteuid() == 0
        if self._as_root:
            shutil.chown(self._tmp, "postgres", "postgres")

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(PG_BIN / args[0]), *args[1:]]
        if self._as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(
            command, capture_output=True, text=True, timeout=120, check=check, cwd=self._tmp
        )

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self._tmp}'\nfsync = off\n"
                "synchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\n"
            )

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def kill(self) -> None:
        """Stop it the hard way: every backend is cut off at once (a crash, an OOM kill)."""
        pid_file = self.data / "postmaster.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().split()[0])
            try:
                os.kill(pid, signal.SIGQUIT)  # immediate shutdown
            except ProcessLookupError:
                return
            _wait(lambda: not pid_file.exists(), 30, "postgres shutdown")

    def running(self) -> bool:
        result = self._run("pg_ctl", "-D", str(self.data), "status", check=False)
        return result.returncode == 0

    def close(self) -> None:
        if self.data.exists():
            self.stop("immediate")
        shutil.rmtree(self._tmp, ignore_errors=True)
