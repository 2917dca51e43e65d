"""The OpenAPI document tells the truth, and the app holds to it (DESIGN §5.1, §5.5).

The fuzz suite (tests/fuzz) checks this case by case against real servers; these are the
review's findings, one by one: the ``Allow`` of a 405, the undocumented 400 and 401 answers,
constraints the schema promised and the app refused, lax booleans; and a database that does
not answer is a 503 problem, not a 500.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from tests.harness import PASSWORD, Harness, auth


async def test_a_405_allows_every_method_of_the_path(h: Harness) -> None:
    for path, allowed in (
        ("/api/v1/me", "GET, PATCH"),
        ("/api/v1/me/addresses", "GET, POST"),
        ("/api/v1/me/addresses/adr_1", "DELETE, PATCH"),
        ("/api/v1/me/sessions", "DELETE, GET"),
    ):
        response = await h.client.request("OPTIONS", path)
        assert response.status_code == 405, path
        assert response.headers["allow"] == allowed, path
        assert response.headers["content-type"] == "application/problem+json"


async def test_every_answer_is_documented_as_a_problem(h: Harness) -> None:
    document = (await h.client.get("/openapi.json")).json()
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A session token from a verified sign-in: `Bearer ses_...`",
    }
    for path, operations in document["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            responses = operation["responses"]
            where = f"{method.upper()} {path}"
            assert "503" in responses, where
            if "requestBody" in operation:
                assert {"400", "413", "422"} <= set(responses), where
            if operation.get("security"):
                assert "401" in responses, where
            for status, response in responses.items():
                if int(status) >= 400:
                    # Only problem+json, always the Problem schema (with examples or not).
                    content = response["content"]
                    assert set(content) == {"application/problem+json"}, f"{where} {status}"
                    media = content["application/problem+json"]
                    assert media["schema"] == {"$ref": "#/components/schemas/Problem"}, where
    me = document["paths"]["/api/v1/me"]["get"]
    assert me["security"] == [{"bearerAuth": []}]
    challenge = document["paths"]["/api/v1/challenges/{challenge_id}"]["get"]
    assert challenge["security"] == [{}, {"bearerAuth": []}]  # a token is optional there


async def test_the_documented_400_and_401_are_what_the_app_answers(h: Harness) -> None:
    malformed = await h.client.post(
        "/api/v1/accounts", content=b"\x00", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400
    assert malformed.json()["code"] == "malformed_json"
    unknown = await h.client.get("/api/v1/challenges/ch_nope", headers=auth("ses_unknown"))
    assert unknown.status_code == 401
    assert unknown.headers["www-authenticate"] == "Bearer"


async def test_the_schema_refuses_what_the_app_would_refuse(h: Harness) -> None:
    """An empty name or a 63-digit phone was allowed by the schema and refused by the app:
    now the schema says so, and the app refuses them for the reason the schema gives."""
    document = (await h.client.get("/openapi.json")).json()
    register = document["components"]["schemas"]["RegisterIn"]["properties"]
    assert register["name"]["minLength"] == 1
    assert register["phone"]["maxLength"] == 32 and "pattern" in register["phone"]
    assert register["password"]["minLength"] == 8
    body = {"name": "Ada", "email": "ada@example.com", "password": PASSWORD}
    for change, field in (({"name": ""}, "name"), ({"phone": "0" * 63}, "phone")):
        refused = await h.client.post(
            "/api/v1/accounts", json={**body, "phone": "+14155552671", **change}
        )
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == field


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/sessions", {"email": "a@example.com", "password": "x", "remember_device": 0}),
        ("/api/v1/sessions", {"email": "a@example.com", "password": "x", "remember_device": "1"}),
        ("/api/v1/challenges/ch_x/verify", {"code": "123456", "remember_device": 1}),
        ("/api/v1/challenges/ch_x/verify", {"code": 123456}),
    ],
)
async def test_booleans_and_strings_are_strict(h: Harness, path: str, body: dict[str, Any]) -> None:
    """``remember_device: 0`` was taken for false; a JSON number is not a code either."""
    response = await h.client.post(path, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"


async def test_a_database_that_does_not_answer_is_a_503_problem(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-flight requests while the database is down: 503 problem+json, never a 500."""
    _account, token = await h.signed_in()

    @asynccontextmanager
    async def down() -> AsyncIterator[Any]:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError(111, "refused"))
        yield  # pragma: no cover

    monkeypatch.setattr(h.runtime.store, "transaction", down)
    monkeypatch.setattr(h.runtime.store, "autocommit", down)
    for response in (
        await h.client.get("/api/v1/me", headers=auth(token)),
        await h.start_sign_in(),
    ):
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"] == "5"
        assert response.json()["code"] == "unavailable"
        assert "Traceback" not in response.text and "OperationalError" not in response.text
