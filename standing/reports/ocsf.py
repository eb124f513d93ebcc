"""OCSF Detection Findings (class 2004), one event per finding: what Security Hub, Security Lake
and SIEMs ingest.

Each event is built through the OCSF models of ``py-ocsf-models`` (the ``ocsf`` extra), so a
field the schema does not have, or a value of the wrong type, fails here rather than in the
consumer. The resource is the identity (its ARN, service account email or object id, and its
type); the cloud account, severity and status are normalised to OCSF's ids; the finding's
``uid`` is its fingerprint, so a consumer tracks it across scans as the baseline does.

Detection Finding has no ``compliance`` attribute (only Compliance Finding, class 2003, does),
so the framework controls a finding evidences travel as OCSF ``compliance`` objects under
``unmapped.compliance``, as other scanners emitting Detection Findings do; a finding citing no
control has none. Remediation is the identity's plan, when the command planned.

Cloud text (names, messages) is data: it goes through the JSON encoder and ``json_text``, never
into markup.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from standing import __version__
from standing.core.extras import require_extra
from standing.core.findings import Finding, FrameworkRef, Severity
from standing.core.model import IdentityKind, Inventory, Provider
from standing.core.outputs import write_text_atomic
from standing.core.safe_text import json_text
from standing.core.traits import Trait
from standing.rules.registry import traits_of

if TYPE_CHECKING:
    from standing.gate.baseline import BaselineEntry
    from standing.gate.judge import GateResult
    from standing.planner.model import Plan, PlansDocument

OCSF_FILE = "findings.ocsf.json"
MODELS = "py_ocsf_models"

# OCSF severity_id: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical.
SEVERITY_ID = {Severity.INFO: 1, Severity.LOW: 2, Severity.MEDIUM: 3, Severity.HIGH: 4, Severity.CRITICAL: 5}
_SEVERITY_NAME = {1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical"}
# OCSF status_id of a finding: 1 New, 3 Suppressed (waived, or accepted by the gate's baseline), 4 Resolved.
NEW, SUPPRESSED, RESOLVED = 1, 3, 4
_STATUS_NAME = {NEW: "New", SUPPRESSED: "Suppressed", RESOLVED: "Resolved"}
# activity_id: 1 Create (a finding present), 3 Close (one gone since the gate's baseline).
CREATE, CLOSE = 1, 3
_ACTIVITY_NAME = {CREATE: "Create", CLOSE: "Close"}

_CLOUD = {Provider.AWS: "AWS", Provider.GCP: "GCP", Provider.AZURE: "Azure"}
# cloud.account: OCSF's account type ids name an AWS account (10); a GCP project or an Entra
# tenant is "Other" (99) with its own type.
_ACCOUNT_TYPE = {
    Provider.AWS: (10, "AWS Account"),
    Provider.GCP: (99, "GCP Project"),
    Provider.AZURE: (99, "Azure Tenant"),
}
# Each identity type as its cloud names it (CloudFormation, Cloud Asset, Microsoft Graph and ARM;
# the AWS root user, which no type names, in the same style).
_RESOURCE_TYPE = {
    (Provider.AWS, IdentityKind.USER): "AWS::IAM::User",
    (Provider.AWS, IdentityKind.ROLE): "AWS::IAM::Role",
    (Provider.AWS, IdentityKind.GROUP): "AWS::IAM::Group",
    (Provider.AWS, IdentityKind.ROOT): "AWS::IAM::RootUser",
    (Provider.GCP, IdentityKind.SERVICE_ACCOUNT): "iam.googleapis.com/ServiceAccount",
    (Provider.GCP, IdentityKind.USER): "user",
    (Provider.GCP, IdentityKind.GROUP): "group",
    (Provider.AZURE, IdentityKind.SERVICE_PRINCIPAL): "Microsoft.Graph/servicePrincipals",
    (Provider.AZURE, IdentityKind.MANAGED_IDENTITY): "Microsoft.ManagedIdentity/identities",
    (Provider.AZURE, IdentityKind.USER): "Microsoft.Graph/users",
    (Provider.AZURE, IdentityKind.GROUP): "Microsoft.Graph/groups",
}
_POLICY_TYPE = {
    Provider.AWS: "AWS::IAM::ManagedPolicy",
    Provider.GCP: "iam.googleapis.com/Role",
    Provider.AZURE: "Microsoft.Authorization/roleDefinitions",
}


def require_ocsf(option: str) -> None:
    """``--format ocsf`` without the extra: one line naming it, before any work."""
    require_extra(option, "ocsf", (MODELS,))


def ocsf_version() -> str:
    """The OCSF schema version the installed models implement (``metadata.version``)."""
    from py_ocsf_models import OCSF_VERSION

    return str(OCSF_VERSION)


@dataclass(frozen=True)
class Context:
    """What the command knows beyond the findings: each identity's kind, and its plan."""

    kinds: Mapping[str, IdentityKind]
    plans: Mapping[str, Plan]

    @classmethod
    def of(cls, inventory: Inventory | None = None, plans: PlansDocument | None = None) -> Context:
        kinds = {i.id: i.kind for i in inventory.identities} if inventory is not None else {}
        by_identity = {p.identity: p for p in plans.plans} if plans is not None else {}
        kinds |= {p.identity: p.identity_kind for p in by_identity.values() if p.identity not in kinds}
        return cls(kinds, by_identity)


