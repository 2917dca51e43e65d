"""Shared bits of the API routers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Header

from otpgate.bootstrap import Runtime
from otpgate.domain.challenges import Challenge
from otpgate.services.idempotency import CustomerIdempotency
from otpgate.web.schemas import ChallengeOut, Problem

PROBLEM = {"model": Problem, "content": {"application/problem+json": {}}}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the problem statuses a route may answer."""
    described = {
        400: "Malformed request or wrong code",
        401: "Not signed in, or wrong email or password",
        403: "Not allowed (e.g. `account_disabled`)",
        404: "No such resource",
        409: "Conflict with the current state",
        410: "The challenge is over (expired, failed or canceled)",
        422: "Invalid input; `errors` lists the fields",
        429: "Too many requests; see `Retry-After`",
    }
    return {status: {**PROBLEM, "description": described[status]} for status in statuses}


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="Retry safely: the same key and body within 24 hours answer the first "
        "request's challenge (header `Idempotent-Replayed: true`) and send nothing new; the "
        "same key with another body is 409 `idempotency_key_reused`.",
    ),
]
REPLAYED = {"Idempotent-Replayed": "true"}


def idempotency(runtime: Runtime) -> CustomerIdempotency:
    return CustomerIdempotency(runtime.services.deps)


async def challenge_out(runtime: Runtime, challenge: Challenge) -> ChallengeOut:
    """A challenge as the API shows it, with the factors that may answer it."""
    factors = await runtime.services.factors.available(challenge)
    return ChallengeOut.of(
        challenge, runtime.settings.policy, runtime.clock.now(), [f.value for f in factors]
    )
