"""AWS Organizations guardrails: service and resource control policies, and where each applies.

Read once per organization, from the account that runs the organization scan (the management
account or a delegated administrator): the tree of roots and OUs walked once
(``ListRoots``, ``ListOrganizationalUnitsForParent``, ``ListAccountsForParent``: calls grow with
the number of OUs, not accounts or identities), each SCP and RCP with its document
(``ListPolicies``, ``DescribePolicy``) and where it is attached (``ListTargetsForPolicy``).
Anything denied (a member account without delegated administration) is a coverage gap naming
the call; what was read is kept.

``fetch_guardrails`` returns plain data; ``normalize_guardrails`` (pure) turns it into
``Guardrail`` records and ``Scope`` records for roots, OUs and each account under its parent,
so ``analysis.guardrails`` can walk from an account up to the root.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any, cast

from standing.collectors.aws.fetch import CoverageLog
from standing.collectors.aws.operations import operation
from standing.core.model import Guardrail, GuardrailKind, Inventory, Provider, Scope, ScopeKind

# Read once per organization with the caller's account as scope (kept when it is refreshed).
GUARDRAIL_OPERATIONS = (
    "organizations:ListRoots",
    "organizations:ListOrganizationalUnitsForParent",
    "organizations:ListAccountsForParent",
    "organizations:ListPolicies",
    "organizations:DescribePolicy",
    "organizations:ListTargetsForPolicy",
)

_POLICY_KINDS = {
    "SERVICE_CONTROL_POLICY": GuardrailKind.SCP,
    "RESOURCE_CONTROL_POLICY": GuardrailKind.RCP,
}


def _all(organizations: Any, api: str, key: str, **params: Any) -> list[dict[str, Any]]:
    paginator = organizations.get_paginator(api)
    return cast(list[dict[str, Any]], paginator.paginate(**params).build_full_result().get(key, []))


def _described_policy(organizations: Any, policy_id: str) -> dict[str, Any]:
    return cast(dict[str, Any], organizations.describe_policy(PolicyId=policy_id)["Policy"])


def fetch_guardrails(organizations: Any, log: CoverageLog) -> dict[str, Any]:
    """The organization's tree and its SCPs and RCPs, as the API returned them."""
    raw: dict[str, Any] = {"roots": [], "ous": [], "placements": [], "policies": []}
    # Already asked (and any failure recorded) for the organization's scope; asked again only
    # for the management account, which SCPs and RCPs never bind.
    described = CoverageLog(log.scope).attempt(
        operation("organizations", "DescribeOrganization"), organizations.describe_organization
    )
    if described is not None:
        organization = described["Organization"]
        # Newer answers carry MasterAccountId; the published example only the account's ARN.
        raw["management_account"] = organization.get("MasterAccountId") or (
            str(organization["MasterAccountArn"]).rsplit("/", 1)[-1] if organization.get("MasterAccountArn") else None
        )
    roots = log.attempt(operation("organizations", "ListRoots"), partial(_all, organizations, "list_roots", "Roots"))
    raw["roots"] = roots or []
    pending = [str(r["Id"]) for r in raw["roots"]]
    while pending:
        parent = pending.pop()
        children = log.attempt(
            operation("organizations", "ListOrganizationalUnitsForParent"),
            partial(
                _all, organizations, "list_organizational_units_for_parent", "OrganizationalUnits", ParentId=parent
            ),
            record_ok=False,
        )
        for ou in children or []:
            raw["ous"].append({"Id": ou["Id"], "Name": ou.get("Name"), "ParentId": parent})
            pending.append(str(ou["Id"]))
        accounts = log.attempt(
            operation("organizations", "ListAccountsForParent"),
            partial(_all, organizations, "list_accounts_for_parent", "Accounts", ParentId=parent),
            record_ok=False,
        )
        for account in accounts or []:
            state = account.get("State") or account.get("Status") or "ACTIVE"
            if state == "ACTIVE":  # a closed or suspended account is not scanned, so not placed
                raw["placements"].append({"Id": account["Id"], "Name": account.get("Name"), "ParentId": parent})
    for policy_type in _POLICY_KINDS:
        listed = log.attempt(
            operation("organizations", "ListPolicies"),
            partial(_all, organizations, "list_policies", "Policies", Filter=policy_type),
        )
        for summary in listed or []:
            pid = str(summary["Id"])
            policy = log.attempt(
                operation("organizations", "DescribePolicy"),
                partial(_described_policy, organizations, pid),
                record_ok=False,
            )
            if policy is None:
                continue  # the gap is recorded; a policy without its document judges nothing
            targets = log.attempt(
                operation("organizations", "ListTargetsForPolicy"),
                partial(_all, organizations, "list_targets_for_policy", "Targets", PolicyId=pid),
                record_ok=False,
            )
            if targets is None:
                continue
            raw["policies"].append({"Type": policy_type, "Policy": policy, "Targets": targets})
    return raw


