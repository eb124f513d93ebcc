"""GCP IAM deny policies: the guardrails above a project, read where they attach.

Deny policies (IAM v2) attach to an organization, a folder or a project and stop the
permissions they name for the principals they name, whatever a role grants. Each scanned
container is asked once (``policies.listPolicies``); the listing carries only each policy's
metadata, so each listed policy is read (``policies.get``) for its rules. A denied call is a
coverage gap naming the container; the scan goes on.

``fetch_deny_policies`` returns plain data; ``normalize_deny_policies`` (pure) makes
``Guardrail`` records, judged by ``analysis.guardrails``.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from standing.collectors.gcp.paging import pages
from standing.core.model import Guardrail, GuardrailKind, Provider

if TYPE_CHECKING:
    from standing.collectors.gcp.fetch import CoverageLog, GcpClients

LIST = "iam:policies.listPolicies"
GET = "iam:policies.get"
_ATTACHMENT = "cloudresourcemanager.googleapis.com/"


def attachment_parent(container: str) -> str:
    """``projects/p`` -> ``policies/cloudresourcemanager.googleapis.com%2Fprojects%2Fp/denypolicies``."""
    return f"policies/{quote(_ATTACHMENT + container, safe='')}/denypolicies"


def _listing(coll: Any, container: str) -> list[dict[str, Any]]:
    return pages(
        coll.listPolicies(parent=attachment_parent(container)),
        lambda r, p: coll.listPolicies_next(previous_request=r, previous_response=p),
        "policies",
    )


def fetch_deny_policies(clients: GcpClients, containers: Iterable[str], log: CoverageLog) -> list[dict[str, Any]]:
    """Every deny policy on each container, with its rules, as the API returned it."""
    coll = clients.discovery("iam", "v2").policies()
    found: list[dict[str, Any]] = []
    for container in containers:
        listed = log.attempt(
            container,
            LIST,
            partial(_listing, coll, container),
        )
        for summary in listed or []:
            policy: dict[str, Any] | None = summary
            if "rules" not in summary:
                policy = log.attempt(container, GET, coll.get(name=summary["name"]).execute, record_ok=False)
            if policy is None:
                continue  # the gap is recorded; a policy without its rules denies nothing we know of
            found.append({"attachmentPoint": container, "policy": policy})
    return found


def _container(name: str, fallback: str) -> str:
    """The container a policy's name says it is attached to, as ``Scope.id`` spells it."""
    parts = name.split("/")
    if len(parts) >= 2 and parts[0] == "policies":
        point = unquote(parts[1])
        if point.startswith(_ATTACHMENT):
            return point[len(_ATTACHMENT) :]
    return fallback


def normalize_deny_policies(raw: list[dict[str, Any]]) -> list[Guardrail]:
    """Pure: one ``Guardrail`` per deny policy, its rules kept as Google wrote them."""
    guardrails = []
    for entry in raw:
        policy = entry["policy"]
        name = str(policy.get("name", ""))
        guardrails.append(
            Guardrail(
                id=name,
                provider=Provider.GCP,
                kind=GuardrailKind.GCP_DENY,
                name=str(policy.get("displayName") or name.rsplit("/", 1)[-1]),
                document={"rules": policy.get("rules") or []},
                targets=[_container(name, str(entry["attachmentPoint"]))],
            )
        )
    return guardrails
