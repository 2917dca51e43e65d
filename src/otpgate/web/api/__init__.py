"""The JSON API, version 1 (DESIGN §5)."""

from __future__ import annotations

from fastapi import APIRouter

from otpgate.web.api import (
    accounts,
    challenges,
    devices,
    factors,
    me,
    sessions,
    stepup,
    verifications,
)

router = APIRouter(prefix="/api/v1")
for module in (accounts, sessions, challenges, me, stepup, devices, factors, verifications):
    router.include_router(module.router)
