"""Running Alembic from code: ``otpgate db upgrade`` and the embedded auto-upgrade."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Alembic's config is an INI file: '%' would start an interpolation.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision``. Must not run inside an event loop."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)
    if url.startswith("postgres"):
        # The delivery queue's own tables (procrastinate ships them as SQL, see adapters/queue).
        import asyncio

        from otpgate.adapters.queue import apply_queue_schema

        _scheme, _, rest = url.partition("://")
        asyncio.run(apply_queue_schema("postgresql://" + rest))


def current_head() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    return head or ""
