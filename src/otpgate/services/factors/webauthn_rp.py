"""py_webauthn behind four calls: creation and request options, and their verification.

The library keeps no state and checks only what it is given, so the rules that make passkeys
safe are passed every time: user verification required (its verify functions default to not
checking it), the RP ID and the exact origin from ``BASE_URL``, the stored signature counter.
Its exceptions become ``Refused`` here and go no further.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    options_to_json_dict,
    parse_authenticator_data,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from otpgate.domain.passkeys import RelyingParty, sign_count_regressed
from otpgate.services.storage import PasskeyCredential

# The browser's prompt stays up this long; the ceremony is kept a little longer.
TIMEOUT_MS = 120_000
CEREMONY_SECONDS = 180
TRANSPORTS = {transport.value: transport for transport in AuthenticatorTransport}


class Refused(Exception):
    """The credential did not verify; ``reason`` is our own words (never the credential)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Registered:
    credential_id: str
    public_key: bytes
    sign_count: int
    transports: tuple[str, ...]


def ceremony_digest(challenge: bytes) -> str:
    """What the server keeps of a WebAuthn challenge it issued."""
    return hashlib.sha256(challenge).hexdigest()


def new_user_handle() -> str:
    """A fresh WebAuthn user handle: random, so it says nothing about the account (§14.6.1)."""
    return bytes_to_base64url(secrets.token_bytes(32))


@contextmanager
def _refusing(what: str) -> Iterator[None]:
    try:
        yield
    except WebAuthnException as exc:
        raise Refused(f"{what}: {type(exc).__name__}") from exc
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        # The parsers meet whatever a client sent: a shape they don't expect is a refusal.
        raise Refused(f"{what}: malformed credential") from exc


def _descriptors(credentials: Sequence[PasskeyCredential]) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(
            id=base64url_to_bytes(c.credential_id),
            transports=[TRANSPORTS[t] for t in c.transports if t in TRANSPORTS] or None,
        )
        for c in credentials
    ]


def creation_options(
    rp: RelyingParty,
    *,
    user_handle: str,
    user_name: str,
    display_name: str,
    existing: Sequence[PasskeyCredential],
) -> tuple[bytes, dict[str, Any]]:
    """A new registration's challenge and the options for ``navigator.credentials.create``:
    a discoverable credential preferred, user verification required, the account's own
    passkeys excluded (one authenticator, one passkey)."""
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_name=user_name,
        user_id=base64url_to_bytes(user_handle),
        user_display_name=display_name,
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=_descriptors(existing),
    )
    return options.challenge, options_to_json_dict(options)


def request_options(
    rp: RelyingParty, allowed: Sequence[PasskeyCredential]
) -> tuple[bytes, dict[str, Any]]:
    """An assertion's challenge and the options for ``navigator.credentials.get`` (only the
    account's own passkeys, user verification required)."""
    options = generate_authentication_options(
        rp_id=rp.id,
        timeout=TIMEOUT_MS,
        allow_credentials=_descriptors(allowed),
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return options.challenge, options_to_json_dict(options)


def verify_registration(
    rp: RelyingParty, credential: dict[str, Any], challenge: bytes
) -> Registered:
    """The verified new credential, or ``Refused``."""
    with _refusing("registration refused"):
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            require_user_verification=True,
        )
    response = credential.get("response") or {}
    transports = response.get("transports") if isinstance(response, dict) else None
    return Registered(
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=tuple(t for t in (transports or []) if isinstance(t, str) and t in TRANSPORTS),
    )


class SignCountRegressed(Refused):
    """The authenticator's counter went backwards or stood still: maybe a cloned key."""


def verify_assertion(
    rp: RelyingParty, credential: dict[str, Any], challenge: bytes, stored: PasskeyCredential
) -> int:
    """The assertion's new signature counter once it verified, or ``Refused``."""
    with _refusing("assertion refused"):
        data = parse_authenticator_data(
            base64url_to_bytes(credential["response"]["authenticatorData"])
        )
    if sign_count_regressed(stored.sign_count, data.sign_count):
        raise SignCountRegressed(f"sign count {data.sign_count} after {stored.sign_count}")
    with _refusing("assertion refused"):
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=stored.public_key,
            credential_current_sign_count=stored.sign_count,
            require_user_verification=True,
        )
    return verified.new_sign_count