def _scope_id(target_id: str) -> str:
    if target_id.startswith("r-"):
        return f"aws:root:{target_id}"
    if target_id.startswith("ou-"):
        return f"aws:ou:{target_id}"
    return f"aws:account:{target_id}"


def _policy_document(content: str) -> dict[str, Any] | None:
    """The policy's JSON; also when escaped once more, as AWS's published example writes it."""
    for text in (content, f'"{content}"'):
        try:
            document = json.loads(text)
            if isinstance(document, str):
                document = json.loads(document)
        except json.JSONDecodeError:
            continue
        if isinstance(document, dict):
            return document
    return None


def _tree_scope(node: dict[str, Any], kind: ScopeKind, parent: str | None = None) -> Scope:
    """A root, OU or account of the organization tree; below the root, the parent is the node's."""
    return Scope(
        id=_scope_id(str(node["Id"])),
        provider=Provider.AWS,
        kind=kind,
        name=str(node.get("Name") or node["Id"]),
        parent_id=parent if kind is ScopeKind.ORGANIZATION else _scope_id(str(node["ParentId"])),
    )


def normalize_guardrails(raw: dict[str, Any], organization_scope_id: str | None) -> tuple[list[Guardrail], list[Scope]]:
    """Pure: SCP and RCP records, and the organization tree as scopes (root, OUs, accounts)."""
    scopes = [_tree_scope(root, ScopeKind.ORGANIZATION, organization_scope_id) for root in raw.get("roots", [])]
    scopes += [_tree_scope(ou, ScopeKind.FOLDER) for ou in raw.get("ous", [])]
    scopes += [_tree_scope(account, ScopeKind.ACCOUNT) for account in raw.get("placements", [])]
    management = raw.get("management_account")
    guardrails = []
    for entry in raw.get("policies", []):
        policy = entry["Policy"]
        summary = policy.get("PolicySummary", {})
        document = _policy_document(str(policy.get("Content") or ""))
        if document is None:
            continue  # unreadable: judging it could only invent a cut
        guardrails.append(
            Guardrail(
                id=str(summary["Id"]),
                provider=Provider.AWS,
                kind=_POLICY_KINDS[entry["Type"]],
                name=str(summary.get("Name") or summary["Id"]),
                document=document,
                targets=sorted(_scope_id(str(t["TargetId"])) for t in entry["Targets"]),
                exempt_accounts=[str(management)] if management else [],
            )
        )
    return guardrails, scopes


def guardrail_records(
    organizations: Any, log: CoverageLog, organization_scope: Scope | None
) -> tuple[list[Guardrail], list[Scope]]:
    """The organization's guardrails and tree; nothing (and no gap beyond the one recorded
    already) when the organization itself could not be read."""
    if organization_scope is None:
        return [], []
    return normalize_guardrails(fetch_guardrails(organizations, log), organization_scope.id)


def placed(fresh: Inventory, before: Scope | None) -> Inventory:
    """``fresh`` (one account re-read) with its account scope kept under the OU or root the
    organization scan placed it in: a refresh reads no organization tree."""
    parent = before.parent_id if before is not None else None
    if before is None or not parent or not parent.startswith(("aws:ou:", "aws:root:")):
        return fresh
    scopes = [s.model_copy(update={"parent_id": parent}) if s.id == before.id else s for s in fresh.scopes]
    return fresh.model_copy(update={"scopes": scopes})
