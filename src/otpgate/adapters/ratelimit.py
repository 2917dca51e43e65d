"""Rate limits on the ``limits`` library: in-process memory, or Redis shared by every node.

Each rule is a list of limits ("5/30seconds;10/15minutes;20/hour"): together they make delays
that grow with persistence (30 s, then 15 min, then an hour) without ever locking for good.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import ConfigurationError
from redis.asyncio import ConnectionPool

from otpgate.domain.durations import duration_text
from otpgate.domain.errors import RateLimited, Unavailable


def parse_rules(rules: Mapping[str, str]) -> dict[str, list[RateLimitItem]]:
    """``{"rule": "5/minute;10/hour"}`` -> parsed limits; ``ValueError`` names a bad rule."""
    parsed: dict[str, list[RateLimitItem]] = {}
    for name, text in rules.items():
        try:
            parsed[name] = parse_many(text.replace(";", ","))
        except ValueError as exc:
            raise ValueError(f"limit {name}: {text!r} is not valid limits notation") from exc
    return parsed


class LimitsRateLimiter:
    """Implements the ``RateLimiter`` port."""

    def __init__(
        self, rules: Mapping[str, str], redis_url: str | None = None, key_prefix: str = "otpgate"
    ) -> None:
        self.rules = parse_rules(rules)
        self.storage: Storage
        self._pool: ConnectionPool | None = None
        if redis_url:
            uri = "async+" + redis_url if not redis_url.startswith("async+") else redis_url
            try:
                # Our own pool, with short timeouts: a dead Redis must fail a request fast
                # (see ``hit``), not hang it; and we can close it on shutdown.
                self._pool = ConnectionPool.from_url(
                    redis_url.removeprefix("async+"),
                    socket_timeout=2,
                    socket_connect_timeout=2,
                    max_connections=100,
                )
                self.storage = RedisStorage(
                    uri,
                    implementation="redispy",
                    key_prefix=key_prefix,
                    wrap_exceptions=True,
                    connection_pool=self._pool,  # type: ignore[arg-type]
                )
            except (ConfigurationError, ValueError) as exc:
                raise ValueError(f"OTPGATE_REDIS_URL: {exc}") from exc
        else:
            self.storage = MemoryStorage()
        self.limiter = MovingWindowRateLimiter(self.storage)

    async def hit(self, rule: str, key: str) -> None:
        await self._check(rule, key, count=True)

    async def test(self, rule: str, key: str) -> None:
        await self._check(rule, key, count=False)

    async def _check(self, rule: str, key: str, *, count: bool) -> None:
        try:
            for item in self.rules[rule]:
                if count:
                    allowed = await self.limiter.hit(item, rule, key)
                else:
                    allowed = await self.limiter.test(item, rule, key)
                if not allowed:
                    stats = await self.limiter.get_window_stats(item, rule, key)
                    wait = int(stats.reset_time - time.time()) + 1
                    detail = f"Too many attempts. Try again in {duration_text(wait)}."
                    raise RateLimited(wait, detail)
        except RateLimited:
            raise
        except Exception as exc:
            # Fail closed: without the limiter we can't keep brute force out.
            raise Unavailable("Rate limiting is unavailable; try again shortly.") from exc

    async def clear(self, rule: str, key: str) -> None:
        for item in self.rules[rule]:
            await self.limiter.clear(item, rule, key)

    async def ping(self) -> bool:
        try:
            return bool(await self.storage.check())
        except Exception:  # noqa: BLE001 - readiness reports any failure as "not ready"
            return False

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()

    async def reset(self) -> None:
        """Forget every count (tests and operators' emergency valve)."""
        await self.storage.reset()
