"""Cursor pagination for every list of the customer API: ``?limit=&cursor=`` in, ``has_more``
and ``next_cursor`` out. A cursor is opaque (clients pass it back, never build or read it):
the position after the last item shown, so items added or removed meanwhile never shift a
page. The small per-account lists (sessions, trusted browsers, addresses, payment methods)
are read whole and cut here; events are read page by page from the database.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Query

from otpgate.domain.errors import InvalidInput

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 100

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page (1–100)")]
Cursor = Annotated[
    str | None,
    Query(
        max_length=200,
        description="`next_cursor` of the previous page; leave it out for the first page",
    ),
]


EVENT_PREFIX = "act_"
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def event_id(number: int) -> str:
    """A security event's public id: ``act_`` and a fixed-width base-36 form of its row, so
    ids sort as the events happened; clients treat it as opaque."""
    digits = ""
    while number:
        number, rest = divmod(number, 36)
        digits = _DIGITS[rest] + digits
    return EVENT_PREFIX + digits.rjust(10, "0")


def event_number(public: str) -> int:
    """The row an ``event_id`` names; ``InvalidInput`` for anything else."""
    body = public.removeprefix(EVENT_PREFIX)
    if not public.startswith(EVENT_PREFIX) or len(body) != 10 or body.strip(_DIGITS):
        raise InvalidInput("cursor", "This cursor is not one this list gave out.")
    return int(body, 36)


def encode_cursor(kind: str, position: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{position}".encode()).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str) -> str:
    """The position a cursor of this ``kind`` holds; ``InvalidInput`` for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    found, _, position = raw.partition(":")
    if found != kind or not position:
        raise InvalidInput("cursor", "This cursor is not one this list gave out.")
    return position


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    has_more: bool
    next_cursor: str | None


def cut(
    kind: str, items: Sequence[T], key: Callable[[T], str], limit: int, cursor: str | None
) -> Page[T]:
    """The page of ``items`` (in their order) after ``cursor``. A cursor whose item is gone
    (signed out, deleted) is refused: where it stood is unknowable, and starting over silently
    could loop a client forever."""
    start = 0
    if cursor is not None:
        after = decode_cursor(kind, cursor)
        keys = [key(item) for item in items]
        if after not in keys:
            raise InvalidInput("cursor", "The list changed since this cursor; start again.")
        start = keys.index(after) + 1
    shown = list(items[start : start + limit])
    has_more = start + limit < len(items)
    return Page(shown, has_more, encode_cursor(kind, key(shown[-1])) if has_more else None)
