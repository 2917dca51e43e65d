"""The README's curl walkthrough (issue 15 point 18), run as written with bash, curl and jq
against a real ``otpgate serve``: register, sign in, one step-up."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.backends import require_all
from tests.browser.server import Server

README = Path(__file__).parents[2] / "README.md"


def walkthrough() -> str:
    text = README.read_text()
    found = re.search(r"<!-- walkthrough:[^\n]*-->\n```sh\n(.*?)```", text, re.S)
    assert found, "the README's walkthrough block is gone"
    return found.group(1)


def test_the_readme_walkthrough_runs_as_written() -> None:
    for tool in ("curl", "jq", "bash"):
        if shutil.which(tool) is None:
            message = f"the README walkthrough needs {tool} (.ci/run installs it)"
            if require_all():
                pytest.fail(message, pytrace=False)
            pytest.skip(message)
    with Server() as server:
        host, port = server.url.removeprefix("http://").split(":")
        env = {**os.environ, "HOST": host, "PORT": port, "OUTBOX": str(server.outbox)}
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", walkthrough()],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "approved"
    assert lines[1] == "ada@example.com"
    shipped = r"\d{6} is your otpgate code to ship to \"Ada Lovelace, 1 Main St.*"
    assert re.fullmatch(shipped, lines[2])
    assert lines[3:] == ["approved", "1 Main St"]


def test_the_readme_names_no_file_outside_the_repository() -> None:
    text = README.read_text()
    assert "DESIGN.md" not in text and "shared/" not in text
    assert not re.search(r"(?<!\.)\.\./", text)  # "ver_.../check" is an elision, not a path
    for target in re.findall(r"\]\(((?!https?://|#)[^)]+)\)", text):
        assert (README.parent / target).exists(), target
