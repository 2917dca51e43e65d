"""Rate limits: moving windows in process memory, or in Redis shared by every node.

Each rule is a list of limits in the ``limits`` library's notation ("5/30seconds;10/15minutes;
20/hour"): together they make delays that grow with persistence (30 s, then 15 min, then an
hour) without ever locking for good. The notation is parsed by ``limits``; the counting is
ours, because a request checks several rules at once (a sign-in code is counted against the
number, the account, the prefix, the country and the whole installation) and that must be
one atomic step: one Lua script on Redis (one round trip, atomic across processes), one
function under the event loop in memory. Either every window of every bucket has room and
each counts one, or nothing is counted and the fullest window answers (S44: a send refused
by one cap spends nothing of the others).

Each window is a moving-window log: the timestamps of its last ``limit`` hits, newest first.
A window is full when its ``limit``-th newest hit is younger than the window.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass

import structlog
from limits import RateLimitItem, parse_many
from redis.asyncio import ConnectionPool, Redis
from redis.exceptions import RedisError

from otpgate.domain.durations import duration_text
from otpgate.domain.errors import RateLimited, Unavailable
from otpgate.domain.language import ENGLISH

# KEYS: one list per window. ARGV[1]: 1 to count, 0 to test; then limit and window (ms) per
# key. Answers {0, 0, index, remaining, reset in ms} when there was room (the window with the
# least room left after counting), else {index of the fullest key, wait in ms}.
HIT_ALL = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local worst, worst_key = 0, 0
for i, key in ipairs(KEYS) do
  local limit, window = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local oldest = redis.call('LINDEX', key, limit - 1)
  if oldest then
    local wait = tonumber(oldest) + window - now
    if wait > worst then worst, worst_key = wait, i end
  end
end
if worst > 0 then return {worst_key, worst} end
-- The window with the least room after counting (limits of one are claims: not reported).
local least, least_key, least_reset = -1, 0, 0
for i, key in ipairs(KEYS) do
  local limit, window = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  if ARGV[1] == '1' then
    redis.call('LPUSH', key, now)
    redis.call('LTRIM', key, 0, limit - 1)
    redis.call('PEXPIRE', key, window)
  end
  local hits = redis.call('LRANGE', key, 0, limit - 1)
  local live, oldest = 0, now
  for _, at in ipairs(hits) do
    if tonumber(at) + window > now then live = live + 1; oldest = tonumber(at) end
  end
  local room = limit - live
  if limit > 1 and (least < 0 or room < least) then
    least, least_key, least_reset = room, i, (live > 0) and (oldest + window - now) or window
  end
end
return {0, 0, least_key, least, least_reset}
"""

# What the limits said to this request (the RateLimit headers, IETF draft): the window with
# the least room left, or the one that refused. The web layer sets a fresh list per request.
LIMIT_STATES: ContextVar[list[LimitState] | None] = ContextVar("otpgate_limits", default=None)
log = structlog.get_logger("otpgate.limits")


@dataclass(frozen=True, slots=True)
class LimitState:
    """One limit as the RateLimit headers name it: ``rule`` (never the key it counted), its
    quota ``limit`` per ``window`` seconds, what is ``remaining`` and when it ``reset``s."""

    rule: str
    limit: int
    window: int
    remaining: int
    reset: int


def _state(window: Window, remaining: int, reset: float) -> LimitState:
    return LimitState(
        window.rule, window.limit, window.seconds, remaining, max(0, math.ceil(reset))
    )


def parse_rules(rules: Mapping[str, str]) -> dict[str, list[RateLimitItem]]:
    """``{"rule": "5/minute;10/hour"}`` -> parsed limits; ``ValueError`` names a bad rule."""
    parsed: dict[str, list[RateLimitItem]] = {}
    for name, text in rules.items():
        try:
            parsed[name] = parse_many(text.replace(";", ","))
        except ValueError as exc:
            raise ValueError(f"limit {name}: {text!r} is not valid limits notation") from exc
    return parsed


@dataclass(frozen=True, slots=True)
class Window:
    """One limit of one bucket: at most ``limit`` hits in ``seconds``."""

    rule: str
    key: str
    index: int
    limit: int
    seconds: int


