"""Culling and develop: groups, group members, presets; context, blend and reject reason on photos.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "presets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("unsupported", sa.JSON(), nullable=True),
        sa.Column("usage_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", "version", name="uq_presets_name_version"),
    )
    op.create_table(
        "groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("cover_photo_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cover_photo_id"], ["photos.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_groups_session_id", "groups", ["session_id"], unique=False)
    op.create_table(
        "group_members",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["photo_id"], ["photos.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("group_id", "photo_id"),
    )
    with op.batch_alter_table("photos") as photos:
        photos.add_column(sa.Column("context_scores", sa.JSON(), nullable=True))
        photos.add_column(sa.Column("preset_blend", sa.Float(), nullable=True))
        photos.add_column(sa.Column("reject_reason", sa.Text(), nullable=True))
        photos.add_column(sa.Column("applied_preset", sa.String(length=128), nullable=True))
        photos.add_column(sa.Column("applied_version", sa.Integer(), nullable=True))
        photos.add_column(sa.Column("applied_blend", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("photos") as photos:
        photos.drop_column("applied_blend")
        photos.drop_column("applied_version")
        photos.drop_column("applied_preset")
        photos.drop_column("reject_reason")
        photos.drop_column("preset_blend")
        photos.drop_column("context_scores")
    op.drop_table("group_members")
    op.drop_index("ix_groups_session_id", table_name="groups")
    op.drop_table("groups")
    op.drop_table("presets")
