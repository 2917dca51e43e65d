"""Idempotency-Key on the customer POSTs that send a message (issue 15 point 15): a retried
registration, sign-in or resend answers the first request's challenge and never texts twice."""

from __future__ import annotations

from tests.harness import PASSWORD, Harness

REGISTER = {"name": "Ada Lovelace", "email": "ada@example.com", "password": PASSWORD}


async def test_a_retried_registration_texts_once(h: Harness) -> None:
    phone = h.new_phone()
    body = {**REGISTER, "phone": phone}
    key = {"Idempotency-Key": "reg-7f3a"}
    first = await h.client.post("/api/v1/accounts", json=body, headers=key)
    again = await h.client.post("/api/v1/accounts", json=body, headers=key)

    assert first.status_code == again.status_code == 202
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert again.json()["account_id"] == first.json()["account_id"]
    assert again.json()["challenge"]["id"] == first.json()["challenge"]["id"]
    assert len(await h.messages(phone)) == 1
    # The stored request is an HMAC under the server key, never the password or its hash.
    [row] = await h.rows("SELECT * FROM idempotency_keys")
    assert row["api_key_id"] == "customer:register" and PASSWORD not in repr(row)

    other = await h.client.post(
        "/api/v1/accounts", json={**body, "name": "Someone Else"}, headers=key
    )
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    assert len(await h.messages(phone)) == 1


async def test_a_retried_sign_in_and_resend_text_once(h: Harness) -> None:
    account = await h.registered_account()
    phone = account["phone"]
    sent = len(await h.messages(phone))
    key = {"Idempotency-Key": "signin-1"}
    body = {"email": "ada@example.com", "password": PASSWORD}
    first = await h.client.post("/api/v1/sessions", json=body, headers=key)
    again = await h.client.post("/api/v1/sessions", json=body, headers=key)
    assert first.status_code == again.status_code == 202
    assert again.json()["challenge"]["id"] == first.json()["challenge"]["id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert len(await h.messages(phone)) == sent + 1

    challenge_id = first.json()["challenge"]["id"]
    h.clock.advance(31)
    resend_key = {"Idempotency-Key": "resend-1"}
    resent = await h.client.post(f"/api/v1/challenges/{challenge_id}/resend", headers=resend_key)
    retried = await h.client.post(f"/api/v1/challenges/{challenge_id}/resend", headers=resend_key)
    assert resent.status_code == retried.status_code == 202
    assert retried.headers["idempotent-replayed"] == "true"
    assert len(await h.messages(phone)) == sent + 2
    # Without a key a resend is a resend (after its cooldown).
    h.clock.advance(31)
    fresh = await h.client.post(f"/api/v1/challenges/{challenge_id}/resend")
    assert fresh.status_code == 202
    assert len(await h.messages(phone)) == sent + 3


async def test_a_refused_request_lets_its_key_go(h: Harness) -> None:
    await h.registered_account()
    key = {"Idempotency-Key": "pw-typo"}
    wrong = await h.client.post(
        "/api/v1/sessions",
        json={"email": "ada@example.com", "password": "not the password"},
        headers=key,
    )
    assert wrong.status_code == 401
    retried = await h.client.post(
        "/api/v1/sessions",
        json={"email": "ada@example.com", "password": "not the password"},
        headers=key,
    )
    assert retried.status_code == 401  # checked again, not replayed as a conflict
    bad = await h.client.post(
        "/api/v1/sessions", json=REGISTER, headers={"Idempotency-Key": "tab\tinside"}
    )
    assert bad.status_code == 422


async def test_s13_a_known_key_is_no_password_oracle(h: Harness) -> None:
    """Someone who learned the key of the owner's sign-in (a proxy's log, a shared device)
    replays it with password guesses: same key, same email, another password is 409, the
    right one 202. Each replay must count as a password try, as the request would without
    a key, or the guesses are never throttled (S13)."""
    await h.registered_account()
    key = {"Idempotency-Key": "owner-signin-1"}
    owner = await h.client.post(
        "/api/v1/sessions", json={"email": "ada@example.com", "password": PASSWORD}, headers=key
    )
    assert owner.status_code == 202
    answers = []
    for guess in range(8):
        answer = await h.client.post(
            "/api/v1/sessions",
            json={"email": "ada@example.com", "password": f"guess number {guess}"},
            headers=key,
        )
        answers.append(answer.status_code)
    assert 429 in answers, answers
    right = await h.client.post(
        "/api/v1/sessions", json={"email": "ada@example.com", "password": PASSWORD}, headers=key
    )
    assert right.status_code == 429  # throttled like any other try: it tells nothing
