"""email: proven addresses, emailed links, recovery requests; messages.to holds an address

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 13:30:00.000000

Existing accounts start with an unproven address (``email_verified`` false): they get no mail
until they confirm it from their account page.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _retype_to(old: int, new: int) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        # SQLite changes a column's type by copying the table; dropping the old copy runs the
        # attempts' ON DELETE CASCADE (the pragma can't be turned off inside the migration's
        # transaction), so the attempts are kept aside and put back.
        op.execute("CREATE TEMP TABLE keep_message_attempts AS SELECT * FROM message_attempts")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.alter_column(
            "to",
            existing_type=sa.String(length=old),
            type_=sa.String(length=new),
            existing_nullable=False,
        )
    if sqlite:
        op.execute(
            "INSERT INTO message_attempts SELECT * FROM keep_message_attempts k "
            "WHERE NOT EXISTS (SELECT 1 FROM message_attempts a WHERE a.id = k.id)"
        )
        op.execute("DROP TABLE keep_message_attempts")


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN, never a batch copy: on SQLite, dropping the old copy of
    # ``accounts`` would run every ON DELETE CASCADE that points at it.
    op.add_column(
        "accounts",
        sa.Column("email_verified", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("accounts", sa.Column("email_verified_at", sa.DateTime(timezone=True)))
    op.add_column("accounts", sa.Column("pending_email", sa.String(length=254)))
    _retype_to(20, 254)
    op.create_table(
        "email_links",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("target_id", sa.String(length=40), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_email_links_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_email_links_token_hash")),
    )
    with op.batch_alter_table("email_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_email_links_account_id_purpose"), ["account_id", "purpose"]
        )
        batch_op.create_index(batch_op.f("ix_email_links_target_id"), ["target_id"])
    op.create_table(
        "recoveries",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ready_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=20), nullable=True),
        sa.Column("challenge_id", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_recoveries_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recoveries")),
    )
    with op.batch_alter_table("recoveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recoveries_account_id_status"), ["account_id", "status"]
        )
        batch_op.create_index(batch_op.f("ix_recoveries_challenge_id"), ["challenge_id"])


def downgrade() -> None:
    with op.batch_alter_table("recoveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recoveries_challenge_id"))
        batch_op.drop_index(batch_op.f("ix_recoveries_account_id_status"))
    op.drop_table("recoveries")
    with op.batch_alter_table("email_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_links_target_id"))
        batch_op.drop_index(batch_op.f("ix_email_links_account_id_purpose"))
    op.drop_table("email_links")
    op.execute("DELETE FROM messages WHERE channel = 'email'")
    _retype_to(254, 20)
    # SQLite 3.35+ drops a column in place (no copy, no cascade).
    op.drop_column("accounts", "pending_email")
    op.drop_column("accounts", "email_verified_at")
    op.drop_column("accounts", "email_verified")
