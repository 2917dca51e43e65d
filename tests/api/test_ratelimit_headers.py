"""RateLimit and RateLimit-Policy headers (IETF httpapi draft) on limited endpoints (issue 15
point 16); a 429 names the limit that refused, never what it counted (a number, an email)."""

from __future__ import annotations

import re

from otpgate.services import limits
from tests.harness import PASSWORD, Harness

POLICY = re.compile(r'^"(?P<rule>[a-z_]+)";q=(?P<q>\d+);w=(?P<w>\d+)$')
STATE = re.compile(r'^"(?P<rule>[a-z_]+)";r=(?P<r>\d+);t=(?P<t>\d+)$')


async def test_a_limited_answer_says_its_binding_limit(h: Harness) -> None:
    account = await h.registered_account()
    started = await h.start_sign_in()
    assert started.status_code == 202
    policy = POLICY.match(started.headers["ratelimit-policy"])
    state = STATE.match(started.headers["ratelimit"])
    assert policy and state and policy["rule"] == state["rule"]
    assert policy["rule"] in limits.ALL_RULES
    assert int(state["r"]) < int(policy["q"]) and 0 < int(state["t"]) <= int(policy["w"])
    assert account["phone"] not in str(started.headers)
    # An answer no limit counted carries none.
    assert "ratelimit" not in (await h.client.get("/healthz")).headers


async def test_a_429_names_the_rule_and_nothing_it_counted(h: Harness) -> None:
    await h.registered_account()
    wrong = {"email": "ada@example.com", "password": "not the password"}
    for _ in range(5):
        assert (await h.client.post("/api/v1/sessions", json=wrong)).status_code == 401
    refused = await h.client.post(
        "/api/v1/sessions", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "rate_limited" and body["limit"] == "password_account"
    assert refused.headers["ratelimit-policy"] == '"password_account";q=5;w=30'
    state = STATE.match(refused.headers["ratelimit"])
    assert state and state["rule"] == "password_account" and state["r"] == "0"
    assert int(state["t"]) == int(refused.headers["retry-after"])
    assert "ada@example.com" not in refused.text + str(refused.headers)
