"""A scan's orchestration: inventory in, findings, snapshot, plans and report out, and the exit
code.

Shared by ``scan <provider>``, ``scan --snapshot``, ``report --snapshot`` and ``demo`` so a live
scan and a scan of the snapshot it wrote cannot diverge. The analysis itself is
``standing.rules.analyse``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from standing.core.errors import ExitCode
from standing.core.findings import Finding, Severity, Waiver
from standing.core.findings_json import FindingsDocument, build_document, write_findings
from standing.core.gc_pause import paused_gc
from standing.core.model import Inventory
from standing.core.outputs import make_output_dir
from standing.core.snapshot import copy_snapshot, read_snapshot, write_snapshot
from standing.reports.leadership.model import ReportInput, TrendPoint
from standing.rules.analyse import analyse_estate
from standing.rules.config import ScanConfig
from standing.rules.waivers import apply_waivers

if TYPE_CHECKING:
    from standing.planner.model import PlansDocument


@dataclass(frozen=True)
class ScanResult:
    inventory: Inventory
    findings: list[Finding]
    document: FindingsDocument
    written: list[Path]
    expired_waivers: list[Waiver]
    plans: PlansDocument | None = None  # written beside findings.json when there is an output dir


def scan_inventory(
    inventory: Inventory,
    config: ScanConfig,
    *,
    as_of: datetime,
    generated_at: datetime,
    output_dir: Path | None,
    waivers: list[Waiver] | None = None,
    with_plans: bool = False,
    formats: tuple[str, ...] = (),
    read_from: Path | None = None,
) -> ScanResult:
    """Analyse, then write findings, snapshot, plans and report when there is an output dir.

    ``with_plans`` plans without an output dir too (for a report built in memory); ``formats``
    adds files beside findings.json (``ocsf``: findings.ocsf.json). ``read_from``: the snapshot
    file ``inventory`` was read from, copied as the output's snapshot instead of written again.
    """
    with paused_gc():  # millions of acyclic records: see core.gc_pause
        return _scan_inventory(
            inventory,
            config,
            as_of=as_of,
            generated_at=generated_at,
            output_dir=output_dir,
            waivers=waivers,
            with_plans=with_plans,
            formats=formats,
            read_from=read_from,
        )


def _scan_inventory(
    inventory: Inventory,
    config: ScanConfig,
    *,
    as_of: datetime,
    generated_at: datetime,
    output_dir: Path | None,
    waivers: list[Waiver] | None,
    with_plans: bool,
    formats: tuple[str, ...],
    read_from: Path | None,
) -> ScanResult:
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

        make_output_dir(output_dir)
        write_findings(document, output_dir / "findings.json")
        if read_from is not None:
            copy_snapshot(read_from, output_dir / "snapshot.json")
        else:
            write_snapshot(inventory, output_dir / "snapshot.json")
        written = [output_dir / "findings.json", output_dir / "snapshot.json"]
        plans, paths = write_scan_plans(analysis.model, findings, output_dir, generated_at=generated_at)
        written += paths
        written.append(write_scan_report(ReportInput(document, inventory, plans), output_dir))
        if "ocsf" in formats:
            from standing.reports.ocsf import OCSF_FILE, scan_events, write_events

            events = scan_events(document.findings, time=generated_at, inventory=inventory, plans=plans)
            write_events(events, output_dir / OCSF_FILE)
            written.append(output_dir / OCSF_FILE)
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


def report_of_snapshot(
    path: Path,
    config: ScanConfig,
    *,
    as_of: datetime,
    generated_at: datetime,
    waivers: list[Waiver] | None = None,
    history: tuple[TrendPoint, ...] = (),
) -> ReportInput:
    """A snapshot analysed and planned here, exactly as a scan of it would be."""
    inventory = read_snapshot(path)
    result = scan_inventory(
        inventory, config, as_of=as_of, generated_at=generated_at, output_dir=None, waivers=waivers, with_plans=True
    )
    return ReportInput(findings=result.document, inventory=inventory, plans=result.plans, history=history)


def usage_targets(inventory: Inventory, config: ScanConfig, *, as_of: datetime) -> list[str]:
    """Identities a finding names, for ``--usage flagged``: the collectors sit below the rules,
    so this layer analyses the inventory once, hands these ids to the usage read, and the scan
    then analyses the inventory with its usage (collect -> analyse -> usage -> analyse). People
    are counted and left out: nobody's own usage is asked about."""
    analysis = analyse_estate(inventory, config, as_of=as_of)
    people = {i.id for i in inventory.identities if i.human}
    return list(dict.fromkeys(f.identity for f in analysis.findings if f.identity and f.identity not in people))
