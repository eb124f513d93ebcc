"""Plan progress: how far each finding's just-in-time replacement has got (filled by the planner).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_progress",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("step", sa.String(128), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=True),
    )
    op.create_index("ix_plan_progress_fingerprint", "plan_progress", ["fingerprint"])


def downgrade() -> None:
    op.drop_table("plan_progress")
