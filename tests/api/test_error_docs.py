"""Errors link to their documentation (issue 15 point 14): every problem's ``type`` is a URL on
the server whose page lists every code with its meaning and what to do, generated from the
error tree so it can't drift; every problem carries the request id of ``X-Request-Id``."""

from __future__ import annotations

import re

from otpgate.web.error_docs import HELP, catalog, error_codes
from tests.harness import Harness


def test_every_code_has_words_and_no_words_outlive_their_code() -> None:
    codes = set(error_codes())
    assert codes - set(HELP) == set(), "describe these codes in web/error_docs.py HELP"
    assert set(HELP) - codes == set(), "these described codes no longer exist"
    assert {"invalid_code", "rate_limited", "account_disabled", "unavailable"} <= codes


async def test_a_problem_links_to_its_row_and_carries_the_request_id(h: Harness) -> None:
    refused = await h.client.post(
        "/api/v1/sessions", json={"email": "ada@example.com", "password": "wrong password"}
    )
    body = refused.json()
    assert body["type"] == "https://shop.example/docs/errors#invalid_credentials"
    assert body["request_id"] == refused.headers["x-request-id"]

    page = await h.client.get("/docs/errors")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    rows = re.findall(r'<tr id="([a-z_]+)">', page.text)
    assert rows == [doc.code for doc in catalog()]
    assert "invalid_credentials" in rows
    for doc in catalog():
        assert "(not yet described)" not in doc.meaning


async def test_the_callers_request_id_is_kept_when_sane(h: Harness) -> None:
    mine = await h.client.get("/api/v1/me", headers={"X-Request-Id": "shop-checkout.42:a"})
    assert mine.status_code == 401
    assert mine.headers["x-request-id"] == "shop-checkout.42:a"
    assert mine.json()["request_id"] == "shop-checkout.42:a"
    for insane in ("x" * 65, "a b", "<script>", "-leading"):
        other = await h.client.get("/api/v1/me", headers={"X-Request-Id": insane})
        assert other.headers["x-request-id"] != insane
        assert re.fullmatch(r"[0-9a-f]{16}", other.json()["request_id"])


async def test_every_kind_of_problem_carries_type_url_and_request_id(h: Harness) -> None:
    answers = [
        await h.client.post("/api/v1/accounts", content=b"{", headers={"content-type": "x"}),
        await h.client.post(
            "/api/v1/accounts", content=b"{", headers={"content-type": "application/json"}
        ),
        await h.client.get("/api/v1/nothing-here"),
        await h.client.delete("/api/v1/me"),
        await h.client.post("/api/v1/accounts", json={"email": "x"}),
        await h.client.post(
            "/api/v1/accounts",
            content=b"x" * 70_000,
            headers={"content-type": "application/json"},
        ),
    ]
    for answer in answers:
        body = answer.json()
        assert answer.status_code >= 400
        assert body["type"] == f"https://shop.example/docs/errors#{body['code']}", body
        assert body["request_id"] == answer.headers["x-request-id"], body
