"""SARIF 2.1.0 for code-scanning UIs: every rule's metadata, one result per current finding.

Results carry ``partialFingerprints`` (the finding's own fingerprint, so the UI tracks a
finding across commits exactly as the baseline does) and ``baselineState`` (``new`` or
``unchanged``). An IaC finding points at the resource's line in the plan or template and
names the resource address as a logical location; a finding from a live estate points at
the snapshot or findings file and names the identity or credential.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

from standing import __version__
from standing.core.findings import Finding, Severity
from standing.core.iac import SourceRef
from standing.core.safe_text import json_text
from standing.gate.judge import GateResult
from standing.rules.frameworks import cited_as, mappings_of
from standing.rules.registry import load_rules

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "standing/v1"
_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub code scanning ranks security results by this property (0.0 to 10.0).
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}


def artifact_uri(path: str) -> str:
    """Relative paths stay relative (to the repository root, where CI runs); absolute ones become file URIs."""
    candidate = Path(path)
    return candidate.as_uri() if candidate.is_absolute() else candidate.as_posix()


def _rules() -> list[dict[str, Any]]:
    descriptors = []
    for rule_id, rule in load_rules().items():
        doc = inspect.cleandoc(rule.__doc__ or rule.title)
        descriptors.append(
            {
                "id": rule_id,
                "name": "".join(part.capitalize() for part in rule_id.split("-")),
                "shortDescription": {"text": rule.title},
                "fullDescription": {"text": doc},
                "help": {"text": doc},
                "defaultConfiguration": {"level": _LEVEL[rule.severity]},
                "properties": {
                    # a one-cloud benchmark's control is tagged with its cloud; each result names its own
                    "tags": ["security"] + [cited_as(m) for m in mappings_of(rule_id)],
                    "security-severity": _SECURITY_SEVERITY[rule.severity],
                },
            }
        )
    return descriptors


def _location(ref: SourceRef) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(ref.file)}}
    if ref.line is not None:
        physical["region"] = {"startLine": ref.line}
    return {"physicalLocation": physical, "logicalLocations": [{"fullyQualifiedName": ref.address, "kind": "resource"}]}


def _result(finding: Finding, result: GateResult, rule_index: dict[str, int], new: bool) -> dict[str, Any]:
    refs = result.input.locations(finding)
    if refs:
        locations = [_location(ref) for ref in refs[:1]]
        related = [dict(_location(ref), id=n) for n, ref in enumerate(refs[1:], start=1)]
    else:
        location: dict[str, Any] = {"logicalLocations": [{"fullyQualifiedName": finding.subject, "kind": "resource"}]}
        if result.input.artifact is not None:
            location["physicalLocation"] = {"artifactLocation": {"uri": artifact_uri(result.input.artifact)}}
        locations = [location]
        related = []
    blocking = new and result.policy.blocks(finding)
    body: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index[finding.rule_id],
        # What fails the gate is an error whatever its severity (a new standing key is low and blocks).
        "level": "error" if blocking else _LEVEL[finding.severity],
        "kind": "fail",
        "message": {"text": finding.message},
        "locations": locations,
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "baselineState": "new" if new else "unchanged",
        "properties": {
            "severity": finding.severity.value,
            "subject": finding.subject,
            "identity": finding.identity,
            "blocking": blocking,
            "waived": finding.waiver is not None,
            "frameworks": [ref.short for ref in finding.frameworks],  # the controls of this finding's cloud
        },
    }
    if related:
        body["relatedLocations"] = related
    return body


def sarif_log(result: GateResult) -> dict[str, Any]:
    rules = _rules()
    rule_index = {rule["id"]: n for n, rule in enumerate(rules)}
    results = [_result(f, result, rule_index, True) for f in result.new]
    results += [_result(f, result, rule_index, False) for f in result.accepted]
    notifications = [
        {"level": "warning", "message": {"text": f"{gap.scope} {gap.operation}: {gap.detail or gap.status.value}"}}
        for gap in result.input.gaps
    ]
    invocation: dict[str, Any] = {"executionSuccessful": True, "exitCode": int(result.exit_code)}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "standing", "version": __version__, "rules": rules}},
                "invocations": [invocation],
                "results": results,
            }
        ],
    }


def write_sarif(result: GateResult, path: Path) -> None:
    path.write_text(json_text(json.dumps(sarif_log(result), indent=2)) + "\n", encoding="utf-8")
