"""The movable clock of real-server tests: it follows the file, and only a loopback server
may have it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from otpgate.adapters.clock import FileOffsetClock
from otpgate.config import Settings


def test_the_clock_runs_ahead_by_what_the_file_says(tmp_path: Path) -> None:
    path = tmp_path / "offset"
    clock = FileOffsetClock(path)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)
    path.write_text("301")
    ahead = clock.now() - datetime.now(UTC)
    assert timedelta(seconds=296) < ahead < timedelta(seconds=306)


def test_a_public_server_refuses_a_movable_clock(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="TEST_CLOCK_FILE"):
        Settings(base_url="https://shop.example", test_clock_file=tmp_path / "offset")
    Settings(base_url="http://127.0.0.1:8000", test_clock_file=tmp_path / "offset")
