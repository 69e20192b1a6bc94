"""System metrics (one row per minute of host and queue figures), and the job indexes that job
control's queries use (pending follow-ups per session, the failed view, retention).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "system_metrics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cpu_percent", sa.Float(), nullable=False),
        sa.Column("load_avg", sa.Float(), nullable=False),
        sa.Column("memory_percent", sa.Float(), nullable=False),
        sa.Column("memory_used", sa.BigInteger(), nullable=False),
        sa.Column("disk_used_percent", sa.Float(), nullable=False),
        sa.Column("disk_free", sa.BigInteger(), nullable=False),
        sa.Column("queue_depths", sa.JSON(), nullable=False),
        sa.Column("gpus", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_system_metrics_recorded_at", "system_metrics", ["recorded_at"], unique=False
    )
    op.create_index("ix_jobs_session_status", "jobs", ["session_id", "status"], unique=False)
    op.create_index("ix_jobs_retry_of", "jobs", ["retry_of"], unique=True)
    op.create_index("ix_jobs_finished_at", "jobs", ["finished_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_jobs_finished_at", table_name="jobs")
    op.drop_index("ix_jobs_retry_of", table_name="jobs")
    op.drop_index("ix_jobs_session_status", table_name="jobs")
    op.drop_index("ix_system_metrics_recorded_at", table_name="system_metrics")
    op.drop_table("system_metrics")
