"""Durations as words: the one formatter behind every "in 5 minutes" a customer reads."""

from __future__ import annotations


def _unit(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def duration_text(seconds: int, *, exact: bool = False, at_least_minutes: bool = False) -> str:
    """Seconds as "45 seconds", "5 minutes" or "2 hours".

    - default: seconds below 90, whole minutes below 90 minutes, then whole hours;
    - ``exact``: a lifetime as configured ("5 minutes" only when it is whole minutes, else
      "45 seconds"), never rounded;
    - ``at_least_minutes``: a pause shown in minutes, never less than "1 minute".
    """
    seconds = max(0, int(seconds))
    if exact:
        if seconds >= 60 and seconds % 60 == 0:
            return _unit(seconds // 60, "minute")
        return _unit(seconds, "second")
    if seconds < 90 and not at_least_minutes:
        return _unit(seconds, "second")
    minutes = max(1, round(seconds / 60))
    if minutes < 90:
        return _unit(minutes, "minute")
    return _unit(round(minutes / 60), "hour")
