"""Scans, what each saw (as spells), and each finding's life.

Revision ID: 0001
Revises:
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = 1024


def _spell_table(name: str, *columns: sa.Column[Any]) -> None:
    op.create_table(
        name,
        *columns,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("from_scan", sa.Integer(), nullable=False),
        sa.Column("until_scan", sa.Integer(), nullable=True),
    )
    op.create_index(f"ix_{name}_from_scan", name, ["from_scan"])
    op.create_index(f"ix_{name}_until_scan", name, ["until_scan"])


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
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("standing_secrets", sa.Integer(), nullable=False),
        sa.Column("standing_secret_days", sa.Integer(), nullable=False),
        sa.Column("admin_secrets", sa.Integer(), nullable=False),
        sa.Column("admin_secret_days", sa.Integer(), nullable=False),
    )
    op.create_index("ix_scans_as_of", "scans", ["as_of"])
    _spell_table(
        "identity_spells",
        sa.Column("identity_id", sa.String(ID), nullable=False),
        sa.Column("name", sa.String(ID), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("account", sa.String(ID), nullable=False),
    )
    _spell_table(
        "credential_spells",
        sa.Column("credential_id", sa.String(ID), nullable=False),
        sa.Column("identity_id", sa.String(ID), nullable=False),
        sa.Column("account", sa.String(ID), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("standing", sa.Boolean(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=True),
    )
    _spell_table(
        "finding_spells",
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("account", sa.String(ID), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("waiver_owner", sa.String(ID), nullable=True),
        sa.Column("waiver_expires", sa.Date(), nullable=True),
    )
    op.create_index("ix_finding_spells_fingerprint", "finding_spells", ["fingerprint"])
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
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("first_scan_id", sa.Integer(), nullable=False),
        sa.Column("resolved_scan_id", sa.Integer(), nullable=True),
    )
    op.create_index("ix_findings_resolved_at", "findings", ["resolved_at"])
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
    for table in ("remediations", "findings", "finding_spells", "credential_spells", "identity_spells", "scans"):
        op.drop_table(table)
