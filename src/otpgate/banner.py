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


def facts(settings: Settings, *, host: str, port: int, workers: int) -> dict[str, str]:
    """What the server runs on, by name (the JSON log's ``starting`` record has these)."""
    sms = ", ".join(settings.provider_order)
    if settings.sms_routes:
        sms += f"; routes {settings.sms_routes}"
    if "outbox" in settings.provider_order:
        sms += f" (outbox file {settings.outbox_path})"
    delivery: str = settings.delivery_mode
    if delivery == "queue":
        delivery += " (drained by `otpgate worker`)"
    plural = "es" if workers > 1 else ""
    return {
        "version": __version__,
        "database": describe_database(settings),
        "redis": describe_redis(settings),
        "sms_providers": sms,
        "voice_calls": ", ".join(settings.voice_provider_order) or "off",
        "delivery": delivery,
        "data_directory": str(settings.data_dir.resolve()),
        "base_url": settings.base_url,
        "listening_on": f"http://{host}:{port} ({workers} worker process{plural})",
    }


LABELS = {
    "database": "database",
    "redis": "redis",
    "sms_providers": "SMS providers",
    "voice_calls": "voice calls",
    "delivery": "delivery",
    "data_directory": "data directory",
    "base_url": "base URL",
    "listening_on": "listening on",
}
DEV_PAGES_WARNING = (
    "DEVELOPMENT PAGES ARE ON: /dev/sms shows EVERY CODE SENT (to callers on this machine "
    "only). Never run a public server like this: set OTPGATE_DEV_SMS_PAGE=false or configure "
    "a real SMS provider."
)


def banner(settings: Settings, *, host: str, port: int, workers: int) -> list[str]:
    """The start-up screen, ending in loud warnings when something must not go live."""
    known = facts(settings, host=host, port=port, workers=workers)
    lines = [f"otpgate {known.pop('version')}"]
    lines += [f"  {LABELS[name]:<15}{value}" for name, value in known.items()]
    if settings.dev_inbox_enabled:
        lines += [
            "",
            "  !!! WARNING: DEVELOPMENT PAGES ARE ON: /dev/sms shows EVERY CODE SENT !!!",
            "  !!! (to callers on this machine only). Never run a public server like this:",
            "  !!! set OTPGATE_DEV_SMS_PAGE=false or configure a real SMS provider.",
        ]
    return lines
