"""The OpenAPI document, made to tell the truth about every answer (schemathesis checks it).

FastAPI documents the successful answer and the problems each route lists. This adds what
every route of a kind can answer anyway, each error as RFC 9457 problem details:

- the Bearer scheme, required where a route needs a session and optional where one is read
  if sent (a bad token is a 401 there too);
- 400 malformed JSON and 413 too large for every body;
- 503 for every API route: a database or Redis that does not answer (nothing was changed);
- every error with ``application/problem+json`` only.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from otpgate.web.deps import get_auth, get_optional_auth
from otpgate.web.openapi_docs import enrich
from otpgate.web.schemas import Problem

SCHEME = "bearerAuth"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
ADDED = {
    400: "Malformed request: the body is not valid JSON",
    401: "Not signed in: the Bearer token is missing, unknown, expired or revoked",
    413: "The request body is too large",
    503: "A backing service (database, Redis) does not answer; nothing was changed",
}


def effective_routes(routes: Sequence[BaseRoute]) -> Iterator[Any]:
    """Every route as served, included routers expanded (FastAPI >= 0.16x includes them
    lazily; older versions list them flat)."""
    expand = getattr(routing, "iter_route_contexts", None)
    if expand is None:  # pragma: no cover - older FastAPI
        yield from routes
        return
    yield from expand(routes)


def _calls(dependant: Dependant) -> set[Any]:
    found = {dependant.call}
    for sub in dependant.dependencies:
        found |= _calls(sub)
    return found


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": PROBLEM_REF}},
    }


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """The document for ``app``, with the additions of the module docstring."""
    document = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    if "Problem" not in schemas:  # FastAPI adds it with the first route that lists a problem
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(problem.pop("$defs", {}))
        schemas["Problem"] = problem
    # Merged over what FastAPI derived (the verification API's ``apiKey`` scheme among them).
    components.setdefault("securitySchemes", {}).update(
        {
            SCHEME: {
                "type": "http",
                "scheme": "bearer",
                "description": "A session token from a verified sign-in: `Bearer ses_...`",
            }
        }
    )
    for route in effective_routes(app.routes):
        original = getattr(route, "original_route", route)
        if not isinstance(original, APIRoute) or not route.include_in_schema:
            continue
        calls = _calls(original.dependant)
        for method in route.methods or ():
            operation = document["paths"].get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            added: list[int] = []
            if get_auth in calls:
                operation["security"] = [{SCHEME: []}]
                added.append(401)
            elif get_optional_auth in calls:
                operation["security"] = [{}, {SCHEME: []}]
                added.append(401)
            if "requestBody" in operation:
                added += [400, 413]
            api = route.path_format.startswith("/api/")
            if api:
                added.append(503)
            for status in added:
                responses.setdefault(str(status), _problem(ADDED[status]))
            for key, response in responses.items():
                if api and str(key).isdigit() and int(key) >= 400:
                    # Every error is problem+json; examples a route documents are kept.
                    media = response.get("content", {}).get("application/problem+json", {})
                    response["content"] = {
                        "application/problem+json": {**media, "schema": PROBLEM_REF}
                    }
    enrich(document, _codes_by_status())
    return document


def _codes_by_status() -> dict[int, list[str]]:
    from otpgate.web.error_docs import catalog

    codes: dict[int, list[str]] = {}
    for doc in catalog():
        codes.setdefault(doc.status, []).append(doc.code)
    return codes


def install_openapi(app: FastAPI) -> None:
    """Serve :func:`build_openapi`'s document at ``/openapi.json`` (built once)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
