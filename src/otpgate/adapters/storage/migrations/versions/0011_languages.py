"""languages: accounts.language (the language of its SMS and email) and challenges.language
(the language its code texts are written in, kept for every resend)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 16:30:00.000000

NULL is English: every account and challenge that exists reads exactly as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))
    with op.batch_alter_table("challenges", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("challenges", schema=None) as batch_op:
        batch_op.drop_column("language")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("language")
