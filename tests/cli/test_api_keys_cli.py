"""``otpgate api-keys`` and ``otpgate keys`` as an operator runs them: one JSON object out."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.cli.test_cli import run


def out(tmp_path: Path, *args: str) -> dict[str, object]:
    result = run(tmp_path, *args)
    assert result.returncode == 0, result.stderr
    parsed: dict[str, object] = json.loads(result.stdout)
    return parsed


def test_api_keys_create_list_revoke(tmp_path: Path) -> None:
    created = out(tmp_path, "api-keys", "create", "--name", "checkout")
    assert set(created) == {"id", "secret"}
    key_id, secret = str(created["id"]), str(created["secret"])
    assert key_id.startswith("key_") and secret.startswith("otk_")
    both = out(
        tmp_path, "api-keys", "create", "--name", "fraud", "--scope", "verify", "--scope", "events"
    )
    listed = out(tmp_path, "api-keys", "list")
    keys = listed["api_keys"]
    assert isinstance(keys, list)
    assert [(k["id"], k["scopes"]) for k in keys] == [
        (key_id, ["verify"]),
        (both["id"], ["events", "verify"]),
    ]
    run_list = run(tmp_path, "api-keys", "list")
    assert secret not in run_list.stdout and secret.removeprefix("otk_") not in run_list.stdout
    revoked = out(tmp_path, "api-keys", "revoke", key_id)
    assert revoked["id"] == key_id and revoked["revoked_at"]
    again = run(tmp_path, "api-keys", "revoke", key_id)
    assert again.returncode == 1 and "No active API key" in again.stderr
    with sqlite3.connect(tmp_path / "var" / "otpgate.db") as conn:
        stored = conn.execute("SELECT secret_hash FROM api_keys").fetchall()
        dump = "\n".join(conn.iterdump())
    assert len(stored) == 2 and secret.removeprefix("otk_") not in dump


def test_a_bad_scope_or_name_is_one_line(tmp_path: Path) -> None:
    bad = run(tmp_path, "api-keys", "create", "--name", "x", "--scope", "admin")
    assert bad.returncode == 1 and "Scopes are verify, events" in bad.stderr
    assert "Traceback" not in bad.stderr
    empty = run(tmp_path, "api-keys", "create", "--name", " ")
    assert empty.returncode == 1 and "Traceback" not in empty.stderr


def test_keys_rotate_adds_a_current_key_and_keeps_the_old_published(tmp_path: Path) -> None:
    first = out(tmp_path, "keys", "rotate")
    second = out(tmp_path, "keys", "rotate")
    listed = out(tmp_path, "keys", "list")
    keys = listed["keys"]
    assert isinstance(keys, list)
    assert [k["kid"] for k in keys] == [second["kid"], first["kid"]]
    assert keys[0]["retired_at"] is None and keys[1]["retired_at"]
    assert all(k["alg"] == "ES256" for k in keys)
