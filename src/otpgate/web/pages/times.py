"""Moments as a customer reads them: an exact time in the markup, shown in their own zone.

The server knows no customer's time zone, so it writes UTC twice: machine-readable in
``<time datetime>`` and as text ("14:32 UTC"). ``static/app.js`` rewrites the text of every
``<time data-local>`` in the browser's zone with ``Intl.DateTimeFormat``; without JavaScript
the UTC text stays, which is still exact.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

from babel.dates import format_skeleton
from markupsafe import Markup, escape

from otpgate import i18n

Style = Literal["time", "datetime"]


def clock_text(moment: datetime, now: datetime) -> str:
    """ "14:32 UTC" today, "2 Dec, 09:05 UTC" on another day (the month in the page's
    language: "2. Dez., 09:05 UTC", "2 déc., 09:05 UTC")."""
    moment, now = moment.astimezone(UTC), now.astimezone(UTC)
    if moment.date() == now.date():
        return moment.strftime("%H:%M UTC")
    # The day as the language writes it; English keeps the site's "2 Dec" (British order).
    language = i18n.current_language()
    day = format_skeleton(
        "dMMM", moment, tzinfo=UTC, locale="en_GB" if language == "en" else language
    )
    return f"{day}, {moment.strftime('%H:%M')} UTC"


def time_tag(moment: datetime, text: str, style: Style = "datetime") -> Markup:
    """``<time datetime="…Z" data-local="style">text</time>``, ready for the page."""
    iso = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Markup('<time datetime="{}" data-local="{}">{}</time>').format(iso, style, escape(text))


def ends_at(now: datetime, retry_after: int) -> datetime:
    """When a pause of ``retry_after`` seconds from ``now`` is over, rounded up to a minute
    (a time shown as 14:32 must not still be refused at 14:32:10)."""
    end = now + timedelta(seconds=retry_after)
    if end.second or end.microsecond:
        end = end.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return end


def at(now: datetime, retry_after: int) -> Markup:
    """ "14:32 UTC" as a local ``<time>`` for the end of a pause."""
    end = ends_at(now, retry_after)
    return time_tag(end, clock_text(end, now), "time" if end.date() == now.date() else "datetime")
