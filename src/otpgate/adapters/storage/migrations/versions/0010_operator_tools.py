"""operator tools: accounts.disabled_at (``otpgate accounts disable|enable``); idempotency_keys.
result (the customer API's Idempotency-Key: the other id a replayed answer names)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 13:30:00.000000

A disabled account cannot sign in, answer a code or keep a session; the column is NULL for
every account that exists, so nothing changes for them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("result", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_column("result")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("disabled_at")
