"""Clocks: the wall clock is aware UTC; the manual clock moves only when told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from otpgate.domain.clock import Clock, ManualClock, SystemClock


def test_system_clock_is_aware_utc() -> None:
    now = SystemClock().now()
    assert now.tzinfo is not None
    assert now.utcoffset() == timedelta(0)


def test_manual_clock_starts_aware_and_stands_still() -> None:
    clock = ManualClock()
    first = clock.now()
    assert first.utcoffset() == timedelta(0)
    assert clock.now() == first


def test_manual_clock_advance_and_set() -> None:
    start = datetime(2030, 5, 1, 8, 0, tzinfo=UTC)
    clock = ManualClock(start)
    assert clock.now() == start
    clock.advance(1.5)
    assert clock.now() == start + timedelta(seconds=1.5)
    clock.advance(3600)
    assert clock.now() == start + timedelta(seconds=3601.5)
    later = datetime(2031, 1, 1, tzinfo=UTC)
    clock.set(later)
    assert clock.now() == later


def test_both_clocks_satisfy_the_port() -> None:
    clocks: list[Clock] = [SystemClock(), ManualClock()]
    for clock in clocks:
        assert isinstance(clock.now(), datetime)
