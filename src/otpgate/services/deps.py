"""The bundle of ports and settings every use case receives."""

from __future__ import annotations

from dataclasses import dataclass, field

from otpgate.domain.clock import Clock
from otpgate.services.config import ServiceConfig
from otpgate.services.ports import (
    Metrics,
    NoMetrics,
    PasswordHasher,
    RateLimiter,
    SmsDispatcher,
    Store,
)


@dataclass(frozen=True, slots=True)
class Deps:
    store: Store
    hasher: PasswordHasher
    limiter: RateLimiter
    dispatcher: SmsDispatcher
    clock: Clock
    config: ServiceConfig
    metrics: Metrics = field(default_factory=NoMetrics)
