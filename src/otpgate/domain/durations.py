"""Durations as words: the one formatter behind every "in 5 minutes" a customer reads, in the
reader's language (``words``: the page's, or the account's for its SMS and email)."""

from __future__ import annotations

from otpgate.domain.language import ENGLISH, Translator


def _seconds(count: int, words: Translator) -> str:
    return words.ngettext("%(count)d second", "%(count)d seconds", count) % {"count": count}


def _minutes(count: int, words: Translator) -> str:
    return words.ngettext("%(count)d minute", "%(count)d minutes", count) % {"count": count}


def _hours(count: int, words: Translator) -> str:
    return words.ngettext("%(count)d hour", "%(count)d hours", count) % {"count": count}


def duration_text(
    seconds: int,
    *,
    words: Translator = ENGLISH,
    exact: bool = False,
    at_least_minutes: bool = False,
) -> str:
    """Seconds as "45 seconds", "5 minutes" or "2 hours" (in ``words``' language).

    - default: seconds below 90, whole minutes below 90 minutes, then whole hours;
    - ``exact``: a lifetime as configured ("5 minutes" only when it is whole minutes, else
      "45 seconds"), never rounded;
    - ``at_least_minutes``: a pause shown in minutes, never less than "1 minute".
    """
    seconds = max(0, int(seconds))
    if exact:
        if seconds >= 60 and seconds % 60 == 0:
            return _minutes(seconds // 60, words)
        return _seconds(seconds, words)
    if seconds < 90 and not at_least_minutes:
        return _seconds(seconds, words)
    minutes = max(1, round(seconds / 60))
    if minutes < 90:
        return _minutes(minutes, words)
    return _hours(round(minutes / 60), words)
