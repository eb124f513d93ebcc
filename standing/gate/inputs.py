"""The gate's sources: a snapshot (analysed here), a findings.json (taken as written), or an IaC change."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from standing.core.errors import UserError
from standing.core.findings_json import FindingsDocument
from standing.core.iac import IacChange
from standing.core.model import Inventory
from standing.core.textfiles import parse_json, read_text
from standing.gate.iac_change import new_findings
from standing.gate.judge import GateInput
from standing.rules.analyse import analyse
from standing.rules.config import ScanConfig


def from_inventory(inventory: Inventory, path: Path, config: ScanConfig, as_of: datetime) -> GateInput:
    return GateInput(
        label=f"snapshot {path}",
        findings=analyse(inventory, config, as_of=as_of),
        artifact=str(path),
        gaps=inventory.gaps,
    )


def from_changes(changes: list[IacChange], config: ScanConfig, as_of: datetime) -> GateInput:
    kinds = {"terraform-plan": "Terraform plan", "cloudformation": "CloudFormation template"}
    label = ", ".join(f"{kinds[c.kind]} {c.source}" for c in changes)
    return GateInput(
        label=label,
        findings=[f for c in changes for f in new_findings(c, config, as_of)],
        artifact=changes[0].source if len(changes) == 1 else None,
        gaps=[g for c in changes for g in c.unknowns],
        changes=tuple(changes),
    )


def read_findings(path: Path) -> GateInput:
    """A findings.json as a scan wrote it; its rules ran with that scan's config."""
    source = str(path)
    data = parse_json(read_text(path), source, hint="truncated?")
    if not isinstance(data, dict) or data.get("schema") != "standing.findings":
        raise UserError(source, "not a standing findings.json (write one with `standing scan --output-dir`)")
    try:
        document = FindingsDocument.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UserError(source, f"invalid findings document at {where}: {first['msg']}") from None
    return GateInput(label=f"findings {source}", findings=document.findings, artifact=source, gaps=document.scan.gaps)
