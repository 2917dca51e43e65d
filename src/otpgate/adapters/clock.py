"""A clock a test can move from outside the process: the wall clock plus an offset in a file.

Browser tests drive a real ``otpgate serve``; to see a code expire they write "301" into the
file instead of waiting five minutes. Settings refuse it unless the server answers on a
loopback address only: a movable clock on a real server would let whoever writes the file
stretch every code's life.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path


class FileOffsetClock:
    """Implements ``Clock``: now + the seconds last written to ``path`` (0 when absent)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: int | None = None
        self._offset = timedelta(0)

    def now(self) -> datetime:
        try:
            stamp = os.stat(self.path).st_mtime_ns
        except FileNotFoundError:
            stamp = None
        if stamp != self._stamp:
            self._stamp = stamp
            text = self.path.read_text().strip() if stamp is not None else ""
            self._offset = timedelta(seconds=float(text or 0))
        return datetime.now(UTC) + self._offset
