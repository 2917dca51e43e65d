"""verify api: API keys, verifications (challenge columns, idempotency keys, number pauses),
token signing keys, and the event webhooks' outbox

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("challenges", schema=None) as batch_op:
        batch_op.add_column(sa.Column("api_key_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("verification_summary", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("details", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("details_sha256", sa.String(length=64), nullable=True))

    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_api_keys_secret_hash")),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("api_key_id", sa.String(length=40), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("verification_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("api_key_id", "key_hash", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(length=40), nullable=False),
        sa.Column("alg", sa.String(length=10), nullable=False),
        sa.Column("private_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("public_jwk", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_signing_keys")),
    )
    op.create_table(
        "number_pauses",
        sa.Column("number_hash", sa.String(length=64), nullable=False),
        sa.Column("code_fail_streak", sa.Integer(), nullable=False),
        sa.Column("code_lockouts", sa.Integer(), nullable=False),
        sa.Column("code_locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("number_hash", name=op.f("pk_number_pauses")),
    )
    op.create_table(
        "webhook_events",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("lane", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_webhook_events")),
        sa.UniqueConstraint("id", name=op.f("uq_webhook_events_id")),
    )
    op.create_index(
        op.f("ix_webhook_events_status_lane_seq"),
        "webhook_events",
        ["status", "lane", "seq"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_webhook_events_status_lane_seq"), table_name="webhook_events")
    op.drop_table("webhook_events")
    op.drop_table("number_pauses")
    op.drop_table("signing_keys")
    op.drop_table("idempotency_keys")
    op.drop_table("api_keys")
    # Verifications cannot live on without their columns.
    op.execute("DELETE FROM challenges WHERE purpose = 'verify'")
    with op.batch_alter_table("challenges", schema=None) as batch_op:
        batch_op.drop_column("details_sha256")
        batch_op.drop_column("details")
        batch_op.drop_column("verification_summary")
        batch_op.drop_column("api_key_id")
