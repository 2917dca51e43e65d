"""What the services need to know, as plain values (the web layer builds it from settings)."""

from __future__ import annotations

from dataclasses import dataclass, field

from otpgate.domain.passkeys import RelyingParty
from otpgate.domain.policy import OtpPolicy


@dataclass(frozen=True, slots=True)
class FactorConfig:
    """Which factors the operator offers besides SMS (each a setting; see the README)."""

    totp: bool = True
    backup_codes: bool = True
    # None: passkeys are off (BASE_URL's host is an IP address, or the operator said so).
    passkeys: RelyingParty | None = None
    # Whether codes may be read by a phone call (a voice provider is configured).
    voice: bool = False


@dataclass(frozen=True, slots=True)
class MailConfig:
    """Email ownership, notices and recovery (``OTPGATE_NOTIFY_*``, ``OTPGATE_RECOVERY_*``)."""

    link_seconds: int = 24 * 3600
    notify_new_sign_in: bool = True
    notify_changes: bool = True
    notify_factor_changes: bool = True
    recovery_wait_seconds: int = 24 * 3600
    recovery_link_seconds: int = 3600
    recovery_finish_seconds: int = 72 * 3600


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    brand: str = "otpgate"
    host: str = "127.0.0.1"
    policy: OtpPolicy = field(default_factory=OtpPolicy)
    code_keys: tuple[bytes, ...] = (b"test-key-test-key-test-key-test!",)
    session_idle_seconds: int = 3600
    session_max_seconds: int = 86400
    remember_devices: bool = True
    device_trust_seconds: int = 30 * 86400
    allowed_countries: tuple[str, ...] = ()
    default_region: str | None = None
    # Operators may tighten the step-up policy: every address edit, cosmetic or not.
    strict_address_edits: bool = False
    # The verification API: the approval token's ``iss``, and how long a retired signing key
    # stays published (it must outlast every token it signed).
    base_url: str = "http://127.0.0.1:8000"
    signing_key_retention_seconds: int = 86400
    factors: FactorConfig = field(default_factory=FactorConfig)
    mail: MailConfig = field(default_factory=MailConfig)

    @property
    def code_key(self) -> bytes:
        """The key new codes are digested with (the first one)."""
        return self.code_keys[0]
