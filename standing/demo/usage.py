"""The Access Advisor reports the demo ships, read as a user's ``--usage-from ARN=FILE`` is.

moto answers neither Access Advisor nor Access Analyzer, so the demo does what a team without
the scanner's usage permissions would do: it hands over the report ``aws iam
get-service-last-accessed-details`` printed for a role. Each report lists every service the
role's policies name, with a last-authenticated date for the ones ``RoleSpec.used_services``
says were used, and is parsed by the collector's own reader (``usage_from_last_accessed``), so
the rule and the planner see exactly what a real export gives them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from standing.collectors.aws.usage import usage_from_last_accessed
from standing.core.model import PermissionUsage
from standing.demo.spec import EstateSpec, PolicyDocument, RoleSpec

USED_DAYS_AGO = 3  # when the used services were last seen, before the scan's as-of


def _namespaces(document: PolicyDocument) -> set[str]:
    found: set[str] = set()
    for statement in document.get("Statement", []):
        actions = statement.get("Action", [])
        for action in [actions] if isinstance(actions, str) else actions:
            if ":" in action:
                found.add(action.split(":", 1)[0])
    return found


def _granted(spec: EstateSpec, role: RoleSpec) -> list[str]:
    documents = [doc for _, doc in role.inline_policies]
    documents += [p.document for p in spec.policies if p.name in role.managed_policies]
    return sorted({ns for doc in documents for ns in _namespaces(doc)})


def access_advisor_report(spec: EstateSpec, role: RoleSpec, now: datetime) -> dict[str, Any]:
    """The JSON ``aws iam get-service-last-accessed-details`` prints for ``role`` (dates as text)."""
    used_at = (now - timedelta(days=USED_DAYS_AGO)).isoformat()
    services = []
    for namespace in _granted(spec, role):
        used = namespace in role.used_services
        entry: dict[str, Any] = {"ServiceName": namespace, "ServiceNamespace": namespace}
        entry |= {"LastAuthenticated": used_at, "TotalAuthenticatedEntities": 1} if used else {}
        services.append(entry)
    return {
        "JobStatus": "COMPLETED",
        "JobType": "SERVICE_LEVEL",
        "JobCreationDate": now.isoformat(),
        "JobCompletionDate": now.isoformat(),
        "ServicesLastAccessed": services,
        "IsTruncated": False,
    }


def demo_usage(spec: EstateSpec, now: datetime) -> list[PermissionUsage]:
    return [
        usage_from_last_accessed(role.arn(spec.account_id), access_advisor_report(spec, role, now), now)
        for role in spec.roles
        if role.used_services
    ]
