"""RFC 9457 problem details: the one place where our errors become HTTP answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from otpgate.adapters.storage.errors import storage_unavailable
from otpgate.domain import errors as e
from otpgate.web.context import REQUEST_ID, problem_type

PROBLEM_JSON = "application/problem+json"
# These paths always answer in JSON; every other path is a page, and when the pages are
# installed (``app.state.html_errors``) a browser gets a friendly HTML page instead.
JSON_PREFIXES = (
    "/api/",
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
    "/docs",
    "/redoc",
    "/.well-known/",
)
HtmlErrors = Callable[..., Response]

# Most specific first: the first matching class decides the status.
STATUS: list[tuple[type[e.OtpgateError], int]] = [
    (e.InvalidInput, 422),
    (e.InvalidCredentials, 401),
    (e.NotAuthenticated, 401),
    (e.Forbidden, 403),
    (e.NotFound, 404),
    (e.Conflict, 409),
    (e.InvalidCode, 400),
    (e.ChallengeUsed, 409),
    (e.ResendLimitReached, 409),
    (e.ChallengeExpired, 410),
    (e.ChallengeFailed, 410),
    (e.ChallengeCanceled, 410),
    (e.Throttled, 429),
    (e.Unavailable, 503),
    (e.PermanentDeliveryError, 422),
    (e.DeliveryError, 502),
]

HTTP_CODES = {
    400: ("bad_request", "Bad request"),
    401: ("not_authenticated", "Sign in to continue"),
    403: ("forbidden", "Not allowed"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    413: ("payload_too_large", "Request too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
}


def status_for(exc: e.OtpgateError) -> int:
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 400


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {
        "type": problem_type(code),
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    if (request_id := REQUEST_ID.get()) is not None:
        body["request_id"] = request_id
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def from_error(exc: e.OtpgateError) -> JSONResponse:
    status = status_for(exc)
    headers: dict[str, str] = {}
    extra: dict[str, Any] = {}
    if isinstance(exc, e.Throttled):
        headers["Retry-After"] = str(exc.retry_after)
        extra["retry_after"] = exc.retry_after
    if isinstance(exc, e.RateLimited) and exc.rule:
        extra["limit"] = exc.rule  # which limit, never what it counted (a number, an email)
    if isinstance(exc, e.NotAuthenticated | e.InvalidCredentials):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, e.InvalidCode):
        extra["attempts_remaining"] = exc.attempts_remaining
    if isinstance(exc, e.InvalidInput):
        extra["errors"] = [{"field": exc.field, "message": exc.detail}]
    return problem(status, exc.code, exc.title, exc.detail, headers or None, **extra)


def html_errors(request: Request) -> HtmlErrors | None:
    """The HTML error renderer when ``request`` is for a page, else None (answer in JSON)."""
    path = request.url.path
    if path == "/api" or path.startswith(JSON_PREFIXES):
        return None
    renderer: HtmlErrors | None = getattr(request.app.state, "html_errors", None)
    return renderer


async def otpgate_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, e.OtpgateError)
    if (render := html_errors(request)) is not None:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, e.Throttled) else None
        return render(request, status_for(exc), exc.title, exc.detail, headers)
    return from_error(exc)


async def validation_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if (render := html_errors(request)) is not None:
        return render(request, 400)
    errors = exc.errors()
    if any(err.get("type") == "json_invalid" for err in errors):
        return problem(
            400, "malformed_json", "Malformed JSON", "The request body is not valid JSON."
        )
    # Never echo the input back: it may be a password.
    fields = [
        {
            "field": ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body",
            "message": str(err.get("msg", "invalid value")).removeprefix("Value error, "),
        }
        for err in errors
    ]
    first = fields[0] if fields else {"field": "body", "message": "invalid"}
    return problem(
        422,
        "validation_error",
        "Invalid input",
        f"{first['field']}: {first['message']}",
        errors=fields,
    )


def allowed_methods(request: Request) -> str:
    """Every method some route serves at this path ("GET, PATCH"): Starlette's 405 names only
    the first route that matched the path."""
    from otpgate.web.openapi import effective_routes

    # As OpenAPI resolves paths, a concrete path wins over a template that also matches it:
    # /me/factors/passkey is that resource (POST), not /me/factors/{factor_id} (DELETE).
    by_params: dict[int, set[str]] = {}
    for route in effective_routes(request.app.router.routes):
        route_methods = getattr(route, "methods", None)
        if route_methods and route.matches(request.scope)[0] is not Match.NONE:
            params = str(getattr(route, "path", "")).count("{")
            by_params.setdefault(params, set()).update(route_methods)
    return ", ".join(sorted(by_params[min(by_params)])) if by_params else ""


async def http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request)
    if (render := html_errors(request)) is not None:
        return render(request, exc.status_code, None, None, headers or None)
    code, title = HTTP_CODES.get(exc.status_code, ("http_error", "Request failed"))
    detail = exc.detail if isinstance(exc.detail, str) and exc.status_code != 404 else title
    return problem(exc.status_code, code, title, detail, headers or None)


UNAVAILABLE_DETAIL = (
    "The service is temporarily unavailable; nothing was changed. Try again shortly."
)


async def unhandled_error_handler(request: Request, exc: Exception) -> Response:
    if storage_unavailable(exc):
        # The database is down or restarting: temporary, and the transaction rolled back.
        unavailable = e.Unavailable(UNAVAILABLE_DETAIL)
        if (render := html_errors(request)) is not None:
            return render(request, 503, unavailable.title, unavailable.detail, {"Retry-After": "5"})
        return problem(
            503, unavailable.code, unavailable.title, unavailable.detail, {"Retry-After": "5"}
        )
    if (render := html_errors(request)) is not None:
        return render(request, 500)
    return problem(
        500,
        "internal_error",
        "Something went wrong",
        "Something went wrong on our side. Nothing was changed; please try again.",
    )
