"""Scans, what each saw, and each finding's life.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = 1024


def upgrade() -> None:
    op.create_table(
        "scans",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("as_of", sa.DateTime(), nullable=False),
        sa.Column("generated_at", sa.DateTime(), nullable=False),
        sa.Column("tool_version", sa.String(64), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("providers", sa.JSON(), nullable=False),
        sa.Column("accounts", sa.JSON(), nullable=False),
        sa.Column("identities", sa.Integer(), nullable=False),
        sa.Column("credentials", sa.Integer(), nullable=False),
        sa.Column("standing_secrets", sa.Integer(), nullable=False),
        sa.Column("standing_secret_days", sa.Integer(), nullable=False),
        sa.Column("admin_secrets", sa.Integer(), nullable=False),
        sa.Column("admin_secret_days", sa.Integer(), nullable=False),
    )
    op.create_index("ix_scans_as_of", "scans", ["as_of"])
    op.create_table(
        "scan_identities",
        sa.Column("scan_id", sa.Integer(), sa.ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("identity_id", sa.String(ID), primary_key=True),
        sa.Column("name", sa.String(ID), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("account", sa.String(ID), nullable=False),
    )
    op.create_table(
        "scan_credentials",
        sa.Column("scan_id", sa.Integer(), sa.ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("credential_id", sa.String(ID), primary_key=True),
        sa.Column("identity_id", sa.String(ID), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("standing", sa.Boolean(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=True),
    )
    op.create_table(
        "findings",
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("rule_id", sa.String(128), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("subject", sa.String(ID), nullable=False),
        sa.Column("identity", sa.String(ID), nullable=False),
        sa.Column("identity_name", sa.String(ID), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("account", sa.String(ID), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("first_scan_id", sa.Integer(), nullable=False),
        sa.Column("last_scan_id", sa.Integer(), nullable=False),
        sa.Column("resolved_scan_id", sa.Integer(), nullable=True),
    )
    op.create_index("ix_findings_resolved_at", "findings", ["resolved_at"])
    op.create_table(
        "scan_findings",
        sa.Column("scan_id", sa.Integer(), sa.ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("risk", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("waiver_owner", sa.String(ID), nullable=True),
        sa.Column("waiver_expires", sa.Date(), nullable=True),
    )
    op.create_index("ix_scan_findings_fingerprint", "scan_findings", ["fingerprint"])
    op.create_table(
        "remediations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=False),
    )
    op.create_index("ix_remediations_fingerprint", "remediations", ["fingerprint"])
    op.create_index("ix_remediations_resolved_at", "remediations", ["resolved_at"])


def downgrade() -> None:
    for table in ("remediations", "scan_findings", "findings", "scan_credentials", "scan_identities", "scans"):
        op.drop_table(table)
