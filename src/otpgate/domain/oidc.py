"""OpenID Connect rules (DESIGN §5.3), pure: what a sign-in proves (``acr``, ``amr``), which
claims a scope grants, when an authorization request needs a fresh sign-in, and which return
destinations are local paths.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

ACR_MFA = "urn:otpgate:acr:mfa"
ACR_TRUSTED_DEVICE = "urn:otpgate:acr:trusted-device"
ACR_VALUES = (ACR_MFA, ACR_TRUSTED_DEVICE)

SCOPES = ("openid", "profile", "email", "phone", "offline_access")
CLAIMS = (
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "name",
    "email",
    "email_verified",
    "phone_number",
    "phone_number_verified",
)

# RFC 8176 method references of each factor that can answer a sign-in.
_AMR_OF_FACTOR = {
    "sms_code": "sms",
    "voice_code": "tel",
    "totp": "otp",
    "passkey": "hwk",
    "backup_code": "otp",
}


def amr_for(factor: str | None) -> tuple[str, ...]:
    """``amr`` of a sign-in: the password, then the factor that answered (RFC 8176).

    ``None``: a trusted browser stood in for the code (its token is a possession factor, but
    no code was typed), so only ``pwd`` is claimed and ``acr`` says trusted-device.
    """
    if factor is None:
        return ("pwd",)
    return ("pwd", _AMR_OF_FACTOR.get(factor, "otp"), "mfa")


def acr_for(factor: str | None) -> str:
    return ACR_TRUSTED_DEVICE if factor is None else ACR_MFA


def scope_claims(
    scopes: Collection[str],
    *,
    name: str,
    email: str,
    phone: str,
    phone_verified: bool,
    email_verified: bool = False,
) -> dict[str, Any]:
    """The profile claims the granted ``scopes`` allow (OIDC Core 5.4)."""
    claims: dict[str, Any] = {}
    if "profile" in scopes:
        claims["name"] = name
    if "email" in scopes:
        claims["email"] = email
        # True once a link mailed to the address was opened (services/mail.py).
        claims["email_verified"] = email_verified
    if "phone" in scopes:
        claims["phone_number"] = phone
        claims["phone_number_verified"] = phone_verified
    return claims


@dataclass(frozen=True, slots=True)
class Demand:
    """What an authorization request asks of the sign-in behind it."""

    prompt: frozenset[str]
    max_age: int | None
    acr_values: tuple[str, ...]

    @classmethod
    def of(cls, params: Mapping[str, str]) -> Demand:
        raw_age = params.get("max_age")
        max_age = int(raw_age) if raw_age and raw_age.isdigit() and len(raw_age) < 10 else None
        return cls(
            prompt=frozenset((params.get("prompt") or "").split()),
            max_age=max_age,
            acr_values=tuple((params.get("acr_values") or "").split()),
        )

    @property
    def wants_code(self) -> bool:
        """A code must be typed even on a trusted browser."""
        return ACR_MFA in self.acr_values

    def satisfied_by(
        self, auth_time: datetime, acr: str, now: datetime, fresh_since: datetime | None
    ) -> bool:
        """Whether a sign-in at ``auth_time`` proven as ``acr`` answers this request.

        ``fresh_since``: the request already sent the browser to sign in at that moment; a
        sign-in after it is the fresh one ``prompt=login`` and ``max_age`` asked for.
        """
        fresh = fresh_since is not None and auth_time >= fresh_since
        if "login" in self.prompt and not fresh:
            return False
        if (
            self.max_age is not None
            and not fresh
            and now - auth_time > timedelta(seconds=self.max_age)
        ):
            return False
        return not (self.wants_code and acr != ACR_MFA)


# A local path: one leading slash, then no slash or backslash (``//evil``, ``/\evil``), no
# scheme, no control characters; after percent-decoding too (``/%2F%2Fevil``).
_LOCAL = re.compile(r"^/(?![/\\])[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*$")
LOCAL_PATH_MAX = 500


def local_path(
    candidate: str | None, allowed_prefixes: Iterable[str] = ("/account",)
) -> str | None:
    """``candidate`` when it is a safe local path under one of ``allowed_prefixes``, else
    None: never a URL to another site (no open redirect)."""
    if not candidate or len(candidate) > LOCAL_PATH_MAX:
        return None
    decoded = unquote(unquote(candidate))
    for value in (candidate, decoded):
        if not _LOCAL.fullmatch(value) or "\\" in value:
            return None
        parts = urlsplit(value)
        if parts.scheme or parts.netloc:
            return None
    path = urlsplit(candidate).path
    if ".." in decoded.split("/"):
        return None
    if not any(path == prefix or path.startswith(prefix + "/") for prefix in allowed_prefixes):
        return None
    return candidate
