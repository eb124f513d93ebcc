"""What the risk report reads from the store: each scan's estate risk, the severity of each
remediation, and the plans each scan found completed.

Revision ID: 0004
Revises: 0003

Scans and remediations recorded before this revision keep NULL: the risk was never stored
(the report shows "not recorded"); a remediation's severity is filled from the finding spell
its scan closed, where retention kept it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("estate_risk", sa.Integer(), nullable=True))
    with op.batch_alter_table("remediations") as batch:
        batch.add_column(sa.Column("severity", sa.String(16), nullable=True))
    op.execute(
        "UPDATE remediations SET severity = (SELECT s.severity FROM finding_spells s "
        "WHERE s.fingerprint = remediations.fingerprint AND s.until_scan = remediations.scan_id "
        "ORDER BY s.id DESC LIMIT 1)"
    )
    op.create_table(
        "completed_plans",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("scan_id", sa.Integer(), nullable=False),
        sa.Column("identity", sa.String(1024), nullable=False),
        sa.Column("identity_name", sa.String(1024), nullable=False),
        sa.Column("pattern", sa.String(64), nullable=False),
        sa.Column("how", sa.Text(), nullable=False),
    )
    op.create_index("ix_completed_plans_scan_id", "completed_plans", ["scan_id"])


def downgrade() -> None:
    op.drop_index("ix_completed_plans_scan_id", table_name="completed_plans")
    op.drop_table("completed_plans")
    with op.batch_alter_table("remediations") as batch:
        batch.drop_column("severity")
    with op.batch_alter_table("scans") as batch:
        batch.drop_column("estate_risk")
