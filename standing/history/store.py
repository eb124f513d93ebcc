"""The history store: record a scan in one transaction, then read scans, diffs and lifecycles back.

What each scan saw is kept as spells (see ``schema._Spell``): recording a scan compares it
with the open spells and writes only what changed. Scans are recorded in time order (a scan
older than the newest stored one is refused), which is what lets a scan id stand for a point
in time.

A finding's life is kept by fingerprint (``sha256(rule, subject, discriminator)``, stable
across scans): first seen, the start of its current open spell, resolved. Only a complete
scan closes anything, and only in the accounts it covered: a partial scan cannot tell "fixed"
from "not read", and a scan of one account says nothing about another recorded in the same store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Date,
    Engine,
    String,
    Table,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from standing.core.errors import UserError
from standing.core.extras import require_extra
from standing.core.facts import is_standing_secret
from standing.core.findings import Exposure, Severity
from standing.core.findings_json import FindingsDocument
from standing.core.gc_pause import paused_gc
from standing.core.model import Inventory
from standing.history.database import make_engine, migrate, write_transaction
from standing.history.records import (
    CredentialState,
    FindingLife,
    FindingState,
    Pruned,
    Remediation,
    ScanDiff,
    Scope,
    StoredCompletedPlan,
    StoredScan,
)
from standing.history.schema import (
    CompletedPlanRow,
    CredentialSpell,
    FindingRow,
    FindingSpell,
    IdentitySpell,
    RemediationRow,
    ScanRow,
)
from standing.history.tally import estate_risk
from standing.history.url import StoreUrl, parse_store_url
from standing.planner.model import CompletedPlan

SCANS: Table = ScanRow.__table__  # type: ignore[assignment]
IDENTITIES: Table = IdentitySpell.__table__  # type: ignore[assignment]
CREDENTIALS: Table = CredentialSpell.__table__  # type: ignore[assignment]
SEEN: Table = FindingSpell.__table__  # type: ignore[assignment]
FINDINGS: Table = FindingRow.__table__  # type: ignore[assignment]
REMEDIATIONS: Table = RemediationRow.__table__  # type: ignore[assignment]
COMPLETED_PLANS: Table = CompletedPlanRow.__table__  # type: ignore[assignment]
SPELLS = (IDENTITIES, CREDENTIALS, SEEN)
_CHUNK = 5000  # ids per IN list, well under SQLite's limit on bound parameters


@dataclass(frozen=True)
class Changes:
    """What one scan did to one kind of spell: keys that opened a spell, keys no longer seen."""

    opened: list[str]
    vanished: list[str]


def covering(table: Table, scan_id: Any) -> Any:
    """The spells of ``table`` that scan ``scan_id`` saw."""
    return (table.c.from_scan <= scan_id) & or_(table.c.until_scan.is_(None), table.c.until_scan > scan_id)


class HistoryStore:
    """A SQLite file or a PostgreSQL database holding every recorded scan."""

    def __init__(self, engine: Engine, url: StoreUrl) -> None:
        self.engine = engine
        self.url = url

    @classmethod
    def open(cls, value: str | StoreUrl, *, create: bool = True, revision: str = "head") -> HistoryStore:
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

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------------

    def record(
        self, document: FindingsDocument, inventory: Inventory, completed: Sequence[CompletedPlan] = ()
    ) -> StoredScan:
        """Store one scan, all or nothing; ``completed``: the plans of an earlier scan it found done."""
        # Recording allocates many short-lived, acyclic rows; in a scan process that still holds a
        # large inventory and graph, they would set off full cyclic collections over that whole
        # heap (measured: 0.35 s a scan becomes 2.7 s). Reference counting frees them all the same.
        with paused_gc(), write_transaction(self.engine) as connection:
            self._check_time_order(connection.execute(select(func.max(SCANS.c.as_of))).scalar(), document.as_of)
            scan_id = connection.execute(
                insert(SCANS).values(**_scan_values(document)).returning(SCANS.c.id)
            ).scalar_one()
            scope = {i.account for i in inventory.identities} | set(document.scan.accounts)
            _write_identities(connection, scan_id, inventory, scope, document.scan.complete)
            _write_credentials(connection, scan_id, inventory, scope, document.scan.complete)
            changes = _write_findings(connection, scan_id, document, scope)
            _update_lives(connection, scan_id, document, changes)
            _insert_all(
                connection,
                COMPLETED_PLANS,
                [
                    {
                        "scan_id": scan_id,
                        "identity": p.identity,
                        "identity_name": p.identity_name,
                        "pattern": p.pattern.value,
                        "how": p.how,
                    }
                    for p in completed
                ],
            )
        return self.scan(scan_id)

    def check_time_order(self, as_of: datetime) -> None:
        """Refuse, before any work, a scan as of ``as_of`` that ``record`` would refuse: one
        older than the newest stored scan (a scan's ``record`` checks again, under its lock)."""
        with self.engine.connect() as connection:
            self._check_time_order(connection.execute(select(func.max(SCANS.c.as_of))).scalar(), as_of)

    def _check_time_order(self, newest: datetime | None, as_of: datetime) -> None:
        if newest is not None and as_of < newest:
            raise UserError(
                self.url.display,
                (
                    f"already holds a scan as of {newest:%Y-%m-%d %H:%M} UTC, later than this one "
                    f"({as_of:%Y-%m-%d %H:%M} UTC); scans are recorded in time order"
                ),
            )

    def prune(self, *, before: datetime) -> Pruned:
        """Drop scans measured before ``before`` (never the newest), the spells no kept scan falls
        in, and resolved findings and remediation times that ended before it. Open findings keep
        their first-seen date."""
        with write_transaction(self.engine) as connection:
            ids = list(connection.execute(select(SCANS.c.id, SCANS.c.as_of).order_by(SCANS.c.as_of, SCANS.c.id)))
            doomed = [row.id for row in ids[:-1] if row.as_of < before]
            connection.execute(delete(SCANS).where(SCANS.c.id.in_(doomed)))
            connection.execute(delete(COMPLETED_PLANS).where(COMPLETED_PLANS.c.scan_id.in_(doomed)))
            first_kept = connection.execute(select(func.min(SCANS.c.id))).scalar()
            if first_kept is not None:
                for table in SPELLS:
                    connection.execute(delete(table).where(table.c.until_scan <= first_kept))
            forgotten = connection.execute(
                delete(FINDINGS).where(
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
        """Every stored scan, oldest first."""
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

    def last_complete(self, scope: Scope, *, before: datetime) -> StoredScan | None:
        """The newest complete scan of exactly ``scope`` measured before ``before``: the gate's
        baseline. Strictly before, so gating the very scan a store just recorded compares it with
        the one before it, not with itself."""
        found = [s for s in self._scans() if s.complete and s.scope == scope and s.as_of < before]
        return found[-1] if found else None

    def open_counts(self) -> dict[int, list[tuple[str, bool, int]]]:
        """Per scan, its findings counted by (severity, waived), as ``tally.tally`` reads them."""
        waived = SEEN.c.waiver_owner.is_not(None)
        query = (
            select(SCANS.c.id, SEEN.c.severity, waived, func.count())
            .select_from(SCANS.join(SEEN, covering(SEEN, SCANS.c.id)))
            .group_by(SCANS.c.id, SEEN.c.severity, waived)
        )
        counts: dict[int, list[tuple[str, bool, int]]] = {}
        for scan_id, severity, is_waived, n in self._rows(query):
            counts.setdefault(scan_id, []).append((severity, bool(is_waived), n))
        return counts

    def remediations(self) -> list[Remediation]:
        """Every resolution the store keeps (retention forgets older ones), oldest first."""
        query = (
            select(REMEDIATIONS, FINDINGS.c.account)
            .join(FINDINGS, FINDINGS.c.fingerprint == REMEDIATIONS.c.fingerprint)
            .order_by(REMEDIATIONS.c.resolved_at, REMEDIATIONS.c.id)
        )
        return [
            Remediation(
                fingerprint=row.fingerprint,
                severity=Severity(row.severity) if row.severity else None,
                account=row.account,
                opened_at=row.opened_at,
                resolved_at=row.resolved_at,
                scan_id=row.scan_id,
            )
            for row in self._rows(query)
        ]

    def completed_plans(self) -> list[StoredCompletedPlan]:
        """The plans each stored scan found done, by scan."""
        query = select(COMPLETED_PLANS).order_by(COMPLETED_PLANS.c.scan_id, COMPLETED_PLANS.c.id)
        return [
            StoredCompletedPlan(row.scan_id, row.identity, row.identity_name, row.pattern, row.how)
            for row in self._rows(query)
        ]

    def findings_of(self, scan_id: int) -> dict[str, FindingState]:
        query = (
            select(SEEN.c.severity, SEEN.c.waiver_owner, FINDINGS)
            .join(FINDINGS, FINDINGS.c.fingerprint == SEEN.c.fingerprint)
            .where(covering(SEEN, scan_id))
        )
        return {
            row.fingerprint: FindingState(
                fingerprint=row.fingerprint,
                rule_id=row.rule_id,
                severity=Severity(row.severity),
                subject=row.subject,
                identity_name=row.identity_name,
                account=row.account,
                message=row.message,
                first_seen=row.first_seen,
                opened_at=row.opened_at,
                waived=row.waiver_owner is not None,
                title=row.title,
            )
            for row in self._rows(query)
        }

    def credentials_of(self, scan_id: int) -> dict[str, CredentialState]:
        query = select(CREDENTIALS).where(covering(CREDENTIALS, scan_id))
        return {
            row.credential_id: CredentialState(row.credential_id, row.identity_id, row.kind, row.standing)
            for row in self._rows(query)
        }

    def lives(self) -> dict[str, FindingLife]:
        """Every finding the store remembers, by fingerprint."""
        return {
            row.fingerprint: FindingLife(
                row.fingerprint, row.rule_id, row.subject, row.first_seen, row.opened_at, row.resolved_at
            )
            for row in self._rows(select(FINDINGS))
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
            created=tuple(
                sorted((new_creds[c] for c in new_creds.keys() - old_creds.keys()), key=lambda c: c.credential_id)
            ),
            removed=tuple(
                sorted((old_creds[c] for c in old_creds.keys() - new_creds.keys()), key=lambda c: c.credential_id)
            ),
        )

    def _rows(self, query: Any) -> Sequence[Any]:
        with self.engine.connect() as connection:
            return connection.execute(query).all()

    def _scans(self, scan_id: int | None = None) -> list[StoredScan]:
        query = select(SCANS).order_by(SCANS.c.as_of, SCANS.c.id)
        if scan_id is not None:
            query = query.where(SCANS.c.id == scan_id)
        return [
            StoredScan(
                id=row.id,
                as_of=row.as_of,
                generated_at=row.generated_at,
                tool_version=row.tool_version,
                complete=row.complete,
                providers=tuple(row.providers),
                accounts=tuple(row.accounts),
                identities=row.identities,
                credentials=row.credentials,
                findings=row.findings,
                exposure=Exposure(
                    standing_secrets=row.standing_secrets,
                    standing_secret_days=row.standing_secret_days,
                    admin_secrets=row.admin_secrets,
                    admin_secret_days=row.admin_secret_days,
                ),
                estate_risk=row.estate_risk,
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
        "findings": len(document.findings),
        "standing_secrets": exposure.standing_secrets,
        "standing_secret_days": exposure.standing_secret_days,
        "admin_secrets": exposure.admin_secrets,
        "admin_secret_days": exposure.admin_secret_days,
        "estate_risk": estate_risk(document.findings),
    }


def _insert_all(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        connection.execute(insert(table), rows)


def _write_spells(
    connection: Connection,
    table: Table,
    key: str,
    scan_id: int,
    seen: dict[str, Any],
    changing: tuple[str, ...],
    state: Callable[[Any], tuple[Any, ...]],
    row: Callable[[Any], dict[str, Any]],
    *,
    scope: set[str],
    close_unseen: bool,
) -> Changes:
    """Close the open spells this scan contradicts, open one for each thing new or changed.

    Only the ``changing`` columns (``state`` of a record) are compared: the rest (an id's kind,
    a key's owner and creation date) cannot change without the id changing too. ``row`` builds the
    columns of a new spell, only for what is new or changed.
    """
    closing, unchanged, unseen = [], set(), {}
    # Dates come back as ISO text from every driver, as ``state`` spells them.
    columns = [cast(table.c[c], String) if isinstance(table.c[c].type, Date) else table.c[c] for c in changing]
    query = select(table.c.id, table.c[key], *columns).where(table.c.until_scan.is_(None))
    for found in _raw_rows(connection, query):
        record = seen.get(found[1])
        if record is None:
            unseen[found[0]] = found[1]
        elif state(record) == found[2:]:  # booleans read as 0/1 still compare equal
            unchanged.add(found[1])
        else:
            closing.append({"spell": found[0]})
    vanished = []
    spell_ids = list(unseen) if close_unseen else []
    for start in range(0, len(spell_ids), _CHUNK):  # few: only now is each one's account needed
        query = select(table.c.id, table.c.account).where(table.c.id.in_(spell_ids[start : start + _CHUNK]))
        for spell_id, account in connection.execute(query).all():
            if account in scope:
                closing.append({"spell": spell_id})
                vanished.append(unseen[spell_id])
    if closing:
        connection.execute(update(table).where(table.c.id == bindparam("spell")).values(until_scan=scan_id), closing)
    opened = [k for k in seen if k not in unchanged]
    _insert_all(connection, table, [{key: k, **row(seen[k]), "from_scan": scan_id} for k in opened])
    return Changes(opened=opened, vanished=vanished)


def _raw_rows(connection: Connection, query: Any) -> Sequence[tuple[Any, ...]]:
    """Every open spell is read back at each scan (tens of thousands of rows): through the
    driver's cursor, without building and type-converting a SQLAlchemy row for each. The
    query has no parameters, so its compiled text is the whole statement."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(str(query.compile(dialect=connection.dialect)))
        return cursor.fetchall()
    finally:
        cursor.close()


def _write_identities(
    connection: Connection, scan_id: int, inventory: Inventory, scope: set[str], complete: bool
) -> None:
    _write_spells(
        connection,
        IDENTITIES,
        "identity_id",
        scan_id,
        {i.id: i for i in inventory.identities},
        ("name",),
        lambda i: (i.name,),
        lambda i: {"name": i.name, "kind": i.kind.value, "provider": i.provider.value, "account": i.account},
        scope=scope,
        close_unseen=complete,
    )


def _write_credentials(
    connection: Connection, scan_id: int, inventory: Inventory, scope: set[str], complete: bool
) -> None:
    account = {i.id: i.account for i in inventory.identities}
    _write_spells(
        connection,
        CREDENTIALS,
        "credential_id",
        scan_id,
        {c.id: c for c in inventory.credentials},
        ("active", "standing"),
        lambda c: (c.active, is_standing_secret(c)),
        lambda c: {
            "identity_id": c.identity_id,
            "account": account.get(c.identity_id, ""),
            "kind": c.kind.value,
            "active": c.active,
            "standing": is_standing_secret(c),
            "created": c.created,
        },
        scope=scope,
        close_unseen=complete,
    )


def _write_findings(connection: Connection, scan_id: int, document: FindingsDocument, scope: set[str]) -> Changes:
    return _write_spells(
        connection,
        SEEN,
        "fingerprint",
        scan_id,
        {f.fingerprint: f for f in document.findings},
        ("severity", "waiver_owner", "waiver_expires"),
        lambda f: (f.severity.value, *((f.waiver.owner, f.waiver.expires.isoformat()) if f.waiver else (None, None))),
        lambda f: {
            "account": f.account,
            "severity": f.severity.value,
            "waiver_owner": f.waiver.owner if f.waiver else None,
            "waiver_expires": f.waiver.expires if f.waiver else None,
        },
        scope=scope,
        close_unseen=document.scan.complete,
    )


def _closed_severity(scan_id: int) -> Any:
    """The severity of the spell scan ``scan_id`` just closed for a vanished finding (one per key)."""
    return (
        select(SEEN.c.severity)
        .where(SEEN.c.fingerprint == FINDINGS.c.fingerprint, SEEN.c.until_scan == scan_id)
        .order_by(SEEN.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _update_lives(connection: Connection, scan_id: int, document: FindingsDocument, changes: Changes) -> None:
    """Open, reopen and resolve findings by what their spells did in this scan.

    A finding whose spell opened is new, back (reopened) or merely changed severity or
    waiver; one whose spell closed unseen is resolved (the spells already applied the rules on
    partial scans and accounts out of scope).
    """
    as_of = document.as_of
    findings = {f.fingerprint: f for f in document.findings}
    resolved: dict[str, datetime | None] = {}
    for start in range(0, len(changes.opened), _CHUNK):
        chunk = changes.opened[start : start + _CHUNK]
        resolved.update(
            connection.execute(
                select(FINDINGS.c.fingerprint, FINDINGS.c.resolved_at).where(FINDINGS.c.fingerprint.in_(chunk))
            ).all()
        )
    reopened = [{"key": fp, "fresh_message": findings[fp].message} for fp, when in resolved.items() if when]
    if reopened:
        connection.execute(
            update(FINDINGS)
            .where(FINDINGS.c.fingerprint == bindparam("key"))
            .values(opened_at=as_of, resolved_at=None, resolved_scan_id=None, message=bindparam("fresh_message")),
            reopened,
        )
    _insert_all(
        connection,
        FINDINGS,
        [
            {
                "fingerprint": f.fingerprint,
                "rule_id": f.rule_id,
                "title": f.title,
                "subject": f.subject,
                "identity": f.identity,
                "identity_name": f.identity_name,
                "provider": f.provider.value,
                "account": f.account,
                "message": f.message,
                "first_seen": as_of,
                "opened_at": as_of,
                "resolved_at": None,
                "first_scan_id": scan_id,
                "resolved_scan_id": None,
            }
            for f in (findings[fp] for fp in changes.opened if fp not in resolved)
        ],
    )
    gone = changes.vanished
    for start in range(0, len(gone), _CHUNK):
        chunk = gone[start : start + _CHUNK]
        connection.execute(
            insert(REMEDIATIONS).from_select(
                ["fingerprint", "opened_at", "resolved_at", "scan_id", "severity"],
                select(
                    FINDINGS.c.fingerprint,
                    FINDINGS.c.opened_at,
                    literal(as_of, REMEDIATIONS.c.resolved_at.type),
                    literal(scan_id, REMEDIATIONS.c.scan_id.type),
                    _closed_severity(scan_id),
                ).where(FINDINGS.c.fingerprint.in_(chunk), FINDINGS.c.resolved_at.is_(None)),
            )
        )
    if gone:
        connection.execute(
            update(FINDINGS)
            .where(FINDINGS.c.fingerprint == bindparam("key"), FINDINGS.c.resolved_at.is_(None))
            .values(resolved_at=as_of, resolved_scan_id=scan_id),
            [{"key": fp} for fp in gone],
        )
