"""Inventory in, findings and files out: the analysis half of every scan.

Shared by ``scan aws``, ``scan --snapshot`` and ``demo`` so a live scan and a scan of the
snapshot it wrote cannot diverge.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from standing.reports.findings_json import FindingsDocument, build_document, write_findings
from standing.scanner.config import ScanConfig
from standing.scanner.engine import run_rules
from standing.scanner.errors import ExitCode
from standing.scanner.findings import Exposure, Finding, Severity, Waiver
from standing.scanner.graph import PrivilegeGraph
from standing.scanner.model import Inventory
from standing.scanner.risk import RiskModel, enrich
from standing.scanner.snapshot import write_snapshot
from standing.scanner.waivers import apply_waivers

if TYPE_CHECKING:
    from standing.planner.document import PlansDocument


@dataclass(frozen=True)
class ScanResult:
    inventory: Inventory
    findings: list[Finding]
    document: FindingsDocument
    written: list[Path]
    expired_waivers: list[Waiver]
    plans: "PlansDocument | None" = None  # written beside findings.json when there is an output dir


@dataclass(frozen=True)
class Analysis:
    findings: list[Finding]
    exposure: Exposure
    model: RiskModel  # its graph and cached hops serve the planner too: an estate is analysed once


@contextmanager
def long_lived_heap() -> Iterator[None]:
    """Keep Python's cycle collector off the inventory while it is analysed.

    An estate is millions of long-lived records, and analysis allocates millions of small
    objects (hops, verdicts, findings) that form almost no cycles. Left alone, the collector
    re-scans the whole inventory at every full collection: a fifth of the analysis time of a
    100,000-identity estate. Freezing what exists and collecting less often removes that.
    """
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(threshold[0], 100_000), threshold[1], max(threshold[2], 100))
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def analyse_estate(inventory: Inventory, config: ScanConfig, *, as_of: datetime) -> Analysis:
    with long_lived_heap():
        graph = PrivilegeGraph(inventory)
        model = RiskModel(graph, as_of)
        return Analysis(enrich(run_rules(graph, config.rules, as_of), model), model.exposure(), model)


def analyse(inventory: Inventory, config: ScanConfig, *, as_of: datetime) -> list[Finding]:
    return analyse_estate(inventory, config, as_of=as_of).findings


def scan_inventory(
    inventory: Inventory,
    config: ScanConfig,
    *,
    as_of: datetime,
    generated_at: datetime,
    output_dir: Path | None,
    waivers: list[Waiver] | None = None,
    with_plans: bool = False,
) -> ScanResult:
    """Analyse, then write findings, snapshot, plans and report when there is an output dir.

    ``with_plans`` plans without an output dir too (for a report built in memory).
    """
    analysis = analyse_estate(inventory, config, as_of=as_of)
    findings, expired = apply_waivers(analysis.findings, waivers or [], as_of)
    document = build_document(
        inventory,
        findings,
        exposure=analysis.exposure,
        expired_waivers=expired,
        as_of=as_of,
        generated_at=generated_at,
    )
    written: list[Path] = []
    plans = None
    if output_dir is not None:
        from standing.planner.document import write_scan_plans
        from standing.reports.leadership.formats import write_scan_report
        from standing.reports.leadership.model import ReportInput

        output_dir.mkdir(parents=True, exist_ok=True)
        write_findings(document, output_dir / "findings.json")
        write_snapshot(inventory, output_dir / "snapshot.json")
        written = [output_dir / "findings.json", output_dir / "snapshot.json"]
        plans, paths = write_scan_plans(analysis.model, findings, output_dir, generated_at=generated_at)
        written += paths
        written.append(write_scan_report(ReportInput(document, inventory, plans), output_dir))
    elif with_plans:
        from standing.planner.document import plan_estate

        plans = plan_estate(analysis.model, findings, generated_at=generated_at)
    return ScanResult(inventory, findings, document, written, expired, plans)


def exit_code(result: ScanResult, fail_on: Severity | None) -> ExitCode:
    """1 when unwaived findings reach ``fail_on``, or a waiver expired (even on a partial scan);
    else 3 if the scan was partial."""
    blocking = [f for f in result.findings if f.waiver is None]
    if fail_on is not None and any(f.severity.rank >= fail_on.rank for f in blocking):
        return ExitCode.FINDINGS
    if fail_on is not None and result.expired_waivers:
        return ExitCode.FINDINGS
    if not result.inventory.complete:
        return ExitCode.INCOMPLETE
    return ExitCode.CLEAN