@dataclass(frozen=True)
class Status:
    """A finding's place in its command's judgement: OCSF status, and the extra facts a consumer filters on."""

    status_id: int
    detail: str | None = None
    unmapped: Mapping[str, Any] | None = None


def status_of(finding: Finding) -> Status:
    """A scan's finding: new, or suppressed by a waiver (whose owner, expiry and reason say why)."""
    waiver = finding.waiver
    if waiver is None:
        return Status(NEW)
    return Status(SUPPRESSED, f"waived by {waiver.owner} until {waiver.expires.isoformat()}: {waiver.justification}")


def _compliance(refs: Iterable[FrameworkRef]) -> list[dict[str, Any]]:
    from py_ocsf_models.objects.compliance import Compliance

    return [
        Compliance(standards=[f"{ref.framework.value} {ref.version}"], control=ref.control).model_dump(
            mode="json", exclude_none=True
        )
        for ref in refs
    ]


def _resource_type(finding: Finding, context: Context) -> str:
    if Trait.ABOUT_POLICY in traits_of(finding.rule_id):
        return _POLICY_TYPE[finding.provider]
    kind = context.kinds.get(finding.identity)
    if kind is None:
        return f"{_CLOUD[finding.provider]} identity"
    return _RESOURCE_TYPE.get((finding.provider, kind), f"{_CLOUD[finding.provider]} {kind.value}")


def _partition(resource_id: str) -> str | None:
    """An AWS ARN names its partition (``aws``, ``aws-cn``, ``aws-us-gov``)."""
    parts = resource_id.split(":", 2)
    return parts[1] if len(parts) == 3 and parts[0] == "arn" and parts[1] else None


def _remediation(plan: Plan) -> str:
    steps = "; ".join(f"{step.order}. {step.title}" for step in plan.steps if not step.done)
    text = f"Plan {plan.pattern.value}: {plan.target}. Why: {plan.reason}."
    return f"{text} Steps: {steps}." if steps else text


def _cloud(provider: Provider, account: str) -> Any:
    from py_ocsf_models.objects.account import Account
    from py_ocsf_models.objects.cloud import Cloud

    if not account:
        return Cloud(provider=_CLOUD[provider])
    type_id, type_name = _ACCOUNT_TYPE[provider]
    return Cloud(provider=_CLOUD[provider], account=Account(uid=account, name=account, type_id=type_id, type=type_name))


