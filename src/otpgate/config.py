"""Settings from the environment (prefix ``OTPGATE_``), typed and checked at start-up.

Every number of DESIGN §4 is a setting. A bad value stops start-up with one line naming the
setting (``describe_error``), never a traceback.
"""

from __future__ import annotations

import ipaddress
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from otpgate.domain.delivery import Routes
from otpgate.domain.passkeys import host_is_name
from otpgate.domain.policy import OtpPolicy

CommaList = Annotated[tuple[str, ...], NoDecode]
SMS_PROVIDER_NAMES = ("outbox", "twilio", "sns", "webhook")
# Provider names are unique across channels (one breaker and one metrics label each).
VOICE_PROVIDER_NAMES = ("voice-outbox", "twilio-voice")
TWILIO_STATUS_PATH = "/hooks/twilio/status"


def _split(value: object) -> object:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OTPGATE_", extra="ignore", frozen=True)

    # -- where things live ---------------------------------------------------------------
    data_dir: Path = Path("./var")
    database_url: str = ""
    redis_url: str | None = None
    secret_key: SecretStr | None = None
    # Former keys, still accepted for codes in flight while the key is rotated.
    previous_secret_keys: Annotated[tuple[SecretStr, ...], NoDecode] = ()
    base_url: str = "http://127.0.0.1:8000"
    brand: str = Field("otpgate", min_length=1, max_length=40)
    trusted_proxies: CommaList = ()
    db_pool_size: int = Field(10, ge=1, le=200)
    db_max_overflow: int = Field(10, ge=0, le=200)
    # PostgreSQL: apply pending migrations at start-up instead of refusing to serve.
    db_auto_upgrade: bool = False
    # When set, GET /metrics needs "Authorization: Bearer <token>".
    metrics_token: SecretStr | None = None
    # Tests of a real server only: the clock runs this many seconds ahead, as written in the
    # file (adapters/clock.py). Refused unless BASE_URL is a loopback address.
    test_clock_file: Path | None = None
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "console"] = "json"

    # -- codes and challenges (DESIGN §4) --------------------------------------------------
    code_length: int = Field(6, ge=6, le=10)
    code_ttl_seconds: int = Field(300, ge=1, le=600)
    code_max_attempts: int = Field(5, ge=1, le=10)
    resend_cooldown_seconds: int = Field(30, ge=0, le=600)
    max_sends_per_challenge: int = Field(5, ge=1, le=10)
    challenge_max_life_seconds: int = Field(900, ge=1, le=900)
    code_failure_streak_limit: int = Field(10, ge=3, le=100)
    code_lockout_seconds: int = Field(900, ge=1, le=86400)
    code_lockout_max_seconds: int = Field(3600, ge=1, le=86400)

    # -- sessions and trusted browsers -----------------------------------------------------
    session_idle_seconds: int = Field(3600, ge=60, le=3600)
    session_max_seconds: int = Field(86400, ge=60, le=86400)
    remember_devices: bool = True
    device_trust_seconds: int = Field(30 * 86400, ge=3600, le=90 * 86400)

    # -- step-up policy: settings and payment methods always need a code; operators may add
    # cosmetic address edits (label, delivery instructions) with "all" ----------------------
    step_up_address_edits: Literal["significant", "all"] = "significant"

    # -- passwords (Argon2id; at or above OWASP's minimum) ---------------------------------
    argon2_time_cost: int = Field(2, ge=2, le=10)
    argon2_memory_kib: int = Field(19456, ge=19456, le=1048576)
    argon2_parallelism: int = Field(1, ge=1, le=16)

    # -- rate limits (``limits`` notation; several separated by ';' make growing delays) ----
    # Growing pauses that never exceed an hour (S14): an attacker who types wrong passwords
    # for someone else's email can delay its owner, never lock them out.
    limit_password_account: str = "5/30seconds;10/15minutes;20/hour"
    limit_password_change: str = "5/15minutes;10/hour"
    limit_password_ip: str = "20/minute;100/hour;500/day"
    # Send caps are sized so ordinary upkeep never meets them (issue 15): a signed-in customer
    # signing in and making a dozen changes in an hour, or a household or office behind one
    # NAT address doing the same at once. Pumping is held by the caps an attacker cannot
    # multiply: per unproven number, per prefix, per country and the global ceiling.
    # A confirmed number, reached after its account's password or within its session.
    limit_send_number: str = "15/15minutes;30/hour;60/day"
    # A number nobody has proven (sign-up, a new mobile number): anyone can type a victim's.
    limit_send_number_new: str = "5/15minutes;10/day"
    # Per client address: counts a whole household or office, so it only stops one machine
    # from texting many numbers; per account: a busy hour is about a dozen texts.
    limit_send_ip: str = "60/15minutes;200/hour;500/day"
    limit_send_account: str = "30/hour;60/day"
    limit_send_prefix: str = "50/hour"
    limit_send_country: str = "500/hour"
    # Every SMS from this installation: the spend circuit breaker against SMS pumping.
    limit_send_global: str = "100/minute"
    limit_register_ip: str = "10/hour;50/day"
    limit_verify_ip: str = "60/minute;600/hour"
    # The verification API, per API key: verifications created, and code checks.
    limit_verify_key: str = "60/minute;1000/hour"
    limit_verify_key_check: str = "300/minute;5000/hour"

    # -- the verification API and event webhooks (DESIGN §5.2, §5.4) -------------------------
    # A retired token signing key stays in /.well-known/jwks.json this long (>= 10 minutes:
    # it must outlast the tokens it signed).
    signing_key_retention_seconds: int = Field(86400, ge=600, le=90 * 86400)
    # -- the OpenID Connect provider (DESIGN §5.3) ---------------------------------------------
    oidc_code_seconds: int = Field(60, ge=10, le=600)
    oidc_access_token_seconds: int = Field(900, ge=60, le=86400)
    oidc_id_token_seconds: int = Field(600, ge=60, le=86400)
    oidc_refresh_token_seconds: int = Field(30 * 86400, ge=3600, le=365 * 86400)
    # How long a signed-out deep link or an authorization request waits for the sign-in.
    sign_in_return_seconds: int = Field(1800, ge=60, le=86400)
    events_webhook_url: str | None = None
    # ``whsec_`` + base64 of 24 to 64 random bytes (Standard Webhooks).
    events_webhook_secret: SecretStr | None = None
    events_webhook_timeout_seconds: float = Field(10.0, gt=0, le=60)
    events_webhook_retry_base_seconds: float = Field(5.0, gt=0, le=3600)
    events_webhook_retry_max_seconds: float = Field(3600.0, gt=0, le=86400)
    # An event still undelivered this long after it happened is given up (logged, counted).
    events_webhook_give_up_seconds: int = Field(3 * 86400, ge=60, le=30 * 86400)
    events_webhook_poll_seconds: float = Field(1.0, gt=0, le=60)

    # -- SMS ---------------------------------------------------------------------------------
    sms_provider: Literal["outbox", "twilio", "sns", "webhook"] = "outbox"
    sms_providers: CommaList = ()
    sms_outbox: Path | None = None
    # The /dev/sms page shows every code sent: unset means "only when the outbox is the one
    # provider and the service answers on a loopback address" (a developer's machine).
    dev_sms_page: bool | None = None
    sms_default_region: str | None = Field(None, min_length=2, max_length=2)
    sms_allowed_countries: CommaList = ()
    sms_send_timeout_seconds: float = Field(10.0, gt=0, le=60)
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_api_key_sid: str | None = None
    twilio_api_key_secret: SecretStr | None = None
    twilio_from: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_base: str = "https://api.twilio.com"
    sns_region: str = "us-east-1"
    sns_endpoint_url: str | None = None
    sns_sender_id: str | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    # Twilio status callbacks (POST /hooks/twilio/status): true = at base_url, or a full URL
    # when Twilio must reach otpgate through another address. Needs the auth token.
    twilio_status_callback: bool | str = Field(False, union_mode="left_to_right")

    # -- sign-in methods besides SMS (README "Sign-in methods") ----------------------------
    totp: bool = True
    backup_codes: bool = True
    # Unset: on when BASE_URL can be a WebAuthn relying party (its host is a name, and it is
    # https or localhost); true where it can't stops start-up.
    passkeys: bool | None = None
    # Codes read by a phone call. Unset: on when a voice provider is configured (in
    # development, the voice outbox whenever SMS goes to the outbox only).
    voice: bool | None = None
    voice_providers: CommaList = ()
    voice_outbox: Path | None = None
    twilio_voice_from: str | None = None
    # Calls cost more than texts: budgets of their own.
    limit_voice_number: str = "3/15minutes;6/day"
    limit_voice_account: str = "3/hour;10/day"
    limit_voice_ip: str = "5/15minutes;20/day"
    limit_voice_global: str = "20/minute"

    # -- email (docs/email.md): links and notices, never a sign-in code -------------------
    # mail-outbox: one JSON line per mail in MAIL_OUTBOX (and /dev/mail); smtp: aiosmtplib.
    mail_provider: Literal["mail-outbox", "smtp"] = "mail-outbox"
    mail_outbox: Path | None = None
    # The From header; unset: "<brand> <no-reply@<host of BASE_URL>>".
    mail_from: str | None = None
    smtp_host: str = "localhost"
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    # Implicit TLS from the first byte (port 465) instead of STARTTLS.
    smtp_tls: bool = False
    smtp_timeout_seconds: float = Field(10.0, gt=0, le=120)
    # How long a link that confirms an address stays good (single use).
    email_link_hours: int = Field(24, ge=1, le=168)
    # Notices by email to the confirmed address; each can be turned off.
    notify_new_sign_in: bool = True
    notify_changes: bool = True
    notify_factor_changes: bool = True
    # Recovery when the phone is lost (docs/email.md): the wait once the emailed link is opened,
    # how long that first link is good, and how long the customer has to finish after the wait.
    recovery_wait_hours: float = Field(24.0, ge=1, le=24 * 30)
    recovery_link_minutes: int = Field(60, ge=5, le=24 * 60)
    recovery_finish_hours: int = Field(72, ge=1, le=24 * 30)
    limit_recovery_account: str = "3/day"
    limit_recovery_ip: str = "10/day"
    limit_email_link_account: str = "3/hour;10/day"

    # -- delivery (services/delivery.py) ---------------------------------------------------
    # inline: in the serving process (embedded); queue: procrastinate on PostgreSQL, drained
    # by ``otpgate worker``. Unset: queue when the database is PostgreSQL, else inline.
    delivery: Literal["inline", "queue"] | None = None
    # Providers per number prefix, longest prefix first: "+49:sns,twilio;+1:twilio".
    sms_routes: str = ""
    sms_max_rounds: int = Field(3, ge=1, le=10)
    sms_retry_base_seconds: float = Field(1.0, gt=0, le=60)
    sms_retry_max_seconds: float = Field(30.0, gt=0, le=600)
    sms_breaker_failures: int = Field(5, ge=1, le=1000)
    sms_breaker_cooloff_seconds: float = Field(30.0, gt=0, le=3600)
    sms_reclaim_after_seconds: float = Field(60.0, gt=0, le=3600)
    sms_sweep_seconds: float = Field(10.0, gt=0, le=600)
    worker_concurrency: int = Field(10, ge=1, le=200)

    @field_validator(
        "trusted_proxies",
        "sms_providers",
        "sms_allowed_countries",
        "voice_providers",
        mode="before",
    )
    @classmethod
    def _comma_list(cls, value: object) -> object:
        return _split(value)

    @field_validator("previous_secret_keys", mode="before")
    @classmethod
    def _secret_list(cls, value: object) -> object:
        return _split(value)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(f"{item!r} is not an IP address or network") from exc
        return value

    @field_validator("sms_providers")
    @classmethod
    def _known_providers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            if item not in SMS_PROVIDER_NAMES:
                raise ValueError(f"{item!r} is not one of {', '.join(SMS_PROVIDER_NAMES)}")
        return value

    @field_validator("voice_providers")
    @classmethod
    def _known_voice_providers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            if item not in VOICE_PROVIDER_NAMES:
                raise ValueError(f"{item!r} is not one of {', '.join(VOICE_PROVIDER_NAMES)}")
        return value

    @field_validator("sms_allowed_countries")
    @classmethod
    def _countries(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        out = tuple(item.upper() for item in value)
        for item in out:
            if len(item) != 2 or not item.isalpha():
                raise ValueError(f"{item!r} is not an ISO 3166-1 alpha-2 country code")
        return out

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return check_database_url(value)

    @field_validator("secret_key")
    @classmethod
    def _secret_length(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.is_postgres and self.secret_key is None:
            raise ValueError(
                "OTPGATE_SECRET_KEY is required when the database is PostgreSQL "
                "(every app node must share it)"
            )
        if self.code_lockout_max_seconds < self.code_lockout_seconds:
            raise ValueError("OTPGATE_CODE_LOCKOUT_MAX_SECONDS must be >= CODE_LOCKOUT_SECONDS")
        if self.delivery == "queue" and not self.is_postgres:
            raise ValueError("OTPGATE_DELIVERY=queue needs a PostgreSQL OTPGATE_DATABASE_URL")
        if self.sms_reclaim_after_seconds <= self.sms_send_timeout_seconds:
            raise ValueError(
                "OTPGATE_SMS_RECLAIM_AFTER_SECONDS must be longer than SMS_SEND_TIMEOUT_SECONDS"
            )
        try:
            routes = self.sms_route_table
        except ValueError as exc:
            raise ValueError(f"OTPGATE_SMS_ROUTES: {exc}") from None
        for name in routes.all_providers:
            if name not in SMS_PROVIDER_NAMES:
                raise ValueError(
                    f"OTPGATE_SMS_ROUTES: {name!r} is not one of {', '.join(SMS_PROVIDER_NAMES)}"
                )
        if self.test_clock_file is not None and not self.is_loopback:
            raise ValueError(
                "OTPGATE_TEST_CLOCK_FILE moves the server's clock: only for tests on a loopback "
                "BASE_URL"
            )
        if self.events_webhook_url is not None:
            parts = urlsplit(self.events_webhook_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError("OTPGATE_EVENTS_WEBHOOK_URL must be an http:// or https:// URL")
            if self.events_webhook_secret is None:
                raise ValueError("OTPGATE_EVENTS_WEBHOOK_URL needs OTPGATE_EVENTS_WEBHOOK_SECRET")
        if self.events_webhook_secret is not None:
            check_webhook_secret(self.events_webhook_secret.get_secret_value())
        if self.passkeys and not self.can_offer_passkeys:
            raise ValueError(
                "OTPGATE_PASSKEYS: passkeys need a BASE_URL whose host is a name, over https or "
                "on localhost (browsers refuse an IP address as the relying party ID): use "
                "http://localhost:8000, not http://127.0.0.1:8000"
            )
        if self.voice and not self.voice_provider_order:
            raise ValueError("OTPGATE_VOICE=true needs OTPGATE_VOICE_PROVIDERS")
        if isinstance(self.twilio_status_callback, str):
            parts = urlsplit(self.twilio_status_callback)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError("OTPGATE_TWILIO_STATUS_CALLBACK must be true, false or a URL")
        return self

    # -- derived ---------------------------------------------------------------------------

    @property
    def effective_database_url(self) -> str:
        url = self.database_url or f"sqlite:///{self.data_dir / 'otpgate.db'}"
        if url.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
        if url.startswith(("postgresql://", "postgres://")):
            return "postgresql+asyncpg://" + url.split("://", 1)[1]
        return url

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgresql", "postgres://"))

    @property
    def is_https(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def host(self) -> str:
        """The host named in the SMS's origin-bound line (``@host #code``)."""
        return urlsplit(self.base_url).hostname or "localhost"

    @property
    def is_loopback(self) -> bool:
        """Whether the public URL names this machine only (a developer's or a test's)."""
        return self.host in ("127.0.0.1", "localhost", "::1")

    @property
    def outbox_path(self) -> Path:
        return self.sms_outbox or self.data_dir / "sms-outbox.jsonl"

    @property
    def dev_inbox_enabled(self) -> bool:
        if "outbox" not in self.provider_order:
            return False
        if self.dev_sms_page is not None:
            return self.dev_sms_page
        return self.provider_order == ("outbox",) and self.is_loopback

    @property
    def provider_order(self) -> tuple[str, ...]:
        return self.sms_providers or (self.sms_provider,)

    @property
    def sms_route_table(self) -> Routes:
        """Providers per number prefix; numbers no route names use ``provider_order``."""
        return Routes.parse(self.sms_routes, self.provider_order)

    @property
    def can_offer_passkeys(self) -> bool:
        """Whether browsers accept BASE_URL as a WebAuthn relying party (a secure context
        whose host is a name)."""
        host = self.host
        local = host == "localhost" or host.endswith(".localhost")
        return host_is_name(self.base_url) and (self.is_https or local)

    @property
    def passkeys_enabled(self) -> bool:
        return self.can_offer_passkeys if self.passkeys is None else self.passkeys

    @property
    def voice_provider_order(self) -> tuple[str, ...]:
        """The voice providers in failover order (empty: no calls)."""
        if self.voice is False:
            return ()
        if self.voice_providers:
            return self.voice_providers
        return ("voice-outbox",) if self.provider_order == ("outbox",) else ()

    @property
    def mail_outbox_path(self) -> Path:
        return self.mail_outbox or self.data_dir / "mail-outbox.jsonl"

    @property
    def dev_mail_enabled(self) -> bool:
        """``/dev/mail``: with the mail outbox, on a developer's machine (or as DEV_SMS_PAGE)."""
        if self.mail_provider != "mail-outbox":
            return False
        return self.dev_sms_page if self.dev_sms_page is not None else self.is_loopback

    @property
    def mail_sender(self) -> str:
        """The From header (one line whatever the setting holds)."""
        sender = self.mail_from or f"{self.brand} <no-reply@{self.host}>"
        return " ".join(sender.replace("\r", " ").replace("\n", " ").split())

    @property
    def voice_outbox_path(self) -> Path:
        return self.voice_outbox or self.data_dir / "voice-outbox.jsonl"

    @property
    def delivery_mode(self) -> Literal["inline", "queue"]:
        if self.delivery is not None:
            return self.delivery
        return "queue" if self.is_postgres else "inline"

    @property
    def queue_conninfo(self) -> str:
        """The database URL as libpq understands it (procrastinate's psycopg connection)."""
        scheme, _, rest = self.database_url.partition("://")
        return "postgresql://" + rest if scheme.startswith("postgres") else self.database_url

    @property
    def twilio_status_callback_url(self) -> str | None:
        """Where Twilio posts status callbacks (None: callbacks off)."""
        if isinstance(self.twilio_status_callback, str):
            return self.twilio_status_callback
        if self.twilio_status_callback:
            return self.base_url + TWILIO_STATUS_PATH
        return None

    @property
    def policy(self) -> OtpPolicy:
        return OtpPolicy(
            code_length=self.code_length,
            code_ttl_seconds=self.code_ttl_seconds,
            max_attempts=self.code_max_attempts,
            resend_cooldown_seconds=self.resend_cooldown_seconds,
            max_sends_per_challenge=self.max_sends_per_challenge,
            challenge_max_life_seconds=self.challenge_max_life_seconds,
            code_failure_streak_limit=self.code_failure_streak_limit,
            code_lockout_base_seconds=self.code_lockout_seconds,
            code_lockout_max_seconds=self.code_lockout_max_seconds,
        )

    @property
    def secret_keys(self) -> tuple[bytes, ...]:
        """The server key first, then former keys still accepted while rotating."""
        previous = (key.get_secret_value().encode() for key in self.previous_secret_keys)
        return (self.secret_key_bytes, *previous)

    @cached_property
    def secret_key_bytes(self) -> bytes:
        """The server key: the setting, or (embedded mode) one generated once into data_dir."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        path = self.data_dir / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip().encode()


DATABASE_URL_FORMS = "sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DATABASE"


def check_database_url(value: str) -> str:
    """An empty value (the embedded SQLite file) or a SQLite/PostgreSQL URL SQLAlchemy can
    parse; anything else is one line naming the forms we take (never the value: it may
    hold a password)."""
    if not value:
        return value
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    scheme = value.split("://", 1)[0] if "://" in value else ""
    if scheme not in ("sqlite", "sqlite+aiosqlite", "postgresql", "postgres", "postgresql+asyncpg"):
        raise ValueError(f"unsupported or malformed database URL; use {DATABASE_URL_FORMS}")
    try:
        url = make_url(value.replace("postgres://", "postgresql://", 1))
        _ = url.port  # a non-numeric port fails here
    except (ArgumentError, ValueError):
        raise ValueError(f"malformed database URL; use {DATABASE_URL_FORMS}") from None
    if scheme.startswith("sqlite"):
        if not value.startswith(f"{scheme}:///") or not url.database:
            raise ValueError("a SQLite URL names a file: sqlite:///PATH")
    elif not url.host or not url.database:
        raise ValueError(f"a PostgreSQL URL names a host and a database: {DATABASE_URL_FORMS}")
    return value


def check_webhook_secret(secret: str) -> None:
    """A Standard Webhooks secret: ``whsec_`` and the base64 of 24 to 64 bytes."""
    import base64
    import binascii

    body = secret.removeprefix("whsec_")
    try:
        raw = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if not secret.startswith("whsec_") or not 24 <= len(raw) <= 64:
        raise ValueError(
            "OTPGATE_EVENTS_WEBHOOK_SECRET must be whsec_ followed by the base64 of 24 to 64 "
            "random bytes"
        )


def describe_error(exc: ValidationError) -> str:
    """One line naming the first bad setting, e.g. ``OTPGATE_CODE_LENGTH: must be >= 6``."""
    error = exc.errors()[0]
    location = ".".join(str(part) for part in error.get("loc", ()) if part != "__root__")
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    if not location:
        return f"invalid settings: {message}"
    return f"invalid setting OTPGATE_{location.upper()}: {message}"


def load_settings() -> Settings:
    """Read the environment; raise ``ValidationError`` (see ``describe_error``) when invalid."""
    return Settings()
