"""Message bodies sealed at rest: AES-256-GCM under a key derived from the server secret.

A queued SMS holds its code, and a worker on another machine must be able to send it after the
request that made it is long gone; so the body is stored, but only sealed, and erased once the
message is final. The key is HKDF-SHA256 of the server secret with its own label, so it is
never the key that digests codes. The message id is the associated data: a sealed body copied
onto another row does not open.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["FACTOR_LABEL", "AesGcmSealer", "SealError"]

LABEL = b"otpgate sms body v1"
# Enrolled factors' secrets (authenticator apps) are sealed under a key of their own.
FACTOR_LABEL = b"otpgate factor secret v1"
VERSION = b"\x01"
NONCE_BYTES = 12


class SealError(Exception):
    """A sealed body could not be opened (other key, other message, or tampered)."""


def _derive(secret: bytes, label: bytes = LABEL) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(secret)
    return AESGCM(key)


class AesGcmSealer:
    """Implements the ``Sealer`` port. Accepts former secrets so rotation keeps queued bodies."""

    def __init__(
        self, secret: bytes, previous: tuple[bytes, ...] = (), *, label: bytes = LABEL
    ) -> None:
        self._current = _derive(secret, label)
        self._all = (self._current, *(_derive(key, label) for key in previous))

    def seal(self, plaintext: str, context: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._current.encrypt(nonce, plaintext.encode("utf-8"), context.encode())
        return VERSION + nonce + sealed

    def open(self, sealed: bytes, context: str) -> str:
        if not sealed.startswith(VERSION) or len(sealed) < 1 + NONCE_BYTES + 16:
            raise SealError("not a sealed body")
        nonce, payload = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
        for aead in self._all:
            try:
                return aead.decrypt(nonce, payload, context.encode()).decode("utf-8")
            except InvalidTag:
                continue
        raise SealError("the sealed body does not open with any configured key")
