"""``findings.json``: the machine-readable result of a scan, with a versioned schema.

The schema is this module's ``FindingsDocument``; ``docs/findings.schema.json`` is generated
from it (``standing schema findings``) and a test keeps the two equal. Bump
``FINDINGS_VERSION`` on any change a consumer could notice.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Final, Literal

from pydantic import Field

from standing.core.findings import Exposure, Finding, Severity, Waiver
from standing.core.json_out import model_json_chunks
from standing.core.model import (
    CoverageEntry,
    Inventory,
    Provider,
    Record,
    ScopeKind,
    UtcDatetime,
)
from standing.core.people import people_left_out
from standing.core.safe_text import json_text
from standing.core.stream_out import atomic_stream

FINDINGS_VERSION: Final = 1


class ScanSummary(Record):
    complete: bool = Field(description="false when some source could not be read; see gaps")
    providers: list[Provider]
    accounts: list[str] = Field(description="what was scanned: AWS account ids, GCP project ids, Azure tenant ids")
    identities: int
    credentials: int
    people_left_out: dict[Provider, int] = Field(
        default_factory=dict,
        description="people the scan saw and did not judge, per provider (who is a person: docs/scope.md)",
    )
    gaps: list[CoverageEntry] = Field(description="what the scan could not read, and why")
    left_out: list[CoverageEntry] = Field(
        default_factory=list,
        description="what the scan's own options left out (--region, --no-workloads): not read, by choice",
    )


class FindingsDocument(Record):
    schema_: Literal["standing.findings"] = Field(default="standing.findings", alias="schema")
    version: Literal[1] = FINDINGS_VERSION
    tool_version: str
    generated_at: UtcDatetime
    as_of: UtcDatetime = Field(description="the time ages and idle periods were measured against")
    scan: ScanSummary
    counts: dict[Severity, int]
    exposure: Exposure
    expired_waivers: list[Waiver] = Field(
        description="waivers past their expiry: they waive nothing and need renewing or removing"
    )
    findings: list[Finding] = Field(description="worst first: by severity, then risk")


# The scope that names what each provider's scan covered: an AWS account (``aws:account:N``),
# a GCP project (``projects/<id>``), an Azure tenant (``entra:<tenant id>``).
_SCANNED_KINDS = {ScopeKind.ACCOUNT: ":", ScopeKind.PROJECT: "/", ScopeKind.TENANT: ":"}


def scanned_accounts(inventory: Inventory) -> list[str]:
    """The accounts, projects and tenants a scan covered, by their ids, as findings name them."""
    return sorted({s.id.rsplit(_SCANNED_KINDS[s.kind], 1)[-1] for s in inventory.scopes if s.kind in _SCANNED_KINDS})


def build_document(
    inventory: Inventory,
    findings: list[Finding],
    *,
    exposure: Exposure,
    expired_waivers: list[Waiver],
    as_of: datetime,
    generated_at: datetime,
) -> FindingsDocument:
    from standing import __version__

    return FindingsDocument(
        tool_version=__version__,
        generated_at=generated_at,
        as_of=as_of,
        scan=ScanSummary(
            complete=inventory.complete,
            providers=sorted(inventory.meta.providers),
            accounts=scanned_accounts(inventory),
            identities=len(inventory.identities),
            credentials=len(inventory.credentials),
            people_left_out=people_left_out(inventory),
            gaps=inventory.gaps,
            left_out=inventory.left_out,
        ),
        counts={s: sum(1 for f in findings if f.severity is s) for s in Severity},
        exposure=exposure,
        expired_waivers=expired_waivers,
        findings=findings,
    )


def write_findings(document: FindingsDocument, path: Path) -> None:
    """Written a finding at a time: at 100,000 identities the document is a gigabyte of text."""
    with atomic_stream(path) as out:
        for chunk in model_json_chunks(document, "findings", indent=2):
            out.write(json_text(chunk))  # no raw DEL: the file may be cat
        out.write("\n")


def json_schema() -> str:
    schema = FindingsDocument.model_json_schema(by_alias=True)
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
