"""The gate's sources: a snapshot (analysed here), a findings.json (taken as written), or an IaC change."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from standing.core.errors import UserError
from standing.core.findings_json import FindingsDocument, scanned_accounts
from standing.core.iac import IacChange
from standing.core.model import Inventory
from standing.core.textfiles import read_document
from standing.gate.iac_change import new_findings
from standing.gate.judge import GateInput
from standing.rules.analyse import analyse
from standing.rules.config import ScanConfig
from standing.rules.registry import load_rules


def from_inventory(inventory: Inventory, path: Path, config: ScanConfig, as_of: datetime) -> GateInput:
    return GateInput(
        label=f"snapshot {path}",
        findings=analyse(inventory, config, as_of=as_of),
        artifact=str(path),
        gaps=inventory.gaps,
        kinds={i.id: i.kind for i in inventory.identities},
        providers=tuple(p.value for p in inventory.meta.providers),
        accounts=tuple(scanned_accounts(inventory)),
        as_of=as_of,
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
        kinds={i.id: i.kind for c in changes for i in c.after.identities},
    )


def read_findings(path: Path) -> GateInput:
    """A findings.json as a scan wrote it; its rules ran with that scan's config."""
    source = str(path)
    document = read_document(
        path,
        FindingsDocument,
        "standing.findings",
        "findings document",
        hint="truncated?",
        not_ours="not a standing findings.json (write one with `standing scan --output-dir`)",
    )
    known = load_rules()
    for index, finding in enumerate(document.findings):
        if finding.rule_id not in known:
            # The gate judges a finding by its rule's traits (does it block?): an unknown rule cannot be judged.
            raise UserError(
                source,
                f"findings[{index}].rule_id {finding.rule_id[:60]!r} is not a rule of this standing "
                "(written by another version? run `standing rules` for the list)",
            )
    return GateInput(
        label=f"findings {source}",
        findings=document.findings,
        artifact=source,
        gaps=document.scan.gaps,
        providers=tuple(p.value for p in document.scan.providers),
        accounts=tuple(document.scan.accounts),
        as_of=document.as_of,
    )