class LimitsRateLimiter:
    """Implements the ``RateLimiter`` port."""

    def __init__(
        self, rules: Mapping[str, str], redis_url: str | None = None, key_prefix: str = "otpgate"
    ) -> None:
        self.rules = parse_rules(rules)
        self.prefix = key_prefix
        self._pool: ConnectionPool | None = None
        self._redis: Redis | None = None
        self._memory: dict[tuple[str, str, int], deque[float]] = {}
        if redis_url:
            try:
                # Our own pool, with short timeouts: a dead Redis must fail a request fast
                # (see ``hit_all``), not hang it; and we can close it on shutdown.
                self._pool = ConnectionPool.from_url(
                    redis_url.removeprefix("async+"),
                    socket_timeout=2,
                    socket_connect_timeout=2,
                    max_connections=100,
                )
            except ValueError as exc:
                raise ValueError(f"OTPGATE_REDIS_URL: {exc}") from exc
            self._redis = Redis(connection_pool=self._pool)
            self._script = self._redis.register_script(HIT_ALL)

    async def hit(self, rule: str, key: str) -> None:
        await self.hit_all([(rule, key)])

    async def test(self, rule: str, key: str) -> None:
        await self._apply(self._windows([(rule, key)]), count=False)

    async def hit_all(self, buckets: Sequence[tuple[str, str]]) -> None:
        await self._apply(self._windows(buckets), count=True)

    def _windows(self, buckets: Sequence[tuple[str, str]]) -> list[Window]:
        return [
            Window(rule, key, index, item.amount, item.get_expiry())
            for rule, key in buckets
            for index, item in enumerate(self.rules[rule])
        ]

    async def _apply(self, windows: list[Window], *, count: bool) -> None:
        if not windows:
            return
        least: tuple[Window, int, float] | None = None
        if self._redis is None:
            full, wait = self._in_memory(windows, count)
            if full is None:
                least = self._least_room(windows)
        else:
            try:
                answer = await self._script(
                    keys=[self._key(w) for w in windows],
                    args=[int(count), *(v for w in windows for v in (w.limit, w.seconds * 1000))],
                )
            except RedisError as exc:
                # Fail closed: without the limiter we can't keep brute force out.
                raise Unavailable("Rate limiting is unavailable; try again shortly.") from exc
            index, wait_ms = int(answer[0]), int(answer[1])
            full = windows[index - 1] if index else None
            wait = wait_ms / 1000
            if full is None and len(answer) >= 5 and int(answer[2]):
                least = (windows[int(answer[2]) - 1], int(answer[3]), int(answer[4]) / 1000)
        states = LIMIT_STATES.get()
        if full is None:
            # A limit of one is a claim (one resend per code), not a quota worth announcing.
            if least is not None and states is not None and least[0].limit > 1:
                window, room, reset = least
                states.append(_state(window, max(0, room), reset))
            return
        seconds = max(1, math.ceil(wait))
        if states is not None:
            states.append(_state(full, 0, seconds))
        # One line per trip, naming the rule (never the key: a number, an email, an address).
        log.warning("rate limit tripped", rule=full.rule, retry_after=seconds, counting=count)
        # The detail is the API's, in English; a page says the wait in its own words
        # (``web/pages/public.wait_text``).
        raise RateLimited(
            seconds,
            f"Too many attempts. Try again in {duration_text(seconds, words=ENGLISH)}.",
            rule=full.rule,
            key=full.key,
        )

    def _least_room(self, windows: list[Window]) -> tuple[Window, int, float] | None:
        now = time.time()
        least: tuple[Window, int, float] | None = None
        for window in (w for w in windows if w.limit > 1):
            hits = self._memory.get((window.rule, window.key, window.index), deque())
            live = [at for at in hits if at + window.seconds > now]
            room = window.limit - len(live)
            reset = (live[-1] + window.seconds - now) if live else float(window.seconds)
            if least is None or room < least[1]:
                least = (window, room, reset)
        return least

    def _key(self, window: Window) -> str:
        return f"{self.prefix}:rl:{window.rule}:{window.index}:{window.key}"

    def _in_memory(self, windows: list[Window], count: bool) -> tuple[Window | None, float]:
        # No await in here: on one event loop this runs as one step, like the script.
        now = time.time()
        full, worst = None, 0.0
        for window in windows:
            hits = self._memory.get((window.rule, window.key, window.index))
            if hits is not None and len(hits) >= window.limit:
                wait = hits[-1] + window.seconds - now
                if wait > worst:
                    full, worst = window, wait
        if full is not None or not count:
            return full, worst
        for window in windows:
            hits = self._memory.setdefault(
                (window.rule, window.key, window.index), deque(maxlen=window.limit)
            )
            hits.appendleft(now)
        if len(self._memory) > 100_000:
            self._forget_stale(now)
        return None, 0.0

    def _forget_stale(self, now: float) -> None:
        longest = max(item.get_expiry() for items in self.rules.values() for item in items)
        for slot, hits in list(self._memory.items()):
            if not hits or hits[0] + longest < now:
                del self._memory[slot]

    async def clear(self, rule: str, key: str) -> None:
        windows = self._windows([(rule, key)])
        if self._redis is None:
            for window in windows:
                self._memory.pop((window.rule, window.key, window.index), None)
            return
        try:
            await self._redis.delete(*(self._key(w) for w in windows))
        except RedisError as exc:
            raise Unavailable("Rate limiting is unavailable; try again shortly.") from exc

    async def ping(self) -> bool:
        if self._redis is None:
            return True
        try:
            return bool(await self._redis.ping())
        except Exception:  # noqa: BLE001 - readiness reports any failure as "not ready"
            return False

    async def aclose(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
        if self._pool is not None:
            await self._pool.aclose()

    async def reset(self) -> None:
        """Forget every count (tests and operators' emergency valve)."""
        self._memory.clear()
        if self._redis is not None:
            keys = [k async for k in self._redis.scan_iter(match=f"{self.prefix}:rl:*")]
            if keys:
                await self._redis.delete(*keys)
