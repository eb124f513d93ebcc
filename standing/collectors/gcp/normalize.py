"""Pure: the raw GCP bundle (API or imported files) -> Inventory.

Canonical ids: a service account is its email; a key is its resource name
(``projects/p/serviceAccounts/e/keys/k``); scopes are ``organizations/N``, ``folders/N``,
``projects/<project id>`` and, for service-account-level policies,
``projects/<project id>/serviceAccounts/<email>``; a role is ``roles/editor`` or
``projects/p/roles/custom``. Members other than service accounts keep their IAM spelling
(``user:a@b``, ``group:...``, ``principalSet://...``).

Judgements made here, once:
- system-managed keys are recorded but are not user-managed (not standing secrets);
- a key of a disabled service account is inactive (it cannot authenticate), so neither
  ``key-unused`` nor ``key-too-old`` flags it;
- ``valid_before`` in year 9999 means "never expires";
- a binding whose condition is ``request.time < timestamp(...)`` is time-bound, not standing;
- token creator, service account user (actAs), key admin and workload identity user become
  trusts into the service account; granted on a project, folder or organization they reach
  every service account beneath it;
- with a successful Policy Analyzer query, no activity means "never used"; without one, unknown;
- an active IAM Recommender role recommendation for a service account is its usage record
  (``PermissionUsage``, source ``gcp-recommender``): the bindings Google would remove or replace;
- a custom role read from IAM carries its ``includedPermissions``, so it is judged by what it
  grants; a custom role that grants nothing (``stage: DISABLED``, ``deleted: true``, or missing
  from a successful listing of its project or organization, which leaves deleted roles out)
  is kept as a record without permissions, and its bindings are not grants: Google says such
  a binding "has no effect". A bound custom role whose definition was not read keeps no
  permissions and is judged by its name, as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

import standing
from standing.collectors.gcp.guardrails import normalize_deny_policies
from standing.collectors.gcp.recommender import usage_records
from standing.collectors.gcp.workloads import normalize_workloads
from standing.core.model import (
    CoverageEntry,
    Credential,
    CredentialKind,
    FederationKind,
    FederationProvider,
    Grant,
    GrantDuration,
    Identity,
    IdentityKind,
    Inventory,
    Provider,
    Role,
    ScanMeta,
    Scope,
    ScopeKind,
    ScopePolicy,
    Trust,
    TrustKind,
    UsageStatus,
)
from standing.core.trust_conditions import parse_gcp_iam_condition

IMPERSONATION_ROLES = {
    "roles/iam.serviceAccountTokenCreator": TrustKind.IMPERSONATION,
    "roles/iam.serviceAccountUser": TrustKind.IMPERSONATION,
    "roles/iam.workloadIdentityUser": TrustKind.IMPERSONATION,
    "roles/iam.serviceAccountKeyAdmin": TrustKind.OWNER,
}
_SA_NAME = re.compile(r"^projects/([^/]+)/serviceAccounts/([^/]+)$")
_KEY_NAME = re.compile(r"^projects/([^/]+)/serviceAccounts/([^/]+)/keys/([^/]+)$")
_POOL_MEMBER = re.compile(
    r"^principal(?:Set)?://iam\.googleapis\.com/projects/([^/]+)/locations/global/"
    r"workloadIdentityPools/([^/]+)/(.*)$"
)
_COMPROMISE = {
    "SERVICE_ACCOUNT_KEY_DISABLE_REASON_EXPOSED": "key exposed",
    "SERVICE_ACCOUNT_KEY_DISABLE_REASON_COMPROMISE_DETECTED": "compromise detected",
    "SERVICE_ACCOUNT_KEY_EXTENDED_STATUS_KEY_EXPOSED": "key exposed",
    "SERVICE_ACCOUNT_KEY_EXTENDED_STATUS_COMPROMISE_DETECTED": "compromise detected",
}


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    # RFC 3339 may carry nanoseconds; Python takes at most microseconds.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def grant_duration(expression: str | None) -> tuple[GrantDuration, datetime | None]:
    """A condition that ends at a fixed time makes the grant time-bound."""
    expires = parse_gcp_iam_condition(expression).expires
    if expires is not None:
        return GrantDuration.TIME_BOUND, expires
    return GrantDuration.STANDING, None


def member_id(member: str) -> str | None:
    """Our id for an IAM member; None for deleted principals."""
    if member.startswith("deleted:"):
        return None
    if member.startswith("serviceAccount:"):
        return member.split(":", 1)[1].lower()
    return member


class _Projects:
    """Project number <-> id: policies and names use either."""

    def __init__(self, projects: list[dict[str, Any]]) -> None:
        self.by_id = {p["projectId"]: p for p in projects if p.get("projectId")}
        self.number_to_id: dict[str, str] = {
            p["name"].split("/", 1)[1]: p["projectId"] for p in projects if p.get("projectId") and p.get("name")
        }

    def canonical(self, ref: str) -> str:
        """``1001`` or ``acme-prod`` -> ``acme-prod`` (unknown numbers stay numbers)."""
        return self.number_to_id.get(ref, ref)


def normalize_estate(raw: dict[str, Any], *, now: datetime) -> Inventory:
    projects = _Projects(raw.get("projects", []))
    scopes = _scopes(raw, projects)
    parents = {s.id: s.parent_id for s in scopes}
    accounts = raw.get("serviceAccounts", [])
    disabled = {a["email"].lower() for a in accounts if a.get("disabled")}
    identities = [_identity(a, raw) for a in accounts]
    sa_by_project: dict[str, list[str]] = {}
    for identity in identities:
        sa_by_project.setdefault(identity.account, []).append(identity.id)
    # after the project map: a binding on a project does not reach Google's build account
    identities += _legacy_build_accounts(raw, projects, {i.id for i in identities})
    credentials = [_credential(k, raw, disabled) for k in raw.get("keys", [])]
    roles, inert = _custom_roles(raw, projects)
    grants: list[Grant] = []
    trusts: list[Trust] = []
    wif_bindings: list[tuple[str, str, str]] = []  # (member, target service account, role)
    for entry in raw.get("policies", []):
        resource = _canonical_resource(entry["resource"], projects)
        targets = _targets(resource, sa_by_project, parents)
        for binding in entry["policy"].get("bindings", []):
            role = binding["role"]
            roles.setdefault(
                role, Role(id=role, provider=Provider.GCP, name=role, provider_managed=role.startswith("roles/"))
            )
            if role in inert:
                continue  # a disabled or deleted custom role contributes no permission
            condition = (binding.get("condition") or {}).get("expression")
            duration, expires = grant_duration(condition)
            for member in binding.get("members", []):
                principal = member_id(member)
                if principal is None:
                    continue
                grants.append(
                    Grant(
                        principal_id=principal,
                        role_id=role,
                        scope_id=resource,
                        duration=duration,
                        expires=expires,
                        condition=condition,
                    )
                )
                if role not in IMPERSONATION_ROLES:
                    continue
                if _POOL_MEMBER.match(member):
                    wif_bindings.extend((member, t, role) for t in targets)
                    continue
                kind = TrustKind.ANY if member in ("allUsers", "allAuthenticatedUsers") else IMPERSONATION_ROLES[role]
                trusts.extend(
                    Trust(
                        target_id=t,
                        principal=principal,
                        kind=kind,
                        actions=[role],
                        conditions={"expression": condition} if condition else {},
                    )
                    for t in targets
                    if t != principal
                )
    federation, oidc_trusts = _federation(raw, projects, wif_bindings)
    return Inventory(
        meta=ScanMeta(tool_version=standing.__version__, started_at=now, finished_at=now, providers=[Provider.GCP]),
        identities=identities,
        credentials=credentials,
        roles=sorted(roles.values(), key=lambda r: r.id),
        scopes=scopes,
        grants=grants,
        trusts=trusts + oidc_trusts,
        federation=federation,
        scope_policies=[_scope_policy(p, projects) for p in raw.get("orgPolicies", [])],
        workloads=normalize_workloads(raw),
        guardrails=normalize_deny_policies(raw.get("denyPolicies", [])),
        usage=usage_records(
            raw.get("recommendations", []),
            canonical=lambda r: _canonical_resource(r, projects),
            parse_time=parse_time,
            observed=now,
        ),
        coverage=[CoverageEntry.model_validate(c) for c in raw.get("coverage", [])],
    )


_CUSTOM_ROLE = re.compile(r"^(projects|organizations)/([^/]+)/roles/([^/]+)$")


def _custom_roles(raw: dict[str, Any], projects: _Projects) -> tuple[dict[str, Role], set[str]]:
    """Custom role definitions as ``Role`` records, and the ids of those that grant nothing.

    Bindings name a role as it was defined (``projects/<id>/roles/X``, ``organizations/N/roles/X``).
    """
    roles: dict[str, Role] = {}
    inert: set[str] = set()
    for definition in raw.get("customRoles", []):
        role_id = _canonical_resource(definition["name"], projects)
        match = _CUSTOM_ROLE.match(role_id)
        if match is None:
            continue  # a predefined role in a custom role file: Google's own, judged by id
        stage = definition.get("stage", "ALPHA")  # ALPHA, the enum's zero, is left out on the wire
        granting = stage != "DISABLED" and not definition.get("deleted")
        if not granting:
            inert.add(role_id)
        roles[role_id] = Role(
            id=role_id,
            provider=Provider.GCP,
            name=definition.get("title") or role_id,
            account=match.group(2) if match.group(1) == "projects" else None,
            permissions=sorted(set(definition.get("includedPermissions") or [])) if granting else [],
            documents=[{"kind": "gcp-custom-role", "stage": stage, "deleted": bool(definition.get("deleted"))}],
        )
    listed = {_canonical_resource(scope, projects) for scope in raw.get("customRoleScopes", [])}
    for entry in raw.get("policies", []):
        for binding in entry["policy"].get("bindings", []):
            match = _CUSTOM_ROLE.match(binding["role"])
            if match and binding["role"] not in roles and f"{match.group(1)}/{match.group(2)}" in listed:
                inert.add(binding["role"])  # bound, but deleted: the listing leaves deleted roles out
    return roles, inert


def _canonical_resource(resource: str, projects: _Projects) -> str:
    parts = resource.split("/")
    if parts[0] == "projects" and len(parts) >= 2:
        parts[1] = projects.canonical(parts[1])
        if len(parts) == 4 and parts[2] == "serviceAccounts":
            parts[3] = parts[3].lower()
    return "/".join(parts)


def _scopes(raw: dict[str, Any], projects: _Projects) -> list[Scope]:
    scopes: dict[str, Scope] = {}
    org = raw.get("organization")
    if org:
        scopes[org["name"]] = Scope(
            id=org["name"],
            provider=Provider.GCP,
            kind=ScopeKind.ORGANIZATION,
            name=org.get("displayName") or org["name"],
        )
    for folder in raw.get("folders", []):
        scopes[folder["name"]] = Scope(
            id=folder["name"],
            provider=Provider.GCP,
            kind=ScopeKind.FOLDER,
            name=folder.get("displayName") or folder["name"],
            parent_id=folder.get("parent"),
        )
    for project in raw.get("projects", []):
        pid = f"projects/{project['projectId']}"
        scopes[pid] = Scope(
            id=pid,
            provider=Provider.GCP,
            kind=ScopeKind.PROJECT,
            name=project.get("displayName") or project["projectId"],
            parent_id=project.get("parent"),
        )
    for entry in raw.get("policies", []):
        resource = _canonical_resource(entry["resource"], projects)
        match = _SA_NAME.match(resource)
        if match and resource not in scopes:
            scopes[resource] = Scope(
                id=resource,
                provider=Provider.GCP,
                kind=ScopeKind.RESOURCE,
                name=match.group(2),
                parent_id=f"projects/{match.group(1)}",
            )
    return list(scopes.values())


def _targets(resource: str, sa_by_project: dict[str, list[str]], parents: dict[str, str | None]) -> list[str]:
    """Service accounts a grant on ``resource`` reaches."""
    match = _SA_NAME.match(resource)
    if match:
        return [match.group(2)]
    found = []
    for project, emails in sa_by_project.items():
        scope: str | None = f"projects/{project}"
        while scope is not None:
            if scope == resource:
                found.extend(emails)
                break
            scope = parents.get(scope)
    return found


_LEGACY_BUILD_MEMBER = re.compile(r"^serviceAccount:(\d+)@cloudbuild\.gserviceaccount\.com$", re.IGNORECASE)


def _legacy_build_accounts(raw: dict[str, Any], projects: _Projects, known: set[str]) -> list[Identity]:
    """The legacy Cloud Build account ``<project number>@cloudbuild.gserviceaccount.com`` of each
    scanned project whose policies name it.

    ListServiceAccounts never returns it (Google owns it), yet builds run as it unless told
    otherwise, with whatever the project's bindings grant it: without an identity for it, the
    hop to it (``gcp-cloudbuild-002``) and its grants would be lost. It is Google-managed
    (``provider_managed``): judged as a target, never as a workload identity of the estate.
    """
    found: dict[str, Identity] = {}
    for entry in raw.get("policies", []):
        for binding in entry["policy"].get("bindings", []):
            for member in binding.get("members", []):
                match = _LEGACY_BUILD_MEMBER.match(member)
                if match is None:
                    continue
                project, email = projects.number_to_id.get(match.group(1)), member.split(":", 1)[1].lower()
                if project is None or email in known or email in found:
                    continue  # another organization's build account, or already known
                found[email] = Identity(
                    id=email,
                    provider=Provider.GCP,
                    kind=IdentityKind.SERVICE_ACCOUNT,
                    account=project,
                    name=email,
                    human=False,
                    provider_managed=True,
                    tags={"displayName": "Cloud Build legacy service account"},
                )
    return list(found.values())


def _identity(account: dict[str, Any], raw: dict[str, Any]) -> Identity:
    email = account["email"].lower()
    last = _last_authentication(raw, email, account.get("uniqueId"))
    project = account.get("projectId") or email.split("@", 1)[1].split(".", 1)[0]
    return Identity(
        id=email,
        provider=Provider.GCP,
        kind=IdentityKind.SERVICE_ACCOUNT,
        account=project,
        name=email,
        path=account.get("name"),
        last_used=last,
        last_used_status=_status(last, f"projects/{project}", raw),
        human=False,
        disabled=bool(account.get("disabled")),
        tags={"displayName": account["displayName"]} if account.get("displayName") else {},
        aliases=[account["uniqueId"]] if account.get("uniqueId") else [],
    )


def _status(last: datetime | None, scope: str, raw: dict[str, Any]) -> UsageStatus:
    """Used, never used (the project's activity was read and shows none), or unknown (not read).

    Policy Analyzer's activity query answers per project with the last authentication it
    observed (``serviceAccountLastAuthentication`` / ``serviceAccountKeyLastAuthentication``);
    Google's reference documents no trailing window for it (unlike AWS's 400 days for
    ``RoleLastUsed``: see https://cloud.google.com/policy-intelligence/docs/service-account-usage-tools
    and https://cloud.google.com/iam/docs/service-account-recent-usage), so "no entry in a project
    that was read" is "no use on record" and has no window to state. Its 90-day cousin, the
    Recommender's service-account insight, is not what this reads. A project whose activity was
    not read stays unknown.
    """
    if last is not None:
        return UsageStatus.USED
    return UsageStatus.NEVER if scope in raw.get("activityScopes", []) else UsageStatus.UNKNOWN


def _last_authentication(
    raw: dict[str, Any], email: str, unique_id: str | None, key_id: str | None = None
) -> datetime | None:
    wanted = "serviceAccountKeyLastAuthentication" if key_id else "serviceAccountLastAuthentication"
    best: datetime | None = None
    for item in raw.get("activities", []):
        if item.get("activityType") != wanted:
            continue
        name = item.get("fullResourceName", "")
        if key_id:
            if not name.endswith(f"/keys/{key_id}"):
                continue
        else:
            tail = name.rsplit("/serviceAccounts/", 1)[-1].lower()
            if tail not in {email, (unique_id or "").lower()}:
                continue
        when = parse_time((item.get("activity") or {}).get("lastAuthenticatedTime"))
        if when is not None and (best is None or when > best):
            best = when
    return best


def _credential(key: dict[str, Any], raw: dict[str, Any], disabled: set[str]) -> Credential:
    match = _KEY_NAME.match(key["name"])
    if match is None:
        raise ValueError(f"not a service account key name: {key['name']!r}")
    project, email, key_id = match.group(1), match.group(2).lower(), match.group(3)
    expires = parse_time(key.get("validBeforeTime"))
    if expires is not None and expires.year >= 9999:
        expires = None
    user_managed = key.get("keyType", "USER_MANAGED") == "USER_MANAGED"
    flags = [key.get("disableReason", "")] + [s.get("key", "") for s in key.get("extendedStatus", [])]
    compromised = sorted({_COMPROMISE[f] for f in flags if f in _COMPROMISE})
    last = _last_authentication(raw, email, None, key_id) if user_managed else None
    return Credential(
        id=f"projects/{project}/serviceAccounts/{email}/keys/{key_id}",
        identity_id=email,
        kind=CredentialKind.SA_KEY,
        active=not key.get("disabled", False) and email not in disabled,
        created=parse_time(key.get("validAfterTime")),
        expires=expires,
        last_used=last,
        last_used_status=_status(last, f"projects/{project}", raw) if user_managed else UsageStatus.UNKNOWN,
        user_managed=user_managed,
        compromised=", ".join(compromised) or None,
    )


def _federation(
    raw: dict[str, Any], projects: _Projects, bindings: list[tuple[str, str, str]]
) -> tuple[list[FederationProvider], list[Trust]]:
    federation: list[FederationProvider] = []
    trusts: list[Trust] = []
    for pool in raw.get("workloadIdentityPools", []):
        pool_project = projects.canonical(pool["name"].split("/")[1])
        pool_id = pool["name"].rsplit("/", 1)[-1]
        if pool.get("disabled") or pool.get("state", "ACTIVE") != "ACTIVE":
            continue
        for provider in pool.get("providers", []):
            if provider.get("disabled") or provider.get("state", "ACTIVE") != "ACTIVE":
                continue
            source = _pool_source(provider)
            if source is None:
                continue  # SAML and X.509 providers: no identity of ours signs in through them
            federation.append(
                FederationProvider(
                    id=provider["name"],
                    provider=Provider.GCP,
                    kind=source.kind,
                    account=pool_project,
                    url=source.issuer_url,
                    audiences=source.audiences,
                )
            )
            for member, target, role in bindings:
                match = _POOL_MEMBER.match(member)
                if match is None or match.group(2) != pool_id or projects.canonical(match.group(1)) != pool_project:
                    continue
                conditions: dict[str, Any] = {}
                if provider.get("attributeCondition"):
                    conditions["attributeCondition"] = provider["attributeCondition"]
                if match.group(3) != "*":
                    conditions["member"] = member  # principal://.../subject/S or .../attribute.X/V
                trusts.append(_pool_trust(source, provider["name"], target, role, conditions, match.group(3)))
    return federation, trusts


@dataclass(frozen=True)
class _PoolSource:
    """Who signs in through a pool provider: an OIDC issuer, or an AWS account."""

    kind: FederationKind
    issuer_url: str
    audiences: list[str]
    aws_account: str | None = None


def _pool_source(provider: dict[str, Any]) -> _PoolSource | None:
    if provider.get("oidc"):
        oidc = provider["oidc"]
        return _PoolSource(FederationKind.OIDC, oidc.get("issuerUri", ""), list(oidc.get("allowedAudiences", [])))
    if provider.get("aws", {}).get("accountId"):
        return _PoolSource(FederationKind.AWS, "sts.amazonaws.com", [], aws_account=provider["aws"]["accountId"])
    return None


_AWS_ROLE_MEMBER = re.compile(r"^attribute\.aws_role/arn:aws:sts::(\d{12}):assumed-role/([^/]+)")


def _pool_trust(
    source: _PoolSource, provider: str, target: str, role: str, conditions: dict[str, Any], member_tail: str
) -> Trust:
    if source.aws_account is None:
        return Trust(
            target_id=target,
            principal=provider,
            kind=TrustKind.OIDC,
            actions=[role],
            conditions=conditions,
            issuer=urlparse(source.issuer_url).netloc or source.issuer_url,
        )
    # AWS callers: a member naming one assumed role admits that role; otherwise the account.
    pinned = _AWS_ROLE_MEMBER.match(member_tail)
    if pinned is not None and pinned.group(1) == source.aws_account:
        conditions = {k: v for k, v in conditions.items() if k != "member"}
        return Trust(
            target_id=target,
            principal=f"arn:aws:iam::{pinned.group(1)}:role/{pinned.group(2)}",
            kind=TrustKind.PRINCIPAL,
            actions=[role],
            conditions=conditions,
            issuer=source.issuer_url,
        )
    return Trust(
        target_id=target,
        principal=f"arn:aws:iam::{source.aws_account}:root",
        kind=TrustKind.ACCOUNT,
        actions=[role],
        conditions=conditions,
        issuer=source.issuer_url,
    )


def _scope_policy(entry: dict[str, Any], projects: _Projects) -> ScopePolicy:
    scope = _canonical_resource(entry["scope"], projects)
    rules = ((entry.get("policy") or {}).get("spec") or {}).get("rules", [])
    unconditional = [r for r in rules if not r.get("condition")]
    allowed = [v for r in unconditional for v in (r.get("values") or {}).get("allowedValues", [])]
    enforced = any(r.get("enforce") is True for r in unconditional) or bool(allowed)
    return ScopePolicy(
        provider=Provider.GCP,
        scope_id=scope,
        constraint=entry["constraint"],
        enforced=enforced,
        detail=", ".join(allowed) or None,
    )
