"""Standing access held by a party outside the scanned estate: another AWS account, another
Google domain or project, another Entra tenant.

The outside party signs in with credentials we neither see nor rotate, so its access cannot
be made just-in-time from our side; what we can do is know it, grade it by what it reaches,
and surround it with controls (the planner's compensating path). Severity follows the
privilege the outside party gets: admin is critical, privilege management high, write
medium, read-only low.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from standing.analysis.graph import PrivilegeGraph
from standing.analysis.privilege import PrivilegeAssessment, PrivilegeLevel
from standing.analysis.privilege_gcp import assess as assess_gcp
from standing.core.facts import admits_anyone
from standing.core.findings import Severity
from standing.core.model import Grant, GrantDuration, Identity, IdentityKind, Provider, ScopeKind, Trust, TrustKind
from standing.core.traits import Trait
from standing.rules.engine import Hit, Rule

_AWS_ACCOUNT = re.compile(r"^(?:arn:aws[\w-]*:(?:iam|sts)::(\d{12}):.*|(\d{12}))$")
_SA_EMAIL = re.compile(r"^[^@]+@([a-z][a-z0-9-]{4,28}[a-z0-9])\.iam\.gserviceaccount\.com$")
_APPSPOT = re.compile(r"^([a-z][a-z0-9-]{4,28}[a-z0-9])@appspot\.gserviceaccount\.com$")
_DOMAIN = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")
_PEOPLE = {"user": IdentityKind.USER, "group": IdentityKind.GROUP, "domain": IdentityKind.GROUP}

SEVERITY_BY_PRIVILEGE = {
    PrivilegeLevel.ADMIN: Severity.CRITICAL,
    PrivilegeLevel.PRIVILEGE_MANAGEMENT: Severity.HIGH,
    PrivilegeLevel.WRITE: Severity.MEDIUM,
    PrivilegeLevel.READ: Severity.LOW,
    PrivilegeLevel.NONE: Severity.LOW,
}


def _reach(graph: PrivilegeGraph, identity_id: str) -> PrivilegeAssessment:
    """What becoming the identity gives: its own privilege, or admin when it has a path there."""
    own = graph.privilege_of(identity_id)
    if own.level < PrivilegeLevel.ADMIN and identity_id in graph.paths_to_admin:
        return PrivilegeAssessment(PrivilegeLevel.ADMIN, (*own.evidence, "has an escalation path to admin"))
    return own


def _privilege_evidence(assessment: PrivilegeAssessment) -> dict[str, Any]:
    return {"privilege": assessment.level.label, "because": list(assessment.evidence)}


class AwsThirdPartyTrust(Rule):
    """A role that a principal of another AWS account, one this scan does not cover, may assume.

    An account is ours when the scan read it (its account scope, or any identity in it, as
    ``PrivilegeGraph.known_accounts``: scan the whole organization to count its members as ours).
    With or without ``sts:ExternalId`` the partner holds this role's privilege standing, through
    its own credentials. ``open-trust`` separately reports a trust with no condition at all (its
    fix is to pin the trust); this rule reports who outside holds what, once per role and
    outside account, graded by the role's privilege (or a path from it to admin).
    """

    id = "third-party-aws-trust"
    title = "Role trusted by an AWS account outside the estate"
    severity = Severity.MEDIUM
    traits = frozenset({Trait.THIRD_PARTY, Trait.ADMITS_OUTSIDERS})

    def evaluate(self, graph: PrivilegeGraph, params: object, now: datetime) -> Iterable[Hit]:
        known = graph.known_accounts
        for identity in graph.identities():
            if identity.provider is not Provider.AWS or identity.provider_managed:
                continue
            outside: dict[str, list[Trust]] = {}
            for trust in graph.trusts_into(identity.id):
                if trust.kind not in (TrustKind.ACCOUNT, TrustKind.PRINCIPAL) or admits_anyone(trust):
                    continue
                match = _AWS_ACCOUNT.match(trust.principal)
                account = (match.group(1) or match.group(2)) if match else None
                if account and account not in known:
                    outside.setdefault(account, []).append(trust)
            if not outside:
                continue
            reach = _reach(graph, identity.id)
            for account, trusts in sorted(outside.items()):
                external_id = all(any(s.key.lower() == "sts:externalid" for s in t.condition.sources) for t in trusts)
                yield Hit(
                    identity=identity,
                    severity=SEVERITY_BY_PRIVILEGE[reach.level],
                    discriminator=account,
                    message=f"AWS account {account}, outside this estate, can assume {identity.name} "
                    f"({reach.level.label})" + ("" if external_id else ", with no sts:ExternalId"),
                    evidence={
                        "outside_party": account,
                        "outside_kind": "aws-account",
                        "principals": sorted({t.principal for t in trusts}),
                        "external_id": external_id,
                        **_privilege_evidence(reach),
                    },
                )


class GcpThirdPartyParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    domains: list[str] = []  # our Google domains, beside the organization's (its display name)
    projects: list[str] = []  # our project ids, beside the scanned ones


class GcpThirdPartyBinding(Rule):
    """A GCP role binding held by a principal outside the organization's domain or projects.

    What is ours, stated rather than guessed: our projects are the projects this scan read (plus
    ``projects`` in ``[rules.third-party-gcp-binding]``); our domains are the organization's
    display name, which Google sets to its primary Cloud Identity domain (plus ``domains``). A
    service account ``x@P.iam.gserviceaccount.com`` (or ``P@appspot.gserviceaccount.com``) is
    outside when project P is not ours; a ``user:``, ``group:`` or ``domain:`` member is outside
    when its domain is not ours. When no domain is known (no organization read, none configured),
    people and groups are not judged at all. Google's own service agents and public members
    (``allUsers``: see the impersonation and basic-role rules) are not third parties, and a
    principal whose every binding ends with a time condition holds nothing standing. One finding
    per outside principal, graded by the strongest standing role it holds (by scope).
    """

    id = "third-party-gcp-binding"
    title = "GCP role held by a principal outside the organization"
    severity = Severity.MEDIUM
    traits = frozenset({Trait.THIRD_PARTY, Trait.ADMITS_OUTSIDERS})
    Params = GcpThirdPartyParams

    def evaluate(self, graph: PrivilegeGraph, params: GcpThirdPartyParams, now: datetime) -> Iterable[Hit]:
        scopes = graph.inventory.scopes
        # A project scope is "projects/P" as the collectors write it; a hand-made snapshot may say "P".
        projects = {
            s.id.rsplit("/", 1)[-1] for s in scopes if s.provider is Provider.GCP and s.kind is ScopeKind.PROJECT
        }
        projects |= {p.lower() for p in params.projects}
        domains = {d.lower() for d in params.domains} | {
            s.name.lower()
            for s in scopes
            if s.provider is Provider.GCP and s.kind is ScopeKind.ORGANIZATION and _DOMAIN.match(s.name.lower())
        }
        held: dict[str, list[Grant]] = {}
        for grant in graph.inventory.grants:
            role = graph.role(grant.role_id)
            if role is None or role.provider is not Provider.GCP or graph.identity(grant.principal_id) is not None:
                continue
            held.setdefault(grant.principal_id, []).append(grant)
        for principal, grants in sorted(held.items()):
            outside = _gcp_outsider(principal, projects, domains)
            if outside is None:
                continue
            kind, party, party_kind = outside
            standing = [g for g in grants if g.duration is GrantDuration.STANDING]
            if not standing:
                continue  # every binding ends with a time condition: not standing access
            reach = assess_gcp([(g, r) for g in standing if (r := graph.role(g.role_id)) is not None])
            # The finding lives where the access is held (our project), so a later scan of that
            # project can resolve it; the outside party is named in the message and evidence.
            where = sorted(g.scope_id for g in grants)[0]
            ours = where.split("/")[1] if where.startswith("projects/") else where
            who = Identity(id=principal, provider=Provider.GCP, kind=kind, account=ours, name=principal, human=None)
            yield Hit(
                identity=who,
                severity=SEVERITY_BY_PRIVILEGE[reach.level],
                message=f"{principal}, of {party_kind} {party} ("
                + ("not one this scan read" if party_kind == "project" else "not the organization's")
                + f"), holds "
                f"{', '.join(sorted({g.role_id for g in grants}))} ({reach.level.label})",
                evidence={
                    "outside_party": party,
                    "outside_kind": party_kind,
                    "principal_kind": kind.value,
                    "grants": [{"role": g.role_id, "scope": g.scope_id, "duration": g.duration.value} for g in grants],
                    "our_domains": sorted(domains),
                    **_privilege_evidence(reach),
                },
            )


def _gcp_outsider(principal: str, projects: set[str], domains: set[str]) -> tuple[IdentityKind, str, str] | None:
    """(kind, outside party, what the party is) for a principal outside ours, else None."""
    prefix, _, value = principal.partition(":")
    if prefix in _PEOPLE and value:
        if not domains:
            return None  # our domain is unknown: people are not judged (see the docstring)
        domain = value.rsplit("@", 1)[-1].lower()
        return None if domain in domains else (_PEOPLE[prefix], domain, "domain")
    match = _SA_EMAIL.match(principal) or _APPSPOT.match(principal)
    if match is None:
        return None  # a service agent, a public member, a workload identity pool: not a third party here
    project = match.group(1)
    if project.startswith("gcp-sa-") or project in projects:
        return None
    return IdentityKind.SERVICE_ACCOUNT, project, "project"


class AzureThirdPartyApp(Rule):
    """A multi-tenant application registered in another tenant holds a role in ours.

    Its service principal here signs in with credentials kept in the publisher's tenant
    (``appOwnerOrganizationId`` is not the scanned tenant, and not Microsoft's, whose first-party
    apps are the provider's own). Whatever Azure RBAC, directory role or Graph application
    permission it holds, the publisher holds standing. A third-party app holding no role is
    not reported.
    """

    id = "third-party-azure-app"
    title = "Application of another tenant holds a role in this tenant"
    severity = Severity.MEDIUM
    traits = frozenset({Trait.THIRD_PARTY, Trait.ADMITS_OUTSIDERS})

    def evaluate(self, graph: PrivilegeGraph, params: object, now: datetime) -> Iterable[Hit]:
        for identity in graph.identities():
            tenant = identity.tags.get("entra.thirdParty")
            if identity.provider is not Provider.AZURE or not tenant or identity.provider_managed:
                continue
            held = [(g, r) for g in graph.standing_grants_of(identity.id) if (r := graph.role(g.role_id)) is not None]
            if not held:
                continue
            reach = _reach(graph, identity.id)
            yield Hit(
                identity=identity,
                severity=SEVERITY_BY_PRIVILEGE[reach.level],
                message=f"{identity.name}, an application of tenant {tenant}, holds "
                f"{', '.join(sorted({r.name for _, r in held}))} in this tenant ({reach.level.label})",
                evidence={
                    "outside_party": tenant,
                    "outside_kind": "entra-tenant",
                    "roles": sorted({f"{r.name} on {g.scope_id}" for g, r in held}),
                    **_privilege_evidence(reach),
                },
            )
