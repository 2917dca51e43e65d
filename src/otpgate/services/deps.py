"""The bundle of ports and settings every use case receives."""

from __future__ import annotations

from dataclasses import dataclass, field

from otpgate.domain.clock import Clock
from otpgate.services.config import ServiceConfig
from otpgate.services.ports import (
    Dispatcher,
    Metrics,
    NoMetrics,
    PasswordHasher,
    RateLimiter,
    Sealer,
)
from otpgate.services.signing import Jose
from otpgate.services.storage import Store


@dataclass(frozen=True, slots=True)
class Deps:
    store: Store
    hasher: PasswordHasher
    limiter: RateLimiter
    dispatcher: Dispatcher
    clock: Clock
    config: ServiceConfig
    metrics: Metrics = field(default_factory=NoMetrics)
    # Seals queued message bodies for the durable queue; without one a body lives in memory
    # only (unit tests), and a message whose process dies is abandoned, not recovered.
    sealer: Sealer | None = None
    # ES256 keys and JWS for approval and ID tokens (services/signing.py); None: no tokens.
    jose: Jose | None = None
    # Seals enrolled factors' secrets (authenticator apps) under a key of their own.
    factor_sealer: Sealer | None = None
