"""``otpgate clients``: register, list and delete the shop's OpenID Connect apps (§5.3)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.cli.test_api_keys_cli import out
from tests.cli.test_cli import run


def test_clients_create_list_delete(tmp_path: Path) -> None:
    created = out(
        tmp_path,
        "clients",
        "create",
        "--name",
        "storefront",
        "--redirect-uri",
        "https://shop.example/cb",
        "--redirect-uri",
        "http://127.0.0.1:8080/cb",
        "--post-logout-redirect-uri",
        "https://shop.example/",
    )
    assert set(created) == {"client_id", "client_secret"}
    secret = str(created["client_secret"])
    assert str(created["client_id"]).startswith("oc_") and secret.startswith("ocs_")
    public = out(
        tmp_path, "clients", "create", "--name", "app", "--public", "--redirect-uri", "shop:/cb"
    )
    assert public["client_secret"] is None
    listed = run(tmp_path, "clients", "list")
    assert listed.returncode == 0 and secret not in listed.stdout
    clients = out(tmp_path, "clients", "list")["clients"]
    assert isinstance(clients, list)
    assert [(c["name"], c["public"]) for c in clients] == [("storefront", False), ("app", True)]
    assert clients[0]["redirect_uris"] == ["https://shop.example/cb", "http://127.0.0.1:8080/cb"]
    with sqlite3.connect(tmp_path / "var" / "otpgate.db") as conn:
        dump = "\n".join(conn.iterdump())
    assert secret not in dump and secret.removeprefix("ocs_") not in dump
    deleted = out(tmp_path, "clients", "delete", str(created["client_id"]))
    assert deleted == {"client_id": created["client_id"], "deleted": True}
    again = run(tmp_path, "clients", "delete", str(created["client_id"]))
    assert again.returncode == 1 and "No such client" in again.stderr


def test_a_bad_redirect_uri_is_one_line(tmp_path: Path) -> None:
    for uri in ("http://shop.example/cb", "https://shop.example/cb#frag", "javascript:alert(1)"):
        bad = run(tmp_path, "clients", "create", "--name", "x", "--redirect-uri", uri)
        assert bad.returncode == 1 and "redirect URI" in bad.stderr, uri
        assert "Traceback" not in bad.stderr
