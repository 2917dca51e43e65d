"""Operational endpoints: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

import hmac
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel

from otpgate.domain.errors import NotAuthenticated
from otpgate.web.deps import RuntimeDep
from otpgate.web.security import bearer_token

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


class ReadyOut(BaseModel):
    status: Literal["ready", "not_ready"]
    checks: dict[str, bool]


@router.get(
    "/readyz",
    response_model=ReadyOut,
    responses={503: {"model": ReadyOut, "description": "The database or Redis does not answer"}},
    summary="The database and the rate-limit storage answer",
)
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    checks = {
        "database": await runtime.store.ping(),
        "rate_limits": await runtime.limiter.ping(),
    }
    ready = all(checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks},
        status_code=200 if ready else 503,
    )


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
async def metrics(runtime: RuntimeDep, request: Request) -> Response:
    # Counters name number prefixes and countries: with OTPGATE_METRICS_TOKEN set, only a
    # scraper that presents it reads them.
    expected = runtime.settings.metrics_token
    if expected is not None:
        given = bearer_token(request.headers.get("authorization")) or ""
        if not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
            raise NotAuthenticated("This endpoint needs the metrics token.")
    return Response(runtime.metrics.render(), media_type=CONTENT_TYPE_LATEST)
