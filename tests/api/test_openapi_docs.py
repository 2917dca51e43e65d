"""The OpenAPI document tells the whole truth (issue 15 point 13): this walks every operation and
fails on the first that lacks a description, an example, its errors' problem schema and codes,
or the headers it answers with."""

from __future__ import annotations

from typing import Any

from tests.harness import Harness

PROBLEM = {"$ref": "#/components/schemas/Problem"}


async def test_every_operation_is_fully_documented(h: Harness) -> None:
    spec = (await h.client.get("/openapi.json")).json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    operations = [
        (method, path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    ]
    assert len(operations) > 30
    for method, path, operation in operations:
        where = f"{method.upper()} {path}"
        description: str = operation.get("description", "")
        assert "**Who may call it:**" in description, where
        assert "**What it sends:**" in description, where
        for media in operation.get("requestBody", {}).get("content", {}).values():
            assert "example" in media or "examples" in media, f"{where}: request example"
        responses: dict[str, Any] = operation["responses"]
        assert any(s.startswith("2") for s in responses), where
        for status, response in responses.items():
            headers = response.get("headers", {})
            assert "X-Request-Id" in headers, f"{where} {status}"
            if int(status) < 400:
                for media in response.get("content", {}).values():
                    assert "example" in media or "examples" in media, f"{where} {status}"
                if "429" in responses and status.startswith("2"):
                    assert {"RateLimit", "RateLimit-Policy"} <= set(headers), f"{where} {status}"
                continue
            if path.startswith("/api/"):
                assert list(response["content"]) == ["application/problem+json"], where
            media = response["content"]["application/problem+json"]
            assert media["schema"] == PROBLEM, f"{where} {status}"
            assert media["examples"], f"{where} {status}: no codes"
            for code, example in media["examples"].items():
                assert example["value"]["code"] == code
                assert example["value"]["status"] == int(status)
                assert f"`{code}`" in response["description"], f"{where} {status} {code}"
            if status in ("429", "503"):
                assert "Retry-After" in headers, f"{where} {status}"
            if status == "429":
                assert {"RateLimit", "RateLimit-Policy"} <= set(headers), where


async def test_descriptions_say_who_calls_and_what_is_sent(h: Harness) -> None:
    paths = (await h.client.get("/openapi.json")).json()["paths"]
    sign_in = paths["/api/v1/sessions"]["post"]["description"]
    assert "Anyone (no credentials)" in sign_in and "Texts a sign-in code" in sign_in
    add_card = paths["/api/v1/me/payment-methods"]["post"]["description"]
    assert "A signed-in customer" in add_card and "texts a code that names the change" in add_card
    verify_api = paths["/api/v1/verifications"]["post"]["description"]
    assert "API key" in verify_api
    example = paths["/api/v1/accounts"]["post"]["requestBody"]["content"]["application/json"]
    assert "example" in example or "examples" in example
