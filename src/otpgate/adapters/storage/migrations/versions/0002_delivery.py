"""delivery: sealed bodies for the durable queue, timings, and one row per send attempt

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sms_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("body_sealed", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("rounds", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_sms_messages_provider_message_id"),
            ["provider_message_id"],
            unique=False,
        )

    op.create_table(
        "sms_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(length=40), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("provider_message_id", sa.String(length=100), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["sms_messages.id"],
            name=op.f("fk_sms_attempts_message_id_sms_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_attempts")),
    )
    with op.batch_alter_table("sms_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sms_attempts_message_id_number"), ["message_id", "number"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sms_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_attempts_message_id_number"))
    op.drop_table("sms_attempts")

    with op.batch_alter_table("sms_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_messages_provider_message_id"))
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("rounds")
        batch_op.drop_column("finished_at")
        batch_op.drop_column("sent_at")
        batch_op.drop_column("body_sealed")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("account_id")
