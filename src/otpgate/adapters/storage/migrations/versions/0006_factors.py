"""factors: authenticator apps, passkeys and backup codes beside SMS, and WebAuthn ceremonies

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 10:00:00.000000

New tables only: nothing existing changes, so the upgrade is safe with traffic running.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "factors",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("secret_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.Column("credential_id", sa.String(length=1400), nullable=True),
        sa.Column("public_key", sa.LargeBinary(), nullable=True),
        sa.Column("sign_count", sa.BigInteger(), nullable=True),
        sa.Column("user_handle", sa.String(length=100), nullable=True),
        sa.Column("transports", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_factors_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_factors")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_factors_credential_id")),
    )
    with op.batch_alter_table("factors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_factors_account_id_kind"), ["account_id", "kind"], unique=False
        )

    op.create_table(
        "backup_codes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("factor_id", sa.String(length=40), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["factor_id"],
            ["factors.id"],
            name=op.f("fk_backup_codes_factor_id_factors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backup_codes")),
    )
    with op.batch_alter_table("backup_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_backup_codes_factor_id_digest"), ["factor_id", "digest"], unique=False
        )

    op.create_table(
        "passkey_ceremonies",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("target_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_passkey_ceremonies_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_passkey_ceremonies")),
    )
    with op.batch_alter_table("passkey_ceremonies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_passkey_ceremonies_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("passkey_ceremonies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_passkey_ceremonies_expires_at"))
    op.drop_table("passkey_ceremonies")
    with op.batch_alter_table("backup_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_backup_codes_factor_id_digest"))
    op.drop_table("backup_codes")
    with op.batch_alter_table("factors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_factors_account_id_kind"))
    op.drop_table("factors")
