"""Shared hypothesis settings for the unit tests: reproducible, fast, no example database.

``derandomize`` makes every run try the same examples, so a run is deterministic; without a
database nothing is written into the working tree.
"""

from __future__ import annotations

from hypothesis import settings

PROPS = settings(max_examples=200, deadline=None, database=None, derandomize=True)
# zxcvbn costs milliseconds per call; keep properties that call it small.
SLOW_PROPS = settings(max_examples=25, deadline=None, database=None, derandomize=True)
