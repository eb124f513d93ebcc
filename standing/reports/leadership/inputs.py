"""Where a report's input comes from: a scan's output directory, a snapshot, earlier findings.json files.

Every bad file is one ``UserError`` naming it. Reading the trend from the history store
(``standing/history``) is not wired yet; it only has to produce ``TrendPoint`` values.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path


from standing.planner.document import PlansDocument
from standing.reports.findings_json import FindingsDocument
from standing.reports.leadership.model import ReportInput, TrendPoint, trend_point
from standing.scanner.config import ScanConfig
from standing.scanner.errors import UserError
from standing.scanner.findings import Waiver
from standing.scanner.pipeline import scan_inventory
from standing.scanner.snapshot import read_snapshot
from standing.scanner.textfiles import read_document

HISTORY_PATTERN = "*findings*.json"
def read_findings_document(path: Path) -> FindingsDocument:
    return read_document(path, FindingsDocument, "standing.findings", "findings.json", hint="truncated?")


def read_plans_document(path: Path) -> PlansDocument:
    return read_document(path, PlansDocument, "standing.plans", "plans.json", hint="truncated?")


def history_points(history_dir: Path | None, previous: list[Path]) -> tuple[TrendPoint, ...]:
    """Trend points of earlier scans: ``--previous`` files and every ``*findings*.json`` under the dir."""
    paths = list(previous)
    if history_dir is not None:
        if not history_dir.is_dir():
            raise UserError(str(history_dir), "no such directory")
        paths += sorted(history_dir.rglob(HISTORY_PATTERN))
    points = sorted((trend_point(read_findings_document(p)) for p in paths), key=lambda p: p.at)
    return tuple(points)


def from_findings_dir(directory: Path, history: tuple[TrendPoint, ...] = ()) -> ReportInput:
    """A scan's ``--output-dir``: findings.json is required; snapshot.json and plans.json add sections."""
    if not directory.is_dir():
        raise UserError(str(directory), "no such directory")
    findings_path = directory / "findings.json"
    if not findings_path.is_file():
        raise UserError(str(directory), "no findings.json here (write one with `standing scan --output-dir`)")
    snapshot_path, plans_path = directory / "snapshot.json", directory / "plans.json"
    return ReportInput(
        findings=read_findings_document(findings_path),
        inventory=read_snapshot(snapshot_path) if snapshot_path.is_file() else None,
        plans=read_plans_document(plans_path) if plans_path.is_file() else None,
        history=history,
    )


def from_snapshot(path: Path, config: ScanConfig, *, as_of: datetime, generated_at: datetime,
                  waivers: list[Waiver] | None = None, history: tuple[TrendPoint, ...] = ()) -> ReportInput:
    """A snapshot analysed and planned here, exactly as a scan of it would be."""
    inventory = read_snapshot(path)
    result = scan_inventory(inventory, config, as_of=as_of, generated_at=generated_at, output_dir=None,
                            waivers=waivers, with_plans=True)
    return ReportInput(findings=result.document, inventory=inventory, plans=result.plans, history=history)
