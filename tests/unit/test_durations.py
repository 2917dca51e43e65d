"""The one duration formatter: lifetimes exactly, waits rounded, pauses in minutes."""

from __future__ import annotations

import pytest

from otpgate.domain.durations import duration_text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (1, "1 second"),
        (2, "2 seconds"),
        (45, "45 seconds"),
        (60, "1 minute"),
        (90, "90 seconds"),
        (120, "2 minutes"),
        (300, "5 minutes"),
        (600, "10 minutes"),
    ],
)
def test_lifetime_text(seconds: int, text: str) -> None:
    assert duration_text(seconds, exact=True) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 seconds"),
        (1, "1 second"),
        (89, "89 seconds"),
        (90, "2 minutes"),
        (899, "15 minutes"),
        (3600, "60 minutes"),
        (5369, "89 minutes"),
        (5399, "2 hours"),
        (5400, "2 hours"),
        (86400, "24 hours"),
    ],
)
def test_wait_text_rounds(seconds: int, text: str) -> None:
    assert duration_text(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(1, "1 minute"), (29, "1 minute"), (900, "15 minutes"), (3600, "60 minutes")],
)
def test_pause_text_is_in_minutes(seconds: int, text: str) -> None:
    assert duration_text(seconds, at_least_minutes=True) == text
