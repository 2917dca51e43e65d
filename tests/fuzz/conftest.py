"""The fuzz suite's servers start before collection: the schema is loaded when the test module
is imported (schemathesis' pytest fixture loader is broken on pytest 9.2)."""

from __future__ import annotations

import pytest

from tests.fuzz import targets


def pytest_configure(config: pytest.Config) -> None:
    if not targets.TARGETS:
        try:
            targets.start()
        except BaseException:
            targets.stop()
            raise


def pytest_unconfigure(config: pytest.Config) -> None:
    targets.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if any(target.requests for target in targets.TARGETS):
        terminalreporter.write_sep("-", "schemathesis against /openapi.json")
        terminalreporter.write_line(targets.summary())
