"""Registration: validation, the verify_phone code, duplicates that reveal nothing."""

from __future__ import annotations

import pytest

from tests.harness import PASSWORD, Harness, auth
from tests.texts import code_of


async def test_sms_text_and_origin_bound_last_line(h: Harness) -> None:
    registered = await h.register()
    [message] = await h.messages(registered["phone"])
    code = code_of(message["body"])
    assert len(code) == 6 and code.isdigit()
    assert message["body"] == (
        f"{code} is your Shop code to confirm your mobile number. "
        f"It expires in 5 minutes. Never share it.\n\n@shop.example #{code}"
    )


async def test_codes_are_stored_only_as_digests(h: Harness) -> None:
    registered = await h.register()
    code = await h.last_code(registered["phone"])
    for table in ("challenges", "messages", "events", "accounts"):
        for row in await h.rows(f"SELECT * FROM {table}"):
            assert code not in repr(row), f"code found in {table}"
            assert PASSWORD not in repr(row), f"password found in {table}"
    stored = await h.rows("SELECT body_redacted FROM messages")
    assert stored[0]["body_redacted"].endswith("#••••••")


async def test_phone_is_stored_in_e164(h: Harness) -> None:
    await h.register(phone="+1 (415) 555-2671")
    assert await h.scalar("SELECT phone FROM accounts") == "+14155552671"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "valid email"),
        ("phone", "+442079460000", "can't receive text messages"),
        ("phone", "+19005551234", "Premium-rate"),
        ("phone", "12345", "international form"),
        ("phone", "+1415", "not a valid phone number"),
        ("password", "short", "at least 8"),
        ("password", "password123", "Try a longer phrase"),
        ("password", "x" * 129, "at most 128"),
        ("name", "   ", "Enter your name"),
    ],
)
async def test_invalid_fields_are_refused_with_the_reason(
    h: Harness, field: str, value: str, message: str
) -> None:
    body = {
        "name": "Ada",
        "email": "ada@example.com",
        "password": PASSWORD,
        "phone": "+14155552671",
    }
    body[field] = value
    response = await h.client.post("/api/v1/accounts", json=body)
    assert response.status_code == 422
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["code"] == "validation_error"
    assert problem["errors"][0]["field"] == field
    assert message in problem["detail"]
    assert value not in response.text or field == "name"
    assert await h.scalar("SELECT count(*) FROM accounts") == 0
    assert await h.messages() == []


async def test_passwords_built_from_brand_or_email_are_refused(h: Harness) -> None:
    for password in ("Shop Shop Shop!", "adalovelace2026"):
        response = await h.client.post(
            "/api/v1/accounts",
            json={
                "name": "Ada",
                "email": "adalovelace2026@example.com",
                "password": password,
                "phone": "+14155552671",
            },
        )
        assert response.status_code == 422, password
        assert response.json()["errors"][0]["field"] == "password"


async def test_country_allow_list_refuses_other_countries_and_sends_nothing(
    make_harness: object,
) -> None:
    h: Harness = await make_harness(sms_allowed_countries="DE,FR")  # type: ignore[operator]
    response = await h.client.post(
        "/api/v1/accounts",
        json={
            "name": "Ada",
            "email": "a@example.com",
            "password": PASSWORD,
            "phone": "+14155552671",
        },
    )
    assert response.status_code == 422
    assert "country" in response.json()["detail"]
    assert await h.messages() == []
    ok = await h.register(phone="+4915112345678")
    assert ok["challenge"]["destination"].startswith("+49")


async def test_unconfirmed_account_gets_a_new_verify_phone_challenge_at_sign_in(h: Harness) -> None:
    registered = await h.register()
    response = await h.start_sign_in()
    assert response.status_code == 202
    challenge = response.json()["challenge"]
    assert challenge["purpose"] == "verify_phone"
    first = await h.client.get(f"/api/v1/challenges/{registered['challenge']['id']}")
    assert first.json()["status"] == "canceled"  # superseded: one live code at a time
    code = await h.last_code(registered["phone"])
    verified = await h.verify(challenge["id"], code)
    assert verified.status_code == 200
    assert "token" in verified.json()["session"]


async def test_duplicate_email_looks_the_same_until_the_code_is_proven(h: Harness) -> None:
    first = await h.registered_account("ada@example.com")
    again = await h.register("ADA@example.com")
    assert set(again) == set(first) - {"token"}
    assert again["account_id"] != first["account_id"]
    assert again["challenge"]["purpose"] == "verify_phone"
    code = await h.last_code(again["phone"])
    response = await h.verify(again["challenge"]["id"], code)
    assert response.status_code == 409
    assert response.json()["code"] == "email_unavailable"
    assert await h.scalar("SELECT count(*) FROM accounts") == 1
    me = await h.client.get("/api/v1/me", headers=auth(first["token"]))
    assert me.json()["id"] == first["account_id"]


async def test_password_is_not_trimmed_and_is_nfkc_normalised(h: Harness) -> None:
    password = "Ｗｉｄｅ ｌｅｔｔｅｒｓ stay the same "  # full-width; trailing space kept
    await h.client.post(
        "/api/v1/accounts",
        json={
            "name": "Ada",
            "email": "w@example.com",
            "password": password,
            "phone": "+14155552699",
        },
    )
    code = await h.last_code("+14155552699")
    challenge_id = (await h.rows("SELECT id FROM challenges"))[0]["id"]
    assert (await h.verify(challenge_id, code)).status_code == 200
    ascii_form = "Wide letters stay the same "
    ok = await h.client.post(
        "/api/v1/sessions", json={"email": "w@example.com", "password": ascii_form}
    )
    assert ok.status_code == 202
    trimmed = await h.client.post(
        "/api/v1/sessions", json={"email": "w@example.com", "password": ascii_form.rstrip()}
    )
    assert trimmed.status_code == 401


async def test_registering_again_before_confirming_replaces_the_unconfirmed_account(
    h: Harness,
) -> None:
    first = await h.register("ada@example.com", phone="+14155550111")  # a mistyped number
    again = await h.register("ada@example.com", phone="+14155550122")
    code = await h.last_code("+14155550122")
    verified = await h.verify(again["challenge"]["id"], code)
    assert verified.status_code == 200, verified.text
    token = verified.json()["session"]["token"]
    me = (await h.client.get("/api/v1/me", headers=auth(token))).json()
    assert me["id"] == first["account_id"]
    assert me["phone"].endswith("22") and me["phone_verified"] is True
    assert await h.scalar("SELECT count(*) FROM accounts") == 1
    # The first (mistyped) registration's code is dead.
    stale = await h.verify(first["challenge"]["id"], await h.last_code("+14155550111"))
    assert stale.status_code == 410


async def test_a_confirmed_account_is_never_taken_over_by_registering_again(h: Harness) -> None:
    pending = await h.register("ada@example.com", phone="+14155550111")
    again = await h.register("ada@example.com", phone="+14155550122")
    # The original registrant confirms first.
    assert (
        await h.verify(pending["challenge"]["id"], await h.last_code("+14155550111"))
    ).status_code == 200
    late = await h.verify(again["challenge"]["id"], await h.last_code("+14155550122"))
    assert late.status_code == 409
    assert late.json()["code"] == "email_unavailable"
    assert await h.scalar("SELECT phone FROM accounts") == "+14155550111"
