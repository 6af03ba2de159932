"""failed updates (dead letters)

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-29 15:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "failed_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("update_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("update_json", sa.Text(), nullable=False),
        sa.Column("error_class", sa.String(length=200), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=False),
        sa.Column("traceback", sa.Text(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retry_requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retried_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('failed', 'retry', 'retrying', 'done')", name=op.f("ck_failed_updates_status_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_failed_updates")),
        sa.UniqueConstraint("update_id", name=op.f("uq_failed_updates_update_id")),
    )
    with op.batch_alter_table("failed_updates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_failed_updates_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("failed_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_failed_updates_status"))
    op.drop_table("failed_updates")
