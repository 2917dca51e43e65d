"""The Alembic migrations create exactly the tables the code uses, on both engines."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from otpgate.adapters.storage.models import metadata
from tests.harness import Harness


async def test_migrations_match_the_models(h: Harness) -> None:
    def diff(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with h.runtime.store.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    # procrastinate keeps its own tables next to ours; only our tables are compared.
    ours = {table.name for table in metadata.sorted_tables}
    relevant = [
        d
        for d in differences
        if not (d[0] == "remove_table" and d[1].name not in ours)
        and not (d[0] == "remove_index" and d[1].table.name not in ours)
    ]
    assert relevant == []
