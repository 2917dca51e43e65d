"""full summaries: a step-up's words are stored whole (challenges.action_summary becomes TEXT)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 10:00:00.000000

The words a code approves are never cut (S42); a change too long for its text message is
refused instead, so no length limit belongs to the column.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _retype(old: sa.types.TypeEngine[str], new: sa.types.TypeEngine[str]) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        # SQLite changes a column's type by copying the table; dropping the old copy runs the
        # foreign keys' ON DELETE SET NULL, which would unlink every message from its
        # challenge (the pragma can't be turned off inside the migration's transaction).
        op.execute(
            "CREATE TEMP TABLE keep_message_links AS "
            "SELECT id, challenge_id FROM messages WHERE challenge_id IS NOT NULL"
        )
    with op.batch_alter_table("challenges", schema=None) as batch_op:
        batch_op.alter_column(
            "action_summary", existing_type=old, type_=new, existing_nullable=True
        )
    if sqlite:
        op.execute(
            "UPDATE messages SET challenge_id = (SELECT k.challenge_id FROM keep_message_links k "
            "WHERE k.id = messages.id) WHERE id IN (SELECT id FROM keep_message_links)"
        )
        op.execute("DROP TABLE keep_message_links")


def upgrade() -> None:
    _retype(sa.String(length=200), sa.Text())


def downgrade() -> None:
    # Older code stored at most 200 characters; a longer summary is kept visibly cut.
    op.execute(
        "UPDATE challenges SET action_summary = substr(action_summary, 1, 199) || '…' "
        "WHERE length(action_summary) > 200"
    )
    _retype(sa.Text(), sa.String(length=200))
