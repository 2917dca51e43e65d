"""More nodes add capacity, and a node can die (issue 10): two ``otpgate serve`` behind HAProxy,
two ``otpgate worker``, one PostgreSQL, one Redis — all real processes (tests/topology/cluster.py).

Nothing a node keeps in its own memory may decide an answer: a challenge opened on one node is
answered on the other, the limits (Redis) and the account pause (PostgreSQL) count across both,
each SMS goes out exactly once whichever worker claims it, and killing a node fails only the
requests it was holding.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter

import httpx

from tests.texts import wrong_code
from tests.topology.cluster import Cluster


def test_a_challenge_opened_on_one_node_is_answered_on_the_other(cluster: Cluster) -> None:
    customer = cluster.sign_up(cluster.node("a"), 1)
    code = cluster.code(customer["phone"])
    verify = f"/api/v1/challenges/{customer['challenge']}/verify"
    # Node b never saw the challenge: a wrong code there counts against the same challenge...
    wrong = httpx.post(cluster.node("b") + verify, json={"code": wrong_code(code)})
    assert wrong.status_code == 400 and wrong.json()["code"] == "invalid_code", wrong.text
    assert wrong.json()["attempts_remaining"] == 9
    # ...and the right code there opens the session, usable on node a.
    right = httpx.post(cluster.node("b") + verify, json={"code": code})
    assert right.status_code == 200, right.text
    token = right.json()["session"]["token"]
    me = httpx.get(cluster.node("a") + "/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["email"] == "node1@example.com"
    # A replay on either node finds the challenge used.
    for name in ("a", "b"):
        again = httpx.post(cluster.node(name) + verify, json={"code": code})
        assert again.status_code == 409 and again.json()["code"] == "challenge_used"


def test_send_limits_count_across_nodes(cluster: Cluster) -> None:
    """limit_send_number_new (a number not yet proven) is 4/hour: the sign-up text and three
    resends, on alternating nodes, use it up; the fifth is refused on either node, naming the
    rule."""
    customer = cluster.sign_up(cluster.node("a"), 2)
    resend = f"/api/v1/challenges/{customer['challenge']}/resend"
    answers = [httpx.post(cluster.node("ab"[n % 2]) + resend) for n in range(1, 5)]
    assert [a.status_code for a in answers[:3]] == [202, 202, 202], [a.text for a in answers]
    refused = answers[3]
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited", refused.text
    assert customer["phone"] not in refused.text  # the rule is named, never the number
    elsewhere = httpx.post(cluster.node("a") + resend)
    assert elsewhere.status_code == 429
    cluster.code(customer["phone"], count=4)
    time.sleep(0.5)  # a fifth text would be queued by now: none is
    assert len(cluster.texts(customer["phone"])) == 4


def test_the_account_pause_holds_across_nodes_under_concurrency(cluster: Cluster) -> None:
    """S12: 24 wrong codes at once, half to each node, over three challenges of one account:
    at most CODE_FAILURE_STREAK_LIMIT (4) are compared, the rest find the account paused."""
    customer = cluster.sign_up(cluster.node("a"), 3)
    code = cluster.code(customer["phone"])
    signed_in = httpx.post(
        cluster.node("b") + f"/api/v1/challenges/{customer['challenge']}/verify",
        json={"code": code},
    )
    assert signed_in.status_code == 200, signed_in.text
    headers = {"Authorization": f"Bearer {signed_in.json()['session']['token']}"}
    challenges, wrong = [], []
    for n in range(3):  # three pending changes of one account, asked on alternating nodes
        asked = httpx.patch(
            cluster.node("ab"[n % 2]) + "/api/v1/me", json={"name": f"Node {n}"}, headers=headers
        )
        assert asked.status_code == 202, asked.text
        challenges.append(asked.json()["challenge"]["id"])
        wrong.append(wrong_code(cluster.code(customer["phone"], count=2 + n)))
    barrier = threading.Barrier(24)
    outcomes: list[str] = []

    def attack(n: int) -> None:
        url = cluster.node("ab"[n % 2]) + f"/api/v1/challenges/{challenges[n % 3]}/verify"
        with httpx.Client(timeout=30) as client:
            barrier.wait()
            answer = client.post(url, json={"code": wrong[n % 3]}, headers=headers)
        outcomes.append(answer.json().get("code", str(answer.status_code)))

    threads = [threading.Thread(target=attack, args=(n,)) for n in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    counted = Counter(outcomes)
    assert sum(counted.values()) == 24, counted
    assert counted["invalid_code"] <= 4, counted
    assert counted["invalid_code"] + counted["code_lockout"] == 24, counted
    [row] = cluster.sql(
        "SELECT code_locked_until IS NOT NULL AS paused FROM accounts WHERE email = $1",
        email="node3@example.com",
    )
    assert row["paused"]


def test_each_text_goes_out_exactly_once_whichever_worker_takes_it(cluster: Cluster) -> None:
    """Sixteen sign-ups through the balancer; two workers race for the outbox."""
    before = len(cluster.twilio.created)
    customers = [cluster.sign_up(cluster.url, 100 + n) for n in range(16)]
    for customer in customers:
        cluster.code(customer["phone"])

    def settled() -> bool:
        rows = cluster.sql("SELECT status FROM messages WHERE status <> 'sent'")
        return not rows

    deadline = time.monotonic() + 30
    while not settled() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert settled()
    sent = cluster.twilio.created[before:]
    assert len(sent) == 16
    assert sorted(m["to"] for m in sent) == sorted(c["phone"] for c in customers)
    # Each message was sent by one worker, once: its "sms sent" line is in exactly one log.
    ids = {
        row["id"]
        for row in cluster.sql(
            'SELECT id FROM messages WHERE "to" = ANY($1)', to=[c["phone"] for c in customers]
        )
    }
    senders: Counter[str] = Counter()
    for worker in cluster.workers:
        for line in worker.log().splitlines():
            if line.startswith("{") and '"sms sent"' in line:
                event = json.loads(line)
                if event["message_id"] in ids:
                    senders[event["message_id"]] += 1
    assert set(senders) == ids and set(senders.values()) == {1}, senders


def test_killing_one_node_fails_only_its_in_flight_requests(cluster: Cluster) -> None:
    """Eight clients read /me through the balancer; node a is SIGKILLed mid-load. Only requests
    around the kill fail (the one a client had in flight at node a, and at most one more whose
    kept-alive connection the balancer closed); from a second later node b serves every one."""
    customer = cluster.sign_up(cluster.node("b"), 4)
    verified = httpx.post(
        cluster.node("b") + f"/api/v1/challenges/{customer['challenge']}/verify",
        json={"code": cluster.code(customer["phone"])},
    )
    headers = {"Authorization": f"Bearer {verified.json()['session']['token']}"}
    stop = threading.Event()
    results: list[tuple[float, float, str]] = []  # started, ended, outcome

    def client() -> None:
        with httpx.Client(base_url=cluster.url, timeout=10) as http:
            while not stop.is_set():
                started = time.monotonic()
                try:
                    outcome = str(http.get("/api/v1/me", headers=headers).status_code)
                except httpx.TransportError as exc:
                    outcome = type(exc).__name__
                results.append((started, time.monotonic(), outcome))

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)  # load on both nodes
    killed_at = time.monotonic()
    cluster.kill("a")
    time.sleep(3.0)  # HAProxy marks a down (2 failed checks, 300 ms apart); b serves alone
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    failures = [(s, e, o) for s, e, o in results if o != "200"]
    assert all(o in {"502", "503", "RemoteProtocolError", "ReadError"} for _, _, o in failures)
    assert len(failures) <= 2 * len(threads), Counter(o for _, _, o in failures)
    # Every failure is a request that had started before the kill, or ran into it at once.
    assert all(started < killed_at + 1.0 for started, _, _ in failures), failures
    served_before = [o for s, e, o in results if e < killed_at]
    served_after = [o for s, e, o in results if s > killed_at + 1.0]
    assert served_before.count("200") == len(served_before) > 50
    assert served_after.count("200") == len(served_after) > 50
    # node b, asked directly, never noticed
    assert httpx.get(cluster.node("b") + "/api/v1/me", headers=headers).status_code == 200
