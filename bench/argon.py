"""The Argon2id limit of this machine: verifies per second with the configured parameters on
every core at once (the ceiling any sign-in rate is measured against)."""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor

from argon2 import PasswordHasher

from otpgate.config import Settings


def _verifies(seconds: float, time_cost: int, memory_kib: int, parallelism: int) -> int:
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
    digest = hasher.hash("correct horse battery staple")
    done, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        hasher.verify(digest, "correct horse battery staple")
        done += 1
    return done


def limit(seconds: float = 3.0) -> dict[str, float]:
    settings = Settings()
    cores = os.cpu_count() or 1
    params = (settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism)
    with ProcessPoolExecutor(cores) as pool:
        counts = list(pool.map(_verifies, [seconds] * cores, *([p] * cores for p in params)))
    return {"verifies_per_second": sum(counts) / seconds, "cores": cores}
