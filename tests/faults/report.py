"""One line per fault, shown at the end of the run (what happened, and what was lost)."""

from __future__ import annotations

LINES: list[str] = []


def note(line: str) -> None:
    LINES.append(line)
