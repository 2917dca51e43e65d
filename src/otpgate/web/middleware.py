"""Pure ASGI middleware: request id, security headers, access log and latency metrics."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import structlog
from starlette.requests import Request, cookie_parser
from starlette.responses import Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from otpgate import i18n
from otpgate.adapters.metrics import PrometheusMetrics
from otpgate.adapters.ratelimit import LIMIT_STATES, LimitState
from otpgate.adapters.storage.errors import storage_unavailable
from otpgate.domain.language import negotiate, supported
from otpgate.web.context import (
    ERROR_DOCS,
    ERRORS_PATH,
    REQUEST_FACTS,
    REQUEST_ID,
    request_id_from,
)
from otpgate.web.security import client_ip

log = structlog.get_logger("otpgate.http")
ErrorHandler = Callable[[Request, Exception], Awaitable[Response]]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
# Swagger UI (/docs) needs its own inline bootstrap script; it shows no personal data.
RELAXED_PATHS = ("/docs", "/redoc")
CACHEABLE_PREFIXES = ("/static/",)
# The language picker's cookie (``web/pages/language.py``).
LANGUAGE_COOKIE = "otpgate_lang"


class SecurityHeaders:
    def __init__(
        self, app: ASGIApp, *, https: bool, metrics: PrometheusMetrics, base_url: str = ""
    ) -> None:
        self.app = app
        self.https = https
        self.metrics = metrics
        self.error_docs = base_url.rstrip("/") + ERRORS_PATH
        # Named as ``web/pages/cookies.Cookies.name`` names it (that package imports this one).
        self.language_cookie = f"__Host-{LANGUAGE_COOKIE}" if https else LANGUAGE_COOKIE

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        request_id = request_id_from(_header(scope, b"x-request-id"))
        id_token = REQUEST_ID.set(request_id)
        docs_token = ERROR_DOCS.set(self.error_docs)
        limits: list[LimitState] = []
        limits_token = LIMIT_STATES.set(limits)
        facts: dict[str, str] = {}
        facts_token = REQUEST_FACTS.set(facts)
        language_token = i18n.activate(self.language_of(scope))
        started = time.perf_counter()
        status_holder = {"status": 500}
        structlog.contextvars.bind_contextvars(request_id=request_id)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}

                def add(name: bytes, value: str) -> None:
                    if name not in present:
                        headers.append((name, value.encode()))

                add(b"x-request-id", request_id)
                add(b"x-content-type-options", "nosniff")
                add(b"referrer-policy", "same-origin")
                add(b"x-frame-options", "DENY")
                add(b"cross-origin-opener-policy", "same-origin")
                if not path.startswith(RELAXED_PATHS):
                    add(b"content-security-policy", CSP)
                if not path.startswith(CACHEABLE_PREFIXES):
                    # Account pages, codes and tokens must never sit in a shared or disk cache.
                    add(b"cache-control", "no-store")
                if self.https:
                    add(b"strict-transport-security", "max-age=31536000; includeSubDomains")
                if limits:
                    policy, state = rate_limit_headers(limits)
                    add(b"ratelimit-policy", policy)
                    add(b"ratelimit", state)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            route_path = route_label(scope)
            status = status_holder["status"]
            self.metrics.request_seconds.labels(
                route=route_path, method=scope.get("method", ""), status=f"{status // 100}xx"
            ).observe(elapsed)
            # The route template, not the path: ids stay out of the access log's cardinality,
            # and query strings (which never carry secrets here anyway) are not logged.
            log.info(
                "request",
                method=scope.get("method"),
                route=route_path,
                status=status,
                ms=round(elapsed * 1000, 1),
                ip=_client(scope),
                account_id=facts.get("account_id"),
                request_id=request_id,
            )
            structlog.contextvars.clear_contextvars()
            REQUEST_ID.reset(id_token)
            LIMIT_STATES.reset(limits_token)
            REQUEST_FACTS.reset(facts_token)
            ERROR_DOCS.reset(docs_token)
            i18n.deactivate(language_token)

    def language_of(self, scope: Scope) -> str:
        """The picker's choice (its cookie), else the browser's ``Accept-Language``."""
        cookie = (_header(scope, b"cookie") or b"").decode("latin-1")
        if self.language_cookie in cookie:
            chosen = supported(cookie_parser(cookie).get(self.language_cookie))
            if chosen is not None:
                return chosen
        accept = _header(scope, b"accept-language")
        return negotiate(accept.decode("latin-1") if accept else None)


def route_label(scope: Scope) -> str:
    """The route template a request took, for metrics and logs: FastAPI's route, else the
    mount or plain route that serves the path (``/static/{path}``, ``/openapi.json``), else
    ``unmatched`` (a 404)."""
    route = scope.get("route")
    if route is not None and getattr(route, "path", None):
        return str(route.path)
    app = scope.get("app")
    path: str = scope.get("path", "")
    for candidate in getattr(getattr(app, "router", None), "routes", ()):
        if isinstance(candidate, Mount):
            if path.startswith(candidate.path + "/"):
                return candidate.path + "/{path}"
        elif getattr(candidate, "path", None) == path:
            return path
    return "unmatched"


def _client(scope: Scope) -> str:
    peer = scope.get("client")
    app = scope.get("app")
    trusted = getattr(getattr(app, "state", None), "trusted_proxies", ())
    forwarded = _header(scope, b"x-forwarded-for")
    hops = forwarded.decode("latin-1") if forwarded else None
    return client_ip(peer[0] if peer else None, hops, trusted)


def rate_limit_headers(states: list[LimitState]) -> tuple[str, str]:
    """``RateLimit-Policy`` and ``RateLimit`` (IETF httpapi draft) for the limit that binds
    this request: the one that refused it, else the one with the least room left. They name
    the rule, never what it counted."""
    binding = min(states, key=lambda s: (s.remaining, -s.reset))
    name = binding.rule
    return (
        f'"{name}";q={binding.limit};w={binding.window}',
        f'"{name}";r={binding.remaining};t={binding.reset}',
    )


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value)
    return None


class CatchAll:
    """Turn an unexpected exception into our 500 answer *inside* ``SecurityHeaders``.

    Starlette answers unhandled exceptions in its outermost middleware, past every other one,
    so its 500 would carry none of our security headers. Added innermost, this one answers
    first, and the answer flows out through ``SecurityHeaders`` like any other.
    """

    def __init__(self, app: ASGIApp, handler: ErrorHandler) -> None:
        self.app = app
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            route = getattr(scope.get("route"), "path", None)
            if storage_unavailable(exc):
                # Expected while the database restarts: one line, and a 503 for the client.
                log.warning("database unavailable", route=route, error=type(exc).__name__)
            else:
                # The traceback goes to the log (never to the client); it holds no local values.
                log.exception("unhandled error", route=route)
            response = await self.handler(Request(scope), exc)
            await response(scope, receive, send)
