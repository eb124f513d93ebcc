"""Where a report's input comes from: a scan's output directory, a snapshot, earlier findings.json files.

Every bad file is one ``UserError`` naming it. The history store (when merged) only has to
produce ``TrendPoint`` values; nothing here depends on it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from standing.planner.document import PlansDocument
from standing.reports.findings_json import FindingsDocument
from standing.reports.leadership.model import ReportInput, TrendPoint, trend_point
from standing.scanner.config import ScanConfig
from standing.scanner.errors import UserError
from standing.scanner.findings import Waiver
from standing.scanner.pipeline import scan_inventory
from standing.scanner.snapshot import read_snapshot
from standing.scanner.textfiles import parse_json, read_text

HISTORY_PATTERN = "*findings*.json"
Document = TypeVar("Document", bound=BaseModel)


def _read_document(path: Path, kind: type[Document], schema: str, what: str) -> Document:
    source = str(path)
    data = parse_json(read_text(path), source, hint="truncated?")
    if not isinstance(data, dict) or data.get("schema") != schema:
        raise UserError(source, f"not a standing {what} (expected schema {schema!r})")
    try:
        return kind.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UserError(source, f"invalid {what} at {where}: {first['msg']}") from None


def read_findings_document(path: Path) -> FindingsDocument:
    return _read_document(path, FindingsDocument, "standing.findings", "findings.json")


def read_plans_document(path: Path) -> PlansDocument:
    return _read_document(path, PlansDocument, "standing.plans", "plans.json")


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
