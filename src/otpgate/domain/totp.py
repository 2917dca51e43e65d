"""Authenticator apps: RFC 6238 time-based codes (HMAC-SHA-1, 6 digits, 30 s steps, ±1 step).

pyotp does the RFC 4226/6238 arithmetic; the rules around it are ours:

- every step of the window is compared, in constant time, even after a match (pyotp's own
  ``verify`` stops at the first match, which says through timing which step matched);
- a step is accepted once per account: the matched step must be newer than the last one
  used, and the caller stores it with a conditional update (S52), so a code read over a
  shoulder, or two right codes sent at once, pass at most once;
- secrets are 160 bits from the OS CSPRNG (RFC 4226 §4 recommends 160).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

import pyotp

from otpgate.domain.codes import is_well_formed

DIGITS = 6
STEP_SECONDS = 30
WINDOW = 1  # steps either side of now: a clock a little off, a code typed at the boundary
SECRET_CHARS = 32  # base32: 160 bits


@dataclass(frozen=True, slots=True)
class TotpParams:
    """The parameters an app is told in the otpauth:// URI (all defaults of Google's apps)."""

    digits: int = DIGITS
    step_seconds: int = STEP_SECONDS
    window: int = WINDOW


def new_secret() -> str:
    """A fresh base32 secret (160 bits from ``secrets``)."""
    return pyotp.random_base32(SECRET_CHARS)


def _totp(secret: str, params: TotpParams) -> pyotp.TOTP:
    return pyotp.TOTP(
        secret, digits=params.digits, interval=params.step_seconds, digest=hashlib.sha1
    )


def code_at(secret: str, moment: float, params: TotpParams | None = None) -> str:
    """The code an app shows at Unix time ``moment`` (tests and the RFC vectors)."""
    return _totp(secret, params or TotpParams()).at(int(moment))


def step_of(moment: datetime, params: TotpParams | None = None) -> int:
    """The RFC 6238 time step ``T`` of an aware ``moment``."""
    return int(moment.timestamp()) // (params or TotpParams()).step_seconds


def matching_step(
    secret: str, code: str, now: datetime, params: TotpParams | None = None
) -> int | None:
    """The step within the window whose code is ``code``, or None; every candidate is
    compared so the time taken does not depend on which step (if any) matched."""
    params = params or TotpParams()
    if not is_well_formed(code, params.digits):
        return None
    totp = _totp(secret, params)
    base = step_of(now, params)
    found: int | None = None
    for step in range(base - params.window, base + params.window + 1):
        if hmac.compare_digest(totp.generate_otp(step), code) and found is None:
            found = step
    return found


def accepts(step: int | None, last_used: int | None) -> bool:
    """Whether a matched ``step`` may be accepted after ``last_used`` (each step once, and
    never an older step after a newer one)."""
    return step is not None and (last_used is None or step > last_used)


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """The ``otpauth://totp/...`` URI an app scans (its parameters are all the defaults)."""
    return _totp(secret, TotpParams()).provisioning_uri(name=account, issuer_name=issuer)


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
