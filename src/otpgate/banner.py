"""What ``otpgate serve`` says when it starts: one screen an operator can check at a glance
(issue 15 point 19). Never a password or a secret: URLs are shown without theirs."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from otpgate import __version__
from otpgate.config import Settings


def describe_database(settings: Settings) -> str:
    """``SQLite at var/otpgate.db`` or ``PostgreSQL otpgate@db:5432/otpgate`` (no password)."""
    url = make_url(settings.effective_database_url)
    if url.get_backend_name() == "sqlite":
        return f"SQLite at {url.database}"
    user = f"{url.username}@" if url.username else ""
    port = f":{url.port}" if url.port else ""
    return f"PostgreSQL {user}{url.host}{port}/{url.database}"


def describe_redis(settings: Settings) -> str:
    if not settings.redis_url:
        return "none: rate limits counted in this process (one process only)"
    url = make_url(settings.redis_url.removeprefix("async+"))
    port = f":{url.port}" if url.port else ""
    return f"Redis at {url.host}{port}/{url.database or 0} (rate limits shared by every process)"


def banner(settings: Settings, *, host: str, port: int, workers: int) -> list[str]:
    """The start-up lines, the last ones loud warnings when something must not go live."""
    sms = ", ".join(settings.provider_order)
    if settings.sms_routes:
        sms += f"; routes {settings.sms_routes}"
    if "outbox" in settings.provider_order:
        sms += f" (outbox file {settings.outbox_path})"
    voice = ", ".join(settings.voice_provider_order) or "off"
    lines = [
        f"otpgate {__version__}",
        f"  database       {describe_database(settings)}",
        f"  redis          {describe_redis(settings)}",
        f"  SMS providers  {sms}",
        f"  voice calls    {voice}",
        f"  delivery       {settings.delivery_mode}"
        + (" (drained by `otpgate worker`)" if settings.delivery_mode == "queue" else ""),
        f"  data directory {settings.data_dir.resolve()}",
        f"  base URL       {settings.base_url}",
        f"  listening on   http://{host}:{port} ({workers} worker process"
        + ("es)" if workers > 1 else ")"),
    ]
    if settings.dev_inbox_enabled:
        lines += [
            "",
            "  !!! WARNING: DEVELOPMENT PAGES ARE ON: /dev/sms shows EVERY CODE SENT !!!",
            "  !!! (to callers on this machine only). Never run a public server like this:",
            "  !!! set OTPGATE_DEV_SMS_PAGE=false or configure a real SMS provider.",
        ]
    return lines