def _event(
    *,
    uid: str,
    title: str,
    desc: str,
    rule_id: str,
    severity: Severity,
    status: Status,
    activity: int,
    resource: Any,
    cloud: Any,
    time: datetime,
    remediation: str | None = None,
    risk: int | None = None,
    unmapped: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    from py_ocsf_models.events.findings.detection_finding import DetectionFinding
    from py_ocsf_models.objects.finding_info import FindingInformation
    from py_ocsf_models.objects.metadata import Metadata
    from py_ocsf_models.objects.product import Product
    from py_ocsf_models.objects.remediation import Remediation

    severity_id = SEVERITY_ID[severity]
    extra = {**(unmapped or {}), **(status.unmapped or {})}
    event = DetectionFinding(
        metadata=Metadata(
            product=Product(name="standing", vendor_name="standing", version=__version__),
            version=ocsf_version(),
            event_code=rule_id,
            profiles=["cloud"],
        ),
        activity_id=activity,
        activity_name=_ACTIVITY_NAME[activity],
        type_uid=2004 * 100 + activity,
        type_name=f"Detection Finding: {_ACTIVITY_NAME[activity]}",
        severity_id=severity_id,
        severity=_SEVERITY_NAME[severity_id],
        status_id=status.status_id,
        status=_STATUS_NAME[status.status_id],
        status_detail=status.detail,
        time=int(time.timestamp() * 1000),
        time_dt=time,
        message=desc,
        finding_info=FindingInformation(uid=uid, title=title, desc=desc, types=[rule_id]),
        resources=[resource],
        cloud=cloud,
        remediation=Remediation(desc=remediation) if remediation else None,
        risk_score=risk,
        unmapped=extra or None,
    )
    dumped: dict[str, Any] = event.model_dump(mode="json", exclude_none=True)
    return dumped


def finding_event(finding: Finding, status: Status, context: Context, time: datetime) -> dict[str, Any]:
    """One finding as one Detection Finding event."""
    from py_ocsf_models.objects.resource_details import ResourceDetails

    data = {"subject": finding.subject} if finding.subject != finding.identity else None
    resource = ResourceDetails(
        uid=finding.identity,
        name=finding.identity_name,
        type=_resource_type(finding, context),
        cloud_partition=_partition(finding.identity) if finding.provider is Provider.AWS else None,
        data=data,
    )
    plan = context.plans.get(finding.identity)
    unmapped: dict[str, Any] = {}
    if finding.frameworks:
        unmapped["compliance"] = _compliance(finding.frameworks)
    return _event(
        uid=finding.fingerprint,
        title=finding.title,
        desc=finding.message,
        rule_id=finding.rule_id,
        severity=finding.severity,
        status=status,
        activity=CREATE,
        resource=resource,
        cloud=_cloud(finding.provider, finding.account),
        time=time,
        remediation=_remediation(plan) if plan is not None else None,
        risk=finding.risk,
        unmapped=unmapped,
    )


def scan_events(
    findings: Iterable[Finding], *, time: datetime, inventory: Inventory | None, plans: PlansDocument | None
) -> list[dict[str, Any]]:
    """A scan's findings, one event each, stamped with the scan's time."""
    context = Context.of(inventory, plans)
    return [finding_event(f, status_of(f), context, time) for f in findings]


def _gone_event(entry: BaselineEntry, time: datetime) -> dict[str, Any]:
    """A baseline entry the source no longer shows: closed and resolved (all the baseline keeps of it)."""
    from py_ocsf_models.objects.resource_details import ResourceDetails

    return _event(
        uid=entry.fingerprint,
        title=entry.title,
        desc=f"{entry.title}: gone since the baseline",
        rule_id=entry.rule,
        severity=entry.severity,
        status=Status(RESOLVED, "gone since the baseline"),
        activity=CLOSE,
        resource=ResourceDetails(uid=entry.subject),
        cloud=None,
        time=time,
    )


def gate_events(result: GateResult, *, time: datetime) -> list[dict[str, Any]]:
    """What the gate judged: each new finding (blocking or not), each accepted by the baseline,
    each gone since it (resolved). The gate plans nothing, so no event carries remediation."""
    context = Context(result.input.kinds, {})
    events = []
    for finding, new in [(f, True) for f in result.new] + [(f, False) for f in result.accepted]:
        status = status_of(finding)
        if not new and finding.waiver is None:
            status = Status(SUPPRESSED, "accepted by the baseline")
        facts: dict[str, Any] = {
            "gate": "new" if new else "accepted",
            "blocking": new and result.policy.blocks(finding),
        }
        locations = [ref.model_dump(mode="json", exclude_none=True) for ref in result.input.locations(finding)]
        if locations:
            facts["locations"] = locations
        events.append(finding_event(finding, Status(status.status_id, status.detail, facts), context, time))
    events += [_gone_event(entry, time) for entry in result.removed]
    return events


def write_events(events: list[dict[str, Any]], path: Path) -> None:
    """A JSON array of events; no raw C1 or bidi character (``json_text``)."""
    write_text_atomic(path, json_text(json.dumps(events, indent=2, ensure_ascii=False)) + "\n")
