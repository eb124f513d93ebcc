"""The history tables, as SQLAlchemy models; the Alembic revisions in ``migrations/`` create them.

Two kinds of table. Per-scan observations (``scan_identities``, ``scan_credentials``,
``scan_findings``) say what one scan saw; they go when the scan is pruned. Lifecycle tables
(``findings``, ``remediations``) outlive the scans: a finding's first-seen date, keyed by its
stable fingerprint, survives retention for as long as the finding is open. A test holds the
migrations and these models to the same schema on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

ID = 1024  # ARNs, resource names and Azure object paths fit comfortably


class UtcDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC on every backend (SQLite keeps no zone); read back UTC-aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("history timestamps must be timezone-aware")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    pass


class ScanRow(Base):
    __tablename__ = "scans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    as_of: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    generated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    tool_version: Mapped[str] = mapped_column(String(64))
    complete: Mapped[bool]
    providers: Mapped[list[str]] = mapped_column(JSON)
    accounts: Mapped[list[str]] = mapped_column(JSON)
    identities: Mapped[int]
    credentials: Mapped[int]
    standing_secrets: Mapped[int]
    standing_secret_days: Mapped[int]
    admin_secrets: Mapped[int]
    admin_secret_days: Mapped[int]


class ScanIdentityRow(Base):
    __tablename__ = "scan_identities"

    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True)
    identity_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    name: Mapped[str] = mapped_column(String(ID))
    kind: Mapped[str] = mapped_column(String(32))
    provider: Mapped[str] = mapped_column(String(16))
    account: Mapped[str] = mapped_column(String(ID))


class ScanCredentialRow(Base):
    __tablename__ = "scan_credentials"

    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True)
    credential_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    identity_id: Mapped[str] = mapped_column(String(ID))
    kind: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool]
    standing: Mapped[bool]  # a live long-lived secret (standing.rules._shared.is_standing_secret)
    created: Mapped[datetime | None] = mapped_column(UtcDateTime)


class FindingRow(Base):
    """One finding across its life; ``opened_at`` starts the current open spell."""

    __tablename__ = "findings"

    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(String(ID))
    identity: Mapped[str] = mapped_column(String(ID))
    identity_name: Mapped[str] = mapped_column(String(ID))
    provider: Mapped[str] = mapped_column(String(16))
    account: Mapped[str] = mapped_column(String(ID))
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    # Scan ids, not foreign keys: the scans may be pruned while the finding lives on.
    first_scan_id: Mapped[int]
    last_scan_id: Mapped[int]
    resolved_scan_id: Mapped[int | None]


class ScanFindingRow(Base):
    """A finding as one scan saw it, with the waiver that scan applied."""

    __tablename__ = "scan_findings"
    __table_args__ = (Index("ix_scan_findings_fingerprint", "fingerprint"),)

    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    severity: Mapped[str] = mapped_column(String(16))
    risk: Mapped[int | None]
    message: Mapped[str] = mapped_column(Text)
    waiver_owner: Mapped[str | None] = mapped_column(String(ID))
    waiver_expires: Mapped[date | None] = mapped_column(Date)


class RemediationRow(Base):
    """One open spell that ended: what mean time to remediate is computed from."""

    __tablename__ = "remediations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    scan_id: Mapped[int]


class PlanProgressRow(Base):
    """How far a finding's just-in-time replacement plan has got; written by the planner."""

    __tablename__ = "plan_progress"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    step: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    scan_id: Mapped[int | None]
