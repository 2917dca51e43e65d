"""The ASGI application: ``create_app(settings)`` builds one, ``app_from_env`` for uvicorn."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from otpgate import __version__
from otpgate.bootstrap import Providers, Runtime
from otpgate.config import Settings, load_settings
from otpgate.domain.clock import Clock
from otpgate.domain.delivery import system_random
from otpgate.domain.errors import OtpgateError
from otpgate.services.delivery import Sleep
from otpgate.services.delivery.engine import Jitter
from otpgate.web import error_docs, ops, problems, wellknown
from otpgate.web.api import hooks
from otpgate.web.api import router as api_router
from otpgate.web.docs_ui import install_docs
from otpgate.web.middleware import CatchAll, SecurityHeaders
from otpgate.web.oidc import install as install_oidc
from otpgate.web.openapi import install_openapi
from otpgate.web.pages import install as install_pages
from otpgate.web.security import BodySizeLimit, parse_networks

MAX_BODY_BYTES = 64 * 1024

DESCRIPTION = """
Password + SMS one-time passwords for sign-in and for every high-risk change.

Errors are [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) problem details with a stable
`code`. Customers authenticate with `Authorization: Bearer <session token>`; the shop's
applications call the verification API (`/api/v1/verifications`) with
`Authorization: Bearer otk_...` (an API key). Neither works on the other's API.
"""


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    providers: Providers | None = None,
    limiter_prefix: str = "otpgate",
    sleep: Sleep | None = None,
    jitter: Jitter | None = None,
) -> FastAPI:
    """The app for ``settings``; the keywords are the runtime's test seams (``Runtime.build``)."""
    runtime = Runtime.build(
        settings,
        clock=clock,
        providers=providers,
        limiter_prefix=limiter_prefix,
        sleep=sleep or asyncio.sleep,
        jitter=jitter or system_random,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        runtime.start()
        yield
        await runtime.aclose()

    app = FastAPI(
        title="otpgate",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served from local assets by install_docs, never a CDN
        redoc_url=None,
    )
    install_openapi(app)
    install_docs(app)
    app.state.runtime = runtime
    app.state.trusted_proxies = parse_networks(settings.trusted_proxies)
    app.add_exception_handler(OtpgateError, problems.otpgate_error_handler)
    app.add_exception_handler(RequestValidationError, problems.validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, problems.http_error_handler)
    app.add_exception_handler(Exception, problems.unhandled_error_handler)
    app.include_router(api_router)
    app.include_router(ops.router)
    app.include_router(hooks.router)
    app.include_router(wellknown.router)
    app.include_router(error_docs.router)
    install_pages(app, settings)
    install_oidc(app, settings)
    # Innermost first: CatchAll must answer before the response passes SecurityHeaders.
    app.add_middleware(CatchAll, handler=problems.unhandled_error_handler)
    # Inside SecurityHeaders: a 413 carries the request id and the security headers too.
    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(
        SecurityHeaders,
        https=settings.is_https,
        metrics=runtime.metrics,
        base_url=settings.base_url,
    )
    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` (one app per worker process)."""
    from otpgate.logs import configure_logging

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)
