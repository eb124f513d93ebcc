"""The history tables, as SQLAlchemy models; the Alembic revisions in ``migrations/`` create them.

Two kinds of table (and ``completed_plans``: the plans each scan found done, by scan). Spells (``identity_spells``, ``credential_spells``, ``finding_spells``)
say what each scan saw, one row per stretch of scans that saw a thing unchanged; they go once
no kept scan falls in them. Lifecycle tables (``findings``, ``remediations``) outlive the
scans: a finding's first-seen date, keyed by its stable fingerprint, survives retention for
as long as the finding is open. A test holds the
migrations and these models to the same schema on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import JSON, Date, DateTime, Integer, String, Text
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
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


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
    findings: Mapped[int]
    standing_secrets: Mapped[int]
    standing_secret_days: Mapped[int]
    admin_secrets: Mapped[int]
    admin_secret_days: Mapped[int]
    # sum over identities of their worst unwaived finding's risk; NULL for scans stored before 0004
    estate_risk: Mapped[int | None]


class _Spell:
    """Seen, unchanged, by every scan from ``from_scan`` up to (not including) ``until_scan``.

    Scan ids rise in commit order and scans are stored in time order, so "what scan S saw"
    is every spell with ``from_scan <= S < until_scan`` (``until_scan`` NULL: still seen).
    A month of daily scans of a large estate writes only what changed each day.
    """

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    from_scan: Mapped[int] = mapped_column(Integer, index=True)
    until_scan: Mapped[int | None] = mapped_column(Integer, index=True)


class IdentitySpell(_Spell, Base):
    __tablename__ = "identity_spells"

    identity_id: Mapped[str] = mapped_column(String(ID))
    name: Mapped[str] = mapped_column(String(ID))
    kind: Mapped[str] = mapped_column(String(32))
    provider: Mapped[str] = mapped_column(String(16))
    account: Mapped[str] = mapped_column(String(ID))


class CredentialSpell(_Spell, Base):
    __tablename__ = "credential_spells"

    credential_id: Mapped[str] = mapped_column(String(ID))
    identity_id: Mapped[str] = mapped_column(String(ID))
    account: Mapped[str] = mapped_column(String(ID))
    kind: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool]
    standing: Mapped[bool]  # a live long-lived secret (standing.core.facts.is_standing_secret)
    created: Mapped[datetime | None] = mapped_column(UtcDateTime)


class FindingSpell(_Spell, Base):
    """A finding's severity and the waiver applied to it, while they stay the same."""

    __tablename__ = "finding_spells"

    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    account: Mapped[str] = mapped_column(String(ID))
    severity: Mapped[str] = mapped_column(String(16))
    waiver_owner: Mapped[str | None] = mapped_column(String(ID))
    waiver_expires: Mapped[date | None] = mapped_column(Date)


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
    message: Mapped[str] = mapped_column(Text)  # as of its last opening
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    # Scan ids, not foreign keys: the scans may be pruned while the finding lives on.
    first_scan_id: Mapped[int]
    resolved_scan_id: Mapped[int | None]


class RemediationRow(Base):
    """One open spell that ended: what mean time to remediate is computed from."""

    __tablename__ = "remediations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    scan_id: Mapped[int]
    # the severity of the spell this resolution closed: mean time to remediate is told per severity
    severity: Mapped[str | None] = mapped_column(String(16))


class CompletedPlanRow(Base):
    """A plan of an earlier scan that this scan found done (``plans.json``'s ``completed``)."""

    __tablename__ = "completed_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scan_id: Mapped[int] = mapped_column(Integer, index=True)
    identity: Mapped[str] = mapped_column(String(ID))
    identity_name: Mapped[str] = mapped_column(String(ID))
    pattern: Mapped[str] = mapped_column(String(64))
    how: Mapped[str] = mapped_column(Text)
