"""Drop plan progress: nothing ever wrote or read it (a plan's progress is read from the inventory).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_plan_progress_fingerprint", table_name="plan_progress")
    op.drop_table("plan_progress")


def downgrade() -> None:
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
