"""Where a report's input comes from: a scan's output directory and earlier findings.json files
(a snapshot is analysed by ``standing.scan.report_of_snapshot``).

Every bad file is one ``UserError`` naming it. The trend from the history store instead
(``--store``) is read by ``stored.py``.
"""

from __future__ import annotations

from pathlib import Path

from standing.core.errors import UserError
from standing.core.findings_json import FindingsDocument
from standing.core.snapshot import read_snapshot
from standing.core.textfiles import read_document
from standing.planner.model import PlansDocument
from standing.reports.leadership.model import ReportInput, TrendPoint, trend_point

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
