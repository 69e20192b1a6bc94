"""Worker heartbeats and the dead-job webhook outbox.

``workers`` holds one row per worker node name: its process, the queues it consumes, its last
heartbeat and the jobs it held then, so that the jobs of a worker that vanished are found and
re-published (DESIGN.md invariant 7). ``jobs.notified_at`` marks a dead job's webhook as taken,
so the worker's main process sends each one once, outside the pool processes.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workers",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("queues", sa.JSON(), nullable=False),
        sa.Column("active", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True))
    # Jobs that died before this version were notified (or not) the old way; never again.
    op.execute("UPDATE jobs SET notified_at = finished_at WHERE status = 'dead'")


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("notified_at")
    op.drop_table("workers")
