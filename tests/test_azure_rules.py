"""Azure privilege levels and the rules that judge Azure (and shared) ideas, on typed inventories."""

from __future__ import annotations

from datetime import timedelta

import pytest

from standing.analysis.graph import PrivilegeGraph
from standing.analysis.privilege import PrivilegeLevel
from standing.analysis.privilege_azure import (
    CONTRIBUTOR,
    OWNER,
    READER,
    USER_ACCESS_ADMINISTRATOR,
    assess,
)
from standing.core.findings import Severity
from standing.core.model import (
    Credential,
    CredentialKind,
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
    Trust,
    TrustKind,
)
from standing.rules.registry import default_settings, run_rules
from tests.builders import NOW, days_ago

TENANT = "6d1f2b3a-4c5d-4e6f-8a9b-0c1d2e3f4a5b"
SUB = "/subscriptions/11111111-aaaa-4aaa-8aaa-111111111111"
RG = f"{SUB}/resourcegroups/rg"
MG = "/providers/microsoft.management/managementgroups/mg"
ENTRA = f"entra:{TENANT}"
SCOPES = [
    Scope(id=MG, provider=Provider.AZURE, kind=ScopeKind.MANAGEMENT_GROUP, name="mg"),
    Scope(id=SUB, provider=Provider.AZURE, kind=ScopeKind.SUBSCRIPTION, name="sub", parent_id=MG),
    Scope(id=RG, provider=Provider.AZURE, kind=ScopeKind.RESOURCE, name="rg", parent_id=SUB),
    Scope(id=ENTRA, provider=Provider.AZURE, kind=ScopeKind.TENANT, name="tenant"),
]


def arm_role(guid: str, name: str = "", actions=None, not_actions=(), custom=False) -> Role:
    docs = [{"kind": "arm-role-definition"}]
    if actions is not None:
        docs = [
            {
                "kind": "arm-role-definition",
                "roleType": "CustomRole" if custom else "BuiltInRole",
                "permissions": [{"actions": list(actions), "notActions": list(not_actions)}],
            }
        ]
    return Role(
        id=f"/providers/microsoft.authorization/roledefinitions/{guid}",
        provider=Provider.AZURE,
        name=name or guid,
        documents=docs,
        provider_managed=not custom,
    )


def graph_role(value: str) -> Role:
    return Role(
        id=f"approle:graph/{value}",
        provider=Provider.AZURE,
        name=value,
        documents=[{"kind": "graph-app-role", "value": value}],
        provider_managed=True,
    )


def directory_role(template: str, name: str) -> Role:
    return Role(
        id=f"directoryrole:{template}",
        provider=Provider.AZURE,
        name=name,
        documents=[{"kind": "directory-role", "templateId": template}],
        provider_managed=True,
    )


def sp(name: str, kind: IdentityKind = IdentityKind.SERVICE_PRINCIPAL, **fields) -> Identity:
    fields.setdefault("human", False)
    return Identity(id=f"sp-{name}", provider=Provider.AZURE, kind=kind, account=TENANT, name=name, **fields)


def grant(who: Identity, role: Role, scope: str, duration=GrantDuration.STANDING) -> Grant:
    return Grant(principal_id=who.id, role_id=role.id, scope_id=scope, duration=duration)


def secret(
    who: Identity,
    key: str,
    *,
    age: int = 10,
    expires_in: int | None = 60,
    active: bool | None = None,
    kind: CredentialKind = CredentialKind.CLIENT_SECRET,
) -> Credential:
    expires = None if expires_in is None else NOW + timedelta(days=expires_in)
    live = (expires is None or expires > NOW) if active is None else active
    return Credential(id=key, identity_id=who.id, kind=kind, active=live, created=days_ago(age), expires=expires)


def federated(who: Identity, key: str) -> Credential:
    return Credential(id=key, identity_id=who.id, kind=CredentialKind.FEDERATED, active=True)


def azure_inventory(*records) -> Inventory:
    buckets: dict[str, list] = {"identities": [], "credentials": [], "roles": [], "grants": [], "trusts": []}
    kinds = {Identity: "identities", Credential: "credentials", Role: "roles", Grant: "grants", Trust: "trusts"}
    for record in records:
        if record not in buckets[kinds[type(record)]]:
            buckets[kinds[type(record)]].append(record)
    meta = ScanMeta(tool_version="test", started_at=NOW, finished_at=NOW, providers=[Provider.AZURE])
    return Inventory(meta=meta, scopes=SCOPES, **buckets)


