"""The history store: record a scan in one transaction, then read scans, diffs and lifecycles back.

A finding's life is kept by fingerprint (``sha256(rule, subject, discriminator)``, stable
across scans): first seen, the start of its current open spell, last seen, resolved. Only
the newest scan moves a life forward, and only a complete scan resolves anything: a partial
scan cannot tell "fixed" from "not read". A scan stored out of order (an older ``--as-of``)
adds what it saw and can move first-seen dates earlier, nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, func, insert, literal, select, update

from standing.collectors.command import require_extra
from standing.history.database import make_engine, migrate, write_transaction
from standing.history.records import CredentialState, FindingLife, FindingState, Pruned, ScanDiff, StoredScan
from standing.history.schema import (
    FindingRow,
    RemediationRow,
    ScanCredentialRow,
    ScanFindingRow,
    ScanIdentityRow,
    ScanRow,
)
from standing.history.url import StoreUrl, parse_store_url
from standing.reports.findings_json import FindingsDocument
from standing.rules._shared import is_standing_secret
from standing.scanner.errors import UserError
from standing.scanner.findings import Exposure, Severity
from standing.scanner.model import Inventory

SCANS: Table = ScanRow.__table__  # type: ignore[assignment]
IDENTITIES: Table = ScanIdentityRow.__table__  # type: ignore[assignment]
CREDENTIALS: Table = ScanCredentialRow.__table__  # type: ignore[assignment]
FINDINGS: Table = FindingRow.__table__  # type: ignore[assignment]
SEEN: Table = ScanFindingRow.__table__  # type: ignore[assignment]
REMEDIATIONS: Table = RemediationRow.__table__  # type: ignore[assignment]


class HistoryStore:
    """A SQLite file or a PostgreSQL database holding every recorded scan."""

    def __init__(self, engine: Engine, url: StoreUrl) -> None:
        self.engine = engine
        self.url = url

    @classmethod
    def open(cls, value: str | StoreUrl, *, create: bool = True, revision: str = "head") -> "HistoryStore":
        """Connect and migrate, or raise ``UserError`` naming the store; ``create=False`` for readers."""
        url = value if isinstance(value, StoreUrl) else parse_store_url(value)
        path = url.sqlite_path
        if path is not None and not path.parent.is_dir():
            raise UserError(url.display, f"folder {path.parent} does not exist")
        if path is not None and not create and not path.is_file():
            raise UserError(url.display, "no such history store (record a scan with `standing scan ... --store`)")
        if not url.is_sqlite:
            require_extra(url.display, "history", ("psycopg",))
        engine = make_engine(url)
        try:
            migrate(engine, url, revision)
        except UserError:
            engine.dispose()
            raise
        return cls(engine, url)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "HistoryStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------------

    def record(self, document: FindingsDocument, inventory: Inventory) -> StoredScan:
        """Store one scan, all or nothing."""
        with write_transaction(self.engine) as connection:
            later = connection.execute(
                select(SCANS.c.id, SCANS.c.as_of, SCANS.c.complete)
                .where(SCANS.c.as_of > document.as_of)
                .order_by(SCANS.c.as_of, SCANS.c.id)
                .limit(1)
            ).first()
            scan_id = connection.execute(insert(SCANS).values(**_scan_values(document)).returning(SCANS.c.id)).scalar_one()
            _write_identities(connection, scan_id, inventory)
            _write_credentials(connection, scan_id, inventory)
            _write_findings(connection, scan_id, document)
            _update_lives(connection, scan_id, document, later)
        return self.scan(scan_id)

    def prune(self, *, before: datetime) -> Pruned:
        """Drop scans measured before ``before`` (never the newest), and the resolved findings
        and remediation times that ended before it. Open findings keep their first-seen date."""
        with write_transaction(self.engine) as connection:
            newest = connection.execute(select(func.max(SCANS.c.id)).where(
                SCANS.c.as_of == select(func.max(SCANS.c.as_of)).scalar_subquery())).scalar()
            doomed = list(connection.scalars(select(SCANS.c.id).where(SCANS.c.as_of < before, SCANS.c.id != newest)))
            for table in (SEEN, CREDENTIALS, IDENTITIES):
                connection.execute(delete(table).where(table.c.scan_id.in_(doomed)))
            connection.execute(delete(SCANS).where(SCANS.c.id.in_(doomed)))
            forgotten = connection.execute(
                delete(FINDINGS).where(
                    FINDINGS.c.resolved_at.is_not(None),
                    FINDINGS.c.resolved_at < before,
                    FINDINGS.c.fingerprint.not_in(select(SEEN.c.fingerprint)),
                )
            ).rowcount
            connection.execute(delete(REMEDIATIONS).where(REMEDIATIONS.c.resolved_at < before))
            still_open = connection.execute(
                select(func.count()).select_from(FINDINGS).where(FINDINGS.c.resolved_at.is_(None))
            ).scalar_one()
        return Pruned(scans=len(doomed), findings_forgotten=forgotten, open_findings_kept=still_open)

    # -- reading ---------------------------------------------------------------------------

    def scans(self) -> list[StoredScan]:
        """Every stored scan, oldest first (by the time it was measured as of)."""
        return self._scans()

    def scan(self, scan_id: int) -> StoredScan:
        found = self._scans(scan_id)
        if not found:
            raise UserError(self.url.display, f"no scan {scan_id} (see `standing history list`)")
        return found[0]

    def previous(self, scan: StoredScan) -> StoredScan | None:
        """The scan just before ``scan`` in time, if any."""
        earlier = [s for s in self._scans() if (s.as_of, s.id) < (scan.as_of, scan.id)]
        return earlier[-1] if earlier else None

    def findings_of(self, scan_id: int) -> dict[str, FindingState]:
        query = (
            select(SEEN, FINDINGS.c.rule_id, FINDINGS.c.subject, FINDINGS.c.identity_name,
                   FINDINGS.c.account, FINDINGS.c.first_seen, FINDINGS.c.opened_at)
            .join(FINDINGS, FINDINGS.c.fingerprint == SEEN.c.fingerprint)
            .where(SEEN.c.scan_id == scan_id)
        )
        return {
            row.fingerprint: FindingState(
                fingerprint=row.fingerprint, rule_id=row.rule_id, severity=Severity(row.severity),
                subject=row.subject, identity_name=row.identity_name, account=row.account,
                message=row.message, first_seen=row.first_seen, opened_at=row.opened_at,
                waived=row.waiver_owner is not None,
            )
            for row in self._rows(query)
        }

    def lives(self) -> dict[str, FindingLife]:
        """Every finding the store remembers, by fingerprint."""
        return {
            row.fingerprint: FindingLife(row.fingerprint, row.rule_id, row.subject, row.first_seen, row.opened_at,
                                         row.last_seen, row.resolved_at)
            for row in self._rows(select(FINDINGS))
        }

    def credentials_of(self, scan_id: int) -> dict[str, CredentialState]:
        query = select(CREDENTIALS).where(CREDENTIALS.c.scan_id == scan_id)
        return {
            row.credential_id: CredentialState(row.credential_id, row.identity_id, row.kind, row.standing)
            for row in self._rows(query)
        }

    def diff(self, before_id: int, after_id: int) -> ScanDiff:
        before, after = self.scan(before_id), self.scan(after_id)
        old, new = self.findings_of(before_id), self.findings_of(after_id)
        old_creds, new_creds = self.credentials_of(before_id), self.credentials_of(after_id)
        return ScanDiff(
            before=before,
            after=after,
            new=_worst_first(new[f] for f in new.keys() - old.keys()),
            resolved=_worst_first(old[f] for f in old.keys() - new.keys()),
            persisting=_worst_first(new[f] for f in new.keys() & old.keys()),
            created=tuple(sorted((new_creds[c] for c in new_creds.keys() - old_creds.keys()),
                                 key=lambda c: c.credential_id)),
            removed=tuple(sorted((old_creds[c] for c in old_creds.keys() - new_creds.keys()),
                                 key=lambda c: c.credential_id)),
        )

    def _rows(self, query: Any) -> list[Any]:
        with self.engine.connect() as connection:
            return list(connection.execute(query))

    def _scans(self, scan_id: int | None = None) -> list[StoredScan]:
        counts = select(SEEN.c.scan_id, func.count().label("n")).group_by(SEEN.c.scan_id).subquery()
        query = (
            select(SCANS, func.coalesce(counts.c.n, 0).label("n_findings"))
            .outerjoin(counts, counts.c.scan_id == SCANS.c.id)
            .order_by(SCANS.c.as_of, SCANS.c.id)
        )
        if scan_id is not None:
            query = query.where(SCANS.c.id == scan_id)
        return [
            StoredScan(
                id=row.id, as_of=row.as_of, generated_at=row.generated_at, tool_version=row.tool_version,
                complete=row.complete, providers=tuple(row.providers), accounts=tuple(row.accounts),
                identities=row.identities, credentials=row.credentials, findings=row.n_findings,
                exposure=Exposure(standing_secrets=row.standing_secrets,
                                  standing_secret_days=row.standing_secret_days,
                                  admin_secrets=row.admin_secrets, admin_secret_days=row.admin_secret_days),
            )
            for row in self._rows(query)
        ]


def _worst_first(states: Iterable[FindingState]) -> tuple[FindingState, ...]:
    return tuple(sorted(states, key=lambda s: (-s.severity.rank, s.rule_id, s.subject, s.fingerprint)))


def _scan_values(document: FindingsDocument) -> dict[str, Any]:
    exposure = document.exposure
    return {
        "as_of": document.as_of,
        "generated_at": document.generated_at,
        "tool_version": document.tool_version,
        "complete": document.scan.complete,
        "providers": [p.value for p in document.scan.providers],
        "accounts": list(document.scan.accounts),
        "identities": document.scan.identities,
        "credentials": document.scan.credentials,
        "standing_secrets": exposure.standing_secrets,
        "standing_secret_days": exposure.standing_secret_days,
        "admin_secrets": exposure.admin_secrets,
        "admin_secret_days": exposure.admin_secret_days,
    }


def _insert_all(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        connection.execute(insert(table), rows)


def _write_identities(connection: Connection, scan_id: int, inventory: Inventory) -> None:
    _insert_all(connection, IDENTITIES, [
        {"scan_id": scan_id, "identity_id": i.id, "name": i.name, "kind": i.kind.value,
         "provider": i.provider.value, "account": i.account}
        for i in {i.id: i for i in inventory.identities}.values()
    ])


def _write_credentials(connection: Connection, scan_id: int, inventory: Inventory) -> None:
    _insert_all(connection, CREDENTIALS, [
        {"scan_id": scan_id, "credential_id": c.id, "identity_id": c.identity_id, "kind": c.kind.value,
         "active": c.active, "standing": is_standing_secret(c), "created": c.created}
        for c in {c.id: c for c in inventory.credentials}.values()
    ])


def _write_findings(connection: Connection, scan_id: int, document: FindingsDocument) -> None:
    _insert_all(connection, SEEN, [
        {"scan_id": scan_id, "fingerprint": f.fingerprint, "severity": f.severity.value, "risk": f.risk,
         "message": f.message, "waiver_owner": f.waiver.owner if f.waiver else None,
         "waiver_expires": f.waiver.expires if f.waiver else None}
        for f in {f.fingerprint: f for f in document.findings}.values()
    ])


def _update_lives(connection: Connection, scan_id: int, document: FindingsDocument, later: Any) -> None:
    """Move each finding's life on by this scan (see the module docstring for the rules)."""
    as_of = document.as_of
    seen = select(SEEN.c.fingerprint).where(SEEN.c.scan_id == scan_id)
    unknown = set(connection.scalars(seen.where(SEEN.c.fingerprint.not_in(select(FINDINGS.c.fingerprint)))))
    if later is None:
        connection.execute(
            update(FINDINGS)
            .where(FINDINGS.c.resolved_at.is_not(None), FINDINGS.c.fingerprint.in_(seen))
            .values(opened_at=as_of, resolved_at=None, resolved_scan_id=None)
        )
        connection.execute(
            update(FINDINGS).where(FINDINGS.c.fingerprint.in_(seen)).values(last_seen=as_of, last_scan_id=scan_id)
        )
        if document.scan.complete:
            gone = (FINDINGS.c.resolved_at.is_(None), FINDINGS.c.fingerprint.not_in(seen))
            connection.execute(insert(REMEDIATIONS).from_select(
                ["fingerprint", "opened_at", "resolved_at", "scan_id"],
                select(FINDINGS.c.fingerprint, FINDINGS.c.opened_at,
                       literal(as_of, REMEDIATIONS.c.resolved_at.type), literal(scan_id, REMEDIATIONS.c.scan_id.type))
                .where(*gone),
            ))
            connection.execute(update(FINDINGS).where(*gone).values(resolved_at=as_of, resolved_scan_id=scan_id))
    else:
        connection.execute(
            update(FINDINGS)
            .where(FINDINGS.c.fingerprint.in_(seen), FINDINGS.c.first_seen > as_of)
            .values(first_seen=as_of, first_scan_id=scan_id)
        )
    # A finding first met in a back-filled scan was gone by the next (complete) scan.
    resolved_by = later if later is not None and later.complete else None
    new = [f for f in {f.fingerprint: f for f in document.findings}.values() if f.fingerprint in unknown]
    _insert_all(connection, FINDINGS, [
        {"fingerprint": f.fingerprint, "rule_id": f.rule_id, "title": f.title, "subject": f.subject,
         "identity": f.identity, "identity_name": f.identity_name, "provider": f.provider.value,
         "account": f.account, "first_seen": as_of, "opened_at": as_of, "last_seen": as_of,
         "resolved_at": resolved_by.as_of if resolved_by else None, "first_scan_id": scan_id,
         "last_scan_id": scan_id, "resolved_scan_id": resolved_by.id if resolved_by else None}
        for f in new
    ])
    if resolved_by is not None:
        _insert_all(connection, REMEDIATIONS, [
            {"fingerprint": f.fingerprint, "opened_at": as_of, "resolved_at": resolved_by.as_of,
             "scan_id": resolved_by.id}
            for f in new
        ])

