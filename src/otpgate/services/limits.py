"""Names of the rate-limit rules services hit; the adapter maps each to its limits."""

from __future__ import annotations

import ipaddress

from otpgate.domain.phones import country_of
from otpgate.services.ports import RateLimiter, RequestContext

# Password attempts, keyed on the email (normalised) and on the client IP (S13).
PASSWORD_ACCOUNT = "password_account"
PASSWORD_IP = "password_ip"
# Current-password checks of a signed-in session (changing the password): a bucket of their
# own, so a stolen session can't lock the owner out of signing in.
PASSWORD_CHANGE = "password_change"
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
# The same caps, counted apart for numbers nobody has proven yet (registration, a new mobile
# number). Anyone can type a victim's number into a sign-up form; that must never use up the
# budget the victim's own sign-in and step-up codes draw on (S16, S40).
SEND_NUMBER_NEW = "send_number_new"
SEND_PREFIX_NEW = "send_prefix_new"
SEND_COUNTRY_NEW = "send_country_new"
SEND_GLOBAL_NEW = "send_global_new"
REGISTER_IP = "register_ip"
# Calls reading a code (the voice channel): dearer than texts, so budgets of their own, per
# number, account and client IP, and for the whole installation.
VOICE_NUMBER = "voice_number"
VOICE_ACCOUNT = "voice_account"
VOICE_IP = "voice_ip"
VOICE_GLOBAL = "voice_global"
# Code checks per client IP, against many challenges at once.
VERIFY_IP = "verify_ip"
# The verification API, per API key: verifications created, and checks. A key's requests
# come from the shop's servers, so these stand where the per-IP limits stand for customers.
VERIFY_KEY = "verify_key"
VERIFY_KEY_CHECK = "verify_key_check"
# One resend per code of a challenge (keyed "<challenge id>:<sends>"): concurrent duplicates
# are refused before any send cap counts them. Not a setting: one is the only right number.
RESEND_CLAIM = "resend_claim"
RESEND_CLAIM_LIMITS = "1/15minutes"
# Recovery requests ("I lost my phone"), per account and per client address.
RECOVERY_ACCOUNT = "recovery_account"
RECOVERY_IP = "recovery_ip"
# "Send the link again" (a confirmation link mailed to the account's new address).
EMAIL_LINK_ACCOUNT = "email_link_account"

ALL_RULES = (
    PASSWORD_ACCOUNT,
    PASSWORD_IP,
    SEND_NUMBER,
    SEND_IP,
    SEND_ACCOUNT,
    SEND_PREFIX,
    SEND_COUNTRY,
    SEND_GLOBAL,
    SEND_NUMBER_NEW,
    SEND_PREFIX_NEW,
    SEND_COUNTRY_NEW,
    SEND_GLOBAL_NEW,
    PASSWORD_CHANGE,
    REGISTER_IP,
    VERIFY_IP,
    VERIFY_KEY,
    VERIFY_KEY_CHECK,
    VOICE_NUMBER,
    VOICE_ACCOUNT,
    VOICE_IP,
    VOICE_GLOBAL,
    RESEND_CLAIM,
    RECOVERY_ACCOUNT,
    RECOVERY_IP,
    EMAIL_LINK_ACCOUNT,
)
SEND_RULES = (
    SEND_NUMBER,
    SEND_IP,
    SEND_ACCOUNT,
    SEND_PREFIX,
    SEND_COUNTRY,
    SEND_GLOBAL,
    SEND_NUMBER_NEW,
    SEND_PREFIX_NEW,
    SEND_COUNTRY_NEW,
    SEND_GLOBAL_NEW,
)


def number_prefix(e164: str) -> str:
    """The first digits that name a range of numbers (country code and operator block)."""
    return e164[:7]


def ip_key(ip: str) -> str:
    """The client an IP limit counts: the address, or its /64 for IPv6.

    One IPv6 customer line gets a /64 (or more); counting single addresses would hand an
    attacker 2**64 fresh buckets.
    """
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def send_buckets(
    to: str, ctx: RequestContext | None, account_id: str | None, *, proven: bool = True
) -> list[tuple[str, str]]:
    """Every cap one SMS to ``to`` counts against.

    ``proven`` says whether ``to`` is an account's confirmed number reached by someone who
    already passed a password or holds a session; otherwise the send counts in the separate
    budgets of unproven numbers. ``ctx`` None: the request came from one of the shop's
    servers (an API key), whose address is no client's; the key's own limit counted it.
    """
    buckets = [] if ctx is None else [(SEND_IP, ip_key(ctx.ip))]
    if proven:
        buckets.append((SEND_NUMBER, to))
        if account_id is not None:
            buckets.append((SEND_ACCOUNT, account_id))
        buckets += [
            (SEND_PREFIX, number_prefix(to)),
            (SEND_COUNTRY, country_of(to)),
            (SEND_GLOBAL, GLOBAL_KEY),
        ]
    else:
        buckets += [
            (SEND_NUMBER_NEW, to),
            (SEND_PREFIX_NEW, number_prefix(to)),
            (SEND_COUNTRY_NEW, country_of(to)),
            (SEND_GLOBAL_NEW, GLOBAL_KEY),
        ]
    return buckets


def voice_buckets(to: str, ctx: RequestContext, account_id: str | None) -> list[tuple[str, str]]:
    """Every cap one call to ``to`` counts against. Calls go only to proven numbers, so there
    is no unproven budget."""
    buckets = [(VOICE_IP, ip_key(ctx.ip)), (VOICE_NUMBER, to)]
    if account_id is not None:
        buckets.append((VOICE_ACCOUNT, account_id))
    buckets.append((VOICE_GLOBAL, GLOBAL_KEY))
    return buckets


async def hit_send_limits(
    limiter: RateLimiter,
    to: str,
    ctx: RequestContext | None,
    account_id: str | None,
    *,
    proven: bool = True,
) -> None:
    """Count one SMS against every cap of ``send_buckets``, all in one atomic step: every
    cap counts it, or (one refuses: ``RateLimited``) none does, so a send refused by one cap
    spends nothing of the others (S44); one Redis round trip."""
    await limiter.hit_all(send_buckets(to, ctx, account_id, proven=proven))
