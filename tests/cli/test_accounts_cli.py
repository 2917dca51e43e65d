"""``otpgate accounts ...`` as an operator runs them (issue 15 point 21): one JSON object out,
masked, each change audited with the operator action named."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

from tests.cli.test_cli import OTPGATE, env
from tests.conftest import TEST_SECRET
from tests.harness import Harness, auth


async def cli(h: Harness, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command in a thread: the test's own server shares this event loop, and a delivery it
    has begun holds SQLite's write lock until the loop runs it to the end."""
    extra = {"OTPGATE_DATABASE_URL": h.settings.database_url, "OTPGATE_SECRET_KEY": TEST_SECRET}
    if h.settings.redis_url:
        extra["OTPGATE_REDIS_URL"] = h.settings.redis_url
    return await asyncio.to_thread(
        subprocess.run,
        [OTPGATE, "accounts", *args],
        env=env(tmp_path, **extra),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def out(h: Harness, tmp_path: Path, *args: str) -> dict[str, Any]:
    result = await cli(h, tmp_path, *args)
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


async def test_find_show_sign_out_disable_enable(h: Harness, tmp_path: Path) -> None:
    account = await h.registered_account("Ada.Lovelace@Example.com")
    account_id = account["account_id"]

    by_email = await out(h, tmp_path, "find", "ada.lovelace@example.com")
    by_phone = await out(h, tmp_path, "find", account["phone"])
    assert [a["id"] for a in by_email["accounts"]] == [account_id]
    assert by_phone == by_email
    assert await out(h, tmp_path, "find", "nobody@example.com") == {"accounts": []}
    found = by_email["accounts"][0]
    assert found["email"] == "a•••@example.com"
    assert found["phone"].endswith(account["phone"][-2:]) and account["phone"] not in found["phone"]

    shown = await out(h, tmp_path, "show", account_id)
    assert shown["active_sessions"] == 1 and shown["disabled"] is False
    assert shown["factors"] == ["sms_code"]
    assert "ada.lovelace" not in json.dumps(shown) and account["phone"] not in json.dumps(shown)

    signed_out = await out(h, tmp_path, "sign-out", account_id)
    assert signed_out["action"] == "sign-out" and signed_out["sessions"] == 1
    assert (await h.client.get("/api/v1/me", headers=auth(account["token"]))).status_code == 401

    disabled = await out(h, tmp_path, "disable", account_id)
    assert disabled["account"]["disabled"] is True and disabled["account"]["disabled_at"]
    refused = await h.start_sign_in("ada.lovelace@example.com")
    assert refused.status_code == 403 and refused.json()["code"] == "account_disabled"
    enabled = await out(h, tmp_path, "enable", account_id)
    assert enabled["account"]["disabled"] is False

    unlocked = await out(h, tmp_path, "unlock", account_id)
    assert unlocked["code_pause_lifted"] is False
    assert unlocked["password_pause_lifted"] is (h.settings.redis_url is not None)

    events = await h.rows(
        "SELECT type, outcome, details FROM events WHERE type LIKE 'account.%' ORDER BY id"
    )
    assert [(e["type"], e["outcome"]) for e in events[1:]] == [
        ("account.signed_out", "ok"),
        ("account.disabled", "ok"),
        ("account.enabled", "ok"),
        ("account.unlocked", "ok"),
    ]
    for event, action in zip(events[1:], ("sign-out", "disable", "enable", "unlock"), strict=True):
        assert f"accounts {action}" in str(event["details"])


async def test_an_unknown_id_or_query_is_one_line(h: Harness, tmp_path: Path) -> None:
    for args in (("show", "acc_nope"), ("disable", "acc_nope"), ("find", "not a number")):
        result = await cli(h, tmp_path, *args)
        assert result.returncode == 1
        [line] = result.stderr.strip().splitlines()
        assert line.startswith("otpgate: ")
        assert "Traceback" not in result.stderr
