"""Issue 15, point 10, over the customer API: a new account takes its sign-up request's
Accept-Language, ``GET /me`` says the account's language, ``PUT /me/language`` changes it
(no code: it moves nothing), and an unknown language is a 422 that changes nothing."""

from __future__ import annotations

from tests.harness import PASSWORD, Harness, auth


async def test_a_new_account_takes_the_sign_up_requests_language(h: Harness) -> None:
    response = await h.client.post(
        "/api/v1/accounts",
        json={
            "name": "Ada",
            "email": "ada@example.com",
            "password": PASSWORD,
            "phone": h.new_phone(),
        },
        headers={"accept-language": "de-CH, de;q=0.9, en;q=0.5"},
    )
    assert response.status_code == 202, response.text
    assert await h.scalar("SELECT language FROM accounts") == "de"


async def test_the_account_chooses_its_language(h: Harness) -> None:
    _, token = await h.signed_in()
    me = await h.client.get("/api/v1/me", headers=auth(token))
    assert me.json()["language"] == "en"

    chosen = await h.client.put(
        "/api/v1/me/language", json={"language": "fr-CA"}, headers=auth(token)
    )
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["language"] == "fr"
    assert (await h.client.get("/api/v1/me", headers=auth(token))).json()["language"] == "fr"
    assert await h.scalar("SELECT language FROM accounts") == "fr"


async def test_an_unknown_language_is_refused_and_changes_nothing(h: Harness) -> None:
    _, token = await h.signed_in()
    for body in ({"language": "tlh"}, {"language": ""}, {"language": "x" * 36}, {"lang": "de"}):
        refused = await h.client.put("/api/v1/me/language", json=body, headers=auth(token))
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["code"] == "validation_error"
    assert await h.scalar("SELECT language FROM accounts") == "en"


async def test_choosing_a_language_needs_a_session(h: Harness) -> None:
    refused = await h.client.put("/api/v1/me/language", json={"language": "de"})
    assert refused.status_code == 401
