"""channels: the outbox carries every channel (sms_messages -> messages, with a channel column),
and a challenge names its subject (account, decoy, takeover) instead of leaving it to nulls

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:00:00.000000

The outbox tables are created anew and filled from the old ones (then dropped) rather than
renamed: that gives every constraint and index its new name on SQLite and PostgreSQL alike.
Rows in flight keep their ids, so a procrastinate job that names a message still finds it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

MESSAGE_COLUMNS = (
    'id, challenge_id, "to", body_redacted, purpose, status, provider, provider_message_id, '
    "attempts, error, created_at, updated_at, account_id, expires_at, body_sealed, sent_at, "
    "finished_at, rounds, next_attempt_at"
)
ATTEMPT_COLUMNS = (
    "id, message_id, number, provider, outcome, error, provider_message_id, started_at, finished_at"
)


def _outbox_tables(messages: str, attempts: str) -> None:
    op.create_table(
        messages,
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=10), server_default="sms", nullable=False),
        sa.Column("challenge_id", sa.String(length=40), nullable=True),
        sa.Column("to", sa.String(length=20), nullable=False),
        sa.Column("body_redacted", sa.Text(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=True),
        sa.Column("provider_message_id", sa.String(length=100), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("body_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rounds", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["challenges.id"],
            name=op.f(f"fk_{messages}_challenge_id_challenges"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{messages}")),
    )
    for column in ("challenge_id", "status", "provider_message_id"):
        op.create_index(op.f(f"ix_{messages}_{column}"), messages, [column], unique=False)
    op.create_table(
        attempts,
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
            [f"{messages}.id"],
            name=op.f(f"fk_{attempts}_message_id_{messages}"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{attempts}")),
    )
    op.create_index(
        op.f(f"ix_{attempts}_message_id_number"), attempts, ["message_id", "number"], unique=False
    )


def _move(old_messages: str, old_attempts: str, new_messages: str, new_attempts: str) -> None:
    # Table names are this module's own constants, never input.
    op.execute(
        f"INSERT INTO {new_messages} ({MESSAGE_COLUMNS}) "
        f"SELECT {MESSAGE_COLUMNS} FROM {old_messages}"
    )
    op.execute(
        f"INSERT INTO {new_attempts} ({ATTEMPT_COLUMNS}) "
        f"SELECT {ATTEMPT_COLUMNS} FROM {old_attempts}"
    )
    if op.get_bind().dialect.name == "postgresql":
        # Copied ids keep their values: the new sequence must continue after them.
        op.execute(
            f"SELECT setval(pg_get_serial_sequence('{new_attempts}', 'id'), "
            f"COALESCE((SELECT max(id) FROM {new_attempts}), 0) + 1, false)"
        )
    op.drop_table(old_attempts)
    op.drop_table(old_messages)


def upgrade() -> None:
    with op.batch_alter_table("challenges", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("subject", sa.String(length=10), server_default="account", nullable=False)
        )
    # What used to be told apart by nulls gets its name; a takeover's data stays in the payload.
    op.execute(
        "UPDATE challenges SET subject = CASE "
        "WHEN action_type = 'replace_unconfirmed' THEN 'takeover' "
        "WHEN account_id IS NULL THEN 'decoy' ELSE 'account' END"
    )
    op.execute("UPDATE challenges SET action_type = NULL WHERE subject = 'takeover'")
    _outbox_tables("messages", "message_attempts")
    _move("sms_messages", "sms_attempts", "messages", "message_attempts")


def downgrade() -> None:
    op.execute("DELETE FROM messages WHERE channel <> 'sms'")
    _outbox_tables("sms_messages", "sms_attempts")
    with op.batch_alter_table("sms_messages", schema=None) as batch_op:
        batch_op.drop_column("channel")
    _move("messages", "message_attempts", "sms_messages", "sms_attempts")
    op.execute(
        "UPDATE challenges SET action_type = 'replace_unconfirmed' WHERE subject = 'takeover'"
    )
    with op.batch_alter_table("challenges", schema=None) as batch_op:
        batch_op.drop_column("subject")