def found(*records) -> set[tuple[str, str]]:
    graph = PrivilegeGraph(azure_inventory(*records))
    return {(f.rule_id, f.identity) for f in run_rules(graph, default_settings(), NOW)}


OWNER_ROLE = arm_role(OWNER, "Owner")
CONTRIBUTOR_ROLE = arm_role(CONTRIBUTOR, "Contributor")
UAA_ROLE = arm_role(USER_ACCESS_ADMINISTRATOR, "User Access Administrator")
READER_ROLE = arm_role(READER, "Reader")


@pytest.mark.parametrize(
    "role, scope, expected",
    [
        (OWNER_ROLE, SUB, PrivilegeLevel.ADMIN),
        (OWNER_ROLE, MG, PrivilegeLevel.ADMIN),
        (OWNER_ROLE, "/", PrivilegeLevel.ADMIN),
        (OWNER_ROLE, RG, PrivilegeLevel.WRITE),  # scope matters
        (UAA_ROLE, MG, PrivilegeLevel.PRIVILEGE_MANAGEMENT),
        (UAA_ROLE, RG, PrivilegeLevel.WRITE),
        (CONTRIBUTOR_ROLE, SUB, PrivilegeLevel.WRITE),
        (READER_ROLE, SUB, PrivilegeLevel.READ),
        (
            arm_role("c0ffee00-0000-4000-8000-000000000001", "Custom admin", ["*"], custom=True),
            SUB,
            PrivilegeLevel.ADMIN,
        ),
        (
            arm_role(
                "c0ffee00-0000-4000-8000-000000000002",
                "RBAC writer",
                ["Microsoft.Authorization/roleAssignments/write"],
                custom=True,
            ),
            SUB,
            PrivilegeLevel.PRIVILEGE_MANAGEMENT,
        ),
        (
            arm_role(
                "c0ffee00-0000-4000-8000-000000000003",
                "Not RBAC",
                ["*"],
                ["Microsoft.Authorization/*/Write"],
                custom=True,
            ),
            SUB,
            PrivilegeLevel.WRITE,
        ),
        (graph_role("RoleManagement.ReadWrite.Directory"), ENTRA, PrivilegeLevel.ADMIN),
        (graph_role("AppRoleAssignment.ReadWrite.All"), ENTRA, PrivilegeLevel.PRIVILEGE_MANAGEMENT),
        (graph_role("Application.ReadWrite.All"), ENTRA, PrivilegeLevel.PRIVILEGE_MANAGEMENT),
        (graph_role("Mail.ReadWrite"), ENTRA, PrivilegeLevel.WRITE),
        (graph_role("Application.Read.All"), ENTRA, PrivilegeLevel.READ),
        (directory_role("62e90394-69f5-4237-9190-012177145e10", "Global Administrator"), ENTRA, PrivilegeLevel.ADMIN),
        (
            directory_role("e8611ab8-c189-46e8-94e1-60213ab1f814", "Privileged Role Administrator"),
            ENTRA,
            PrivilegeLevel.ADMIN,
        ),
        (
            directory_role("9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3", "Application Administrator"),
            ENTRA,
            PrivilegeLevel.PRIVILEGE_MANAGEMENT,
        ),
        (
            directory_role("9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3", "Application Administrator"),
            f"{ENTRA}/administrativeUnits/au",
            PrivilegeLevel.WRITE,
        ),
        (directory_role("88d8e3e3-8f55-4a1e-953a-9b9898b8876b", "Directory Readers"), ENTRA, PrivilegeLevel.READ),
    ],
)
def test_azure_privilege_levels(role, scope, expected):
    who = sp("x")
    assessment = assess([(grant(who, role, scope), role)])
    assert assessment.level is expected
    if expected >= PrivilegeLevel.WRITE:
        assert role.name in " ".join(assessment.evidence)


def test_strongest_grant_wins_with_its_evidence():
    who = sp("x")
    result = assess([(grant(who, READER_ROLE, SUB), READER_ROLE), (grant(who, OWNER_ROLE, MG), OWNER_ROLE)])
    assert result.level is PrivilegeLevel.ADMIN and result.evidence == (
        "Owner on management group mg allows every action, role assignments included",
    )


