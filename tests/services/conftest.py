"""Fixtures for the use-case tests: the real services on the in-memory fakes."""

from __future__ import annotations

import pytest

from tests.fakes.ports import make_services
from tests.services.steps import World


@pytest.fixture
def world() -> World:
    """Every setting at its default, no rate limits, the clock at 2026-01-01 12:00 UTC."""
    services, fakes = make_services()
    return World(services, fakes)
