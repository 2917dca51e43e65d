"""Names of the rate-limit rules services hit; the adapter maps each to its limits."""

from __future__ import annotations

from otpgate.domain.phones import country_of
from otpgate.services.ports import RateLimiter, RequestContext

# Password attempts, keyed on the email as typed and on the client IP (S13).
PASSWORD_ACCOUNT = "password_account"
PASSWORD_IP = "password_ip"
# SMS sends (S16): per destination number, per client IP, per account, per number prefix and
# per country, plus registrations per IP (S40).
SEND_NUMBER = "send_number"
SEND_IP = "send_ip"
SEND_ACCOUNT = "send_account"
SEND_PREFIX = "send_prefix"
SEND_COUNTRY = "send_country"
# Every SMS from this installation, whoever asks: the spend circuit breaker against pumping.
SEND_GLOBAL = "send_global"
GLOBAL_KEY = "all"
REGISTER_IP = "register_ip"
# Code checks per client IP, against many challenges at once.
VERIFY_IP = "verify_ip"

ALL_RULES = (
    PASSWORD_ACCOUNT,
    PASSWORD_IP,
    SEND_NUMBER,
    SEND_IP,
    SEND_ACCOUNT,
    SEND_PREFIX,
    SEND_COUNTRY,
    SEND_GLOBAL,
    REGISTER_IP,
    VERIFY_IP,
)
SEND_RULES = (SEND_NUMBER, SEND_IP, SEND_ACCOUNT, SEND_PREFIX, SEND_COUNTRY, SEND_GLOBAL)


def number_prefix(e164: str) -> str:
    """The first digits that name a range of numbers (country code and operator block)."""
    return e164[:7]


async def hit_send_limits(
    limiter: RateLimiter, to: str, ctx: RequestContext, account_id: str | None
) -> None:
    """Count one SMS send against every send cap; raise ``RateLimited`` before anything is sent."""
    await limiter.hit(SEND_NUMBER, to)
    await limiter.hit(SEND_IP, ctx.ip)
    if account_id is not None:
        await limiter.hit(SEND_ACCOUNT, account_id)
    await limiter.hit(SEND_PREFIX, number_prefix(to))
    await limiter.hit(SEND_COUNTRY, country_of(to))
    await limiter.hit(SEND_GLOBAL, GLOBAL_KEY)