def test_broad_standing_roles_on_workloads_only():
    owner, eligible, timed, rg_owner, contributor, reader = (
        sp("owner"),
        sp("eligible"),
        sp("timed"),
        sp("rg-owner"),
        sp("contrib", IdentityKind.MANAGED_IDENTITY),
        sp("reader"),
    )
    person = Identity(
        id="user-1", provider=Provider.AZURE, kind=IdentityKind.USER, account=TENANT, name="alice", human=True
    )
    records = [
        owner,
        eligible,
        timed,
        rg_owner,
        contributor,
        reader,
        person,
        OWNER_ROLE,
        CONTRIBUTOR_ROLE,
        READER_ROLE,
        grant(owner, OWNER_ROLE, SUB),
        grant(eligible, OWNER_ROLE, SUB, GrantDuration.ELIGIBLE),
        grant(timed, OWNER_ROLE, SUB, GrantDuration.TIME_BOUND),
        grant(rg_owner, OWNER_ROLE, RG),
        grant(contributor, CONTRIBUTOR_ROLE, MG),
        grant(reader, READER_ROLE, SUB),
        grant(person, OWNER_ROLE, SUB),
    ]
    assert {p for p in found(*records) if p[0] == "azure-standing-privileged-role"} == {
        ("azure-standing-privileged-role", owner.id),
        ("azure-standing-privileged-role", contributor.id),
    }
    graph = PrivilegeGraph(azure_inventory(*records))
    severities = {
        f.identity: f.severity
        for f in run_rules(graph, default_settings(), NOW)
        if f.rule_id == "azure-standing-privileged-role"
    }
    assert severities == {owner.id: Severity.HIGH, contributor.id: Severity.MEDIUM}


def test_custom_role_with_wildcard_actions():
    star = arm_role(
        "c0ffee00-0000-4000-8000-00000000000a", "Star", ["*"], ["Microsoft.Authorization/*/Write"], custom=True
    )
    narrow = arm_role("c0ffee00-0000-4000-8000-00000000000b", "Narrow", ["Microsoft.Web/sites/*"], custom=True)
    a, b, c, d = sp("a"), sp("b"), sp("c"), sp("d")
    assert {
        p
        for p in found(
            a,
            b,
            c,
            d,
            star,
            narrow,
            OWNER_ROLE,
            grant(a, star, RG),
            grant(b, narrow, RG),
            grant(c, OWNER_ROLE, RG),
            grant(d, star, RG, GrantDuration.ELIGIBLE),
        )
        if p[0] == "azure-custom-role-wildcard"
    } == {("azure-custom-role-wildcard", a.id)}


def test_expired_secret_present_is_about_end_dates_only():
    app = sp("app")
    expired = secret(app, "k-expired", age=400, expires_in=-30)
    live = secret(app, "k-live", expires_in=30)
    never = secret(app, "k-never", expires_in=None)
    fed = federated(app, "k-fed")
    graph = PrivilegeGraph(azure_inventory(app, expired, live, never, fed))
    hits = [
        (f.rule_id, f.subject)
        for f in run_rules(graph, default_settings(), NOW)
        if f.rule_id == "expired-secret-present"
    ]
    assert hits == [("expired-secret-present", "k-expired")]


def test_federated_and_secrets_needs_a_live_secret_beside_federation():
    half, done, keys_only = sp("half"), sp("done"), sp("keys-only")
    records = [
        half,
        done,
        keys_only,
        federated(half, "f1"),
        secret(half, "s1"),
        federated(done, "f2"),
        secret(done, "s2", age=400, expires_in=-10),
        secret(keys_only, "s3"),
    ]
    assert {p for p in found(*records) if p[0] == "federated-and-secrets"} == {("federated-and-secrets", half.id)}


def test_owner_of_privileged_identity_is_an_escalation_edge():
    admin_app, reader_app = sp("admin-app"), sp("reader-app")
    rmrwd = graph_role("RoleManagement.ReadWrite.Directory")
    owner_trust = Trust(
        target_id=admin_app.id,
        principal="user-alice",
        kind=TrustKind.OWNER,
        actions=["add credentials to the application"],
    )
    harmless = Trust(target_id=reader_app.id, principal="user-bob", kind=TrustKind.OWNER)
    records = [
        admin_app,
        reader_app,
        rmrwd,
        READER_ROLE,
        grant(admin_app, rmrwd, ENTRA),
        grant(reader_app, READER_ROLE, SUB),
        owner_trust,
        harmless,
    ]
    graph = PrivilegeGraph(azure_inventory(*records))
    hits = [
        (f.rule_id, f.identity, f.evidence["owner"])
        for f in run_rules(graph, default_settings(), NOW)
        if f.rule_id == "owner-of-privileged-identity"
    ]
    assert hits == [("owner-of-privileged-identity", admin_app.id, "user-alice")]
