"""Passkeys (WebAuthn): the relying party from ``BASE_URL``, and the rules py_webauthn leaves
to us.

- The RP ID is ``BASE_URL``'s host, and the expected origin its scheme, host and port: an
  assertion made for any other site does not verify (S53, phishing resistance).
- Browsers refuse an IP address as an RP ID (Chromium: "This is an invalid domain"), so a
  ``BASE_URL`` like ``http://127.0.0.1:8000`` cannot offer passkeys; ``http://localhost:8000``
  can (a secure context on every browser).
- Sign counts: a counter that does not grow while either side is non-zero means a cloned
  authenticator (WebAuthn L3 §6.1.1); synced passkeys report 0 forever, which is allowed.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class RelyingParty:
    id: str
    origin: str
    name: str


def host_is_name(base_url: str) -> bool:
    """Whether ``base_url``'s host is a DNS name (an RP ID browsers accept), not an IP."""
    host = urlsplit(base_url).hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return bool(host)
    return False


def relying_party(base_url: str, name: str) -> RelyingParty:
    """The RP of ``base_url`` (``ValueError`` when its host is an IP address)."""
    parts = urlsplit(base_url)
    if not host_is_name(base_url) or parts.hostname is None:
        raise ValueError(
            "passkeys need a BASE_URL whose host is a name (browsers refuse an IP address as "
            "the relying party): use http://localhost:8000 rather than http://127.0.0.1:8000"
        )
    return RelyingParty(id=parts.hostname, origin=f"{parts.scheme}://{parts.netloc}", name=name)


def b64url_decode(text: str) -> bytes | None:
    """base64url without padding, as WebAuthn's JSON carries it; None when it isn't."""
    if not isinstance(text, str) or len(text) > 4096:
        return None
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def client_challenge(client_data_json: str) -> str | None:
    """The ``challenge`` a browser signed, read from ``clientDataJSON`` (base64url), so the
    server can find the ceremony it issued; the library checks everything else."""
    raw = b64url_decode(client_data_json)
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    challenge = data.get("challenge") if isinstance(data, dict) else None
    return challenge if isinstance(challenge, str) else None


def sign_count_regressed(stored: int, new: int) -> bool:
    """Whether ``new`` fails to move past ``stored`` (0 and 0 is a synced passkey: fine)."""
    return (new > 0 or stored > 0) and new <= stored
