"""Guardrails above the account cut escalation hops: each cut shown with its near misses."""

from __future__ import annotations

from io import StringIO

from rich.console import Console

from standing.analysis.graph import PrivilegeGraph
from standing.analysis.guardrails import cut_hops, split_hops
from standing.analysis.hops import ADMIN_SINK, Hop, HopKind
from standing.core.model import (
    Guardrail,
    GuardrailKind,
    Identity,
    IdentityKind,
    Inventory,
    Provider,
    ScanMeta,
    Scope,
    ScopeKind,
    TrustKind,
)
from standing.reports.explain import render_explanation
from standing.rules.analyse import analyse
from standing.rules.config import ScanConfig
from tests.builders import ACCOUNT, NOW, allow, arn, grant, inventory, policy, role, trust

ADMIN_ROLE = role("admin")
ADMIN_POLICY = policy("Admin", allow("*"))
ROOT = "aws:root:r-ab12"
PROD_OU = "aws:ou:ou-ab12-prod"
SANDBOX_OU = "aws:ou:ou-ab12-sandbox"
FULL_ACCESS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def deny(*actions: str) -> dict[str, object]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": list(actions), "Resource": "*"}]}


def scp(pid: str, name: str, document: dict[str, object], *targets: str, kind=GuardrailKind.SCP, **fields) -> Guardrail:
    return Guardrail(
        id=pid, provider=Provider.AWS, kind=kind, name=name, document=document, targets=list(targets), **fields
    )


def org_scopes(account_ou: str = PROD_OU) -> list[Scope]:
    """The organization tree: root, two OUs under it, the account in ``account_ou``."""
    return [
        Scope(id=ROOT, provider=Provider.AWS, kind=ScopeKind.ORGANIZATION, name="Root"),
        Scope(id=PROD_OU, provider=Provider.AWS, kind=ScopeKind.FOLDER, name="prod", parent_id=ROOT),
        Scope(id=SANDBOX_OU, provider=Provider.AWS, kind=ScopeKind.FOLDER, name="sandbox", parent_id=ROOT),
        Scope(
            id=f"aws:account:{ACCOUNT}",
            provider=Provider.AWS,
            kind=ScopeKind.ACCOUNT,
            name=ACCOUNT,
            parent_id=account_ou,
        ),
    ]


def jump_estate(*guardrails: Guardrail, jump: Identity | None = None) -> tuple[Identity, Inventory]:
    """A jump role EC2 runs as, allowed to assume the admin role whose trust names it."""
    jump = jump or role("jump")
    pol = policy("JumpAssume", allow("sts:AssumeRole", arn("role", "admin")))
    inv = inventory(
        ADMIN_ROLE,
        ADMIN_POLICY,
        grant(ADMIN_ROLE, ADMIN_POLICY),
        jump,
        pol,
        grant(jump, pol),
        trust(jump, "ec2.amazonaws.com", TrustKind.SERVICE),
        trust(ADMIN_ROLE, jump.id, TrustKind.PRINCIPAL),
    )
    return jump, inv.model_copy(update={"scopes": org_scopes(), "guardrails": list(guardrails)})


def paths(inv: Inventory) -> set[str]:
    return {f.identity for f in analyse(inv, ScanConfig(), as_of=NOW) if f.rule_id == "path-to-admin"}


def explained(inv: Inventory, identity: Identity) -> str:
    out = StringIO()
    render_explanation(Console(file=out, width=300), PrivilegeGraph(inv), identity, [])
    return out.getvalue()


BASE = scp("p-FullAWSAccess", "FullAWSAccess", FULL_ACCESS, ROOT, PROD_OU, SANDBOX_OU, f"aws:account:{ACCOUNT}")


def test_an_scp_denying_assume_role_on_the_accounts_ou_removes_the_path_and_explain_names_it():
    deny_assume = scp("p-noassume", "NoAssumeRole", deny("sts:AssumeRole"), PROD_OU)
    jump, inv = jump_estate(BASE, deny_assume)
    assert jump.id not in paths(inv)
    [cut] = cut_hops(PrivilegeGraph(inv))
    assert (cut.hop.source, cut.hop.target, cut.guardrail.id, cut.action) == (
        jump.id,
        ADMIN_ROLE.id,
        "p-noassume",
        "sts:AssumeRole",
    )
    text = explained(inv, jump)
    assert "Stopped by a guardrail" in text and "scp NoAssumeRole (p-noassume) denies" in text
    assert "Path to admin" not in text


def test_near_misses_an_scp_on_another_ou_or_denying_another_action_leaves_the_path():
    jump, _ = jump_estate()
    assert jump.id in paths(jump_estate(BASE)[1])
    other_ou = scp("p-sandbox", "NoAssumeInSandbox", deny("sts:AssumeRole"), SANDBOX_OU)
    other_action = scp("p-nos3", "NoS3Delete", deny("s3:DeleteBucket"), PROD_OU)
    _, inv = jump_estate(BASE, other_ou, other_action)
    assert jump.id in paths(inv)
    assert cut_hops(PrivilegeGraph(inv)) == []
    assert "Stopped by a guardrail" not in explained(inv, jump)


def test_an_scp_allow_list_that_leaves_out_the_action_at_one_level_cuts_the_hop():
    only_s3 = scp(
        "p-s3only", "OnlyS3", {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}, PROD_OU
    )
    root_full = scp("p-FullAWSAccess", "FullAWSAccess", FULL_ACCESS, ROOT, SANDBOX_OU, f"aws:account:{ACCOUNT}")
    jump, inv = jump_estate(root_full, only_s3)
    assert jump.id not in paths(inv)
    [cut] = cut_hops(PrivilegeGraph(inv))
    assert cut.guardrail.id == "p-s3only"
    # Near miss: the same allow-list on the sandbox OU, where the account is not.
    _, elsewhere = jump_estate(
        scp("p-FullAWSAccess", "FullAWSAccess", FULL_ACCESS, ROOT, PROD_OU, f"aws:account:{ACCOUNT}"),
        only_s3.model_copy(update={"targets": [SANDBOX_OU]}),
    )
    assert jump.id in paths(elsewhere)


def test_a_conditional_scp_deny_does_not_cut():
    conditional = deny("sts:AssumeRole")
    conditional["Statement"][0]["Condition"] = {"StringNotEquals": {"aws:PrincipalTag/team": "ops"}}  # type: ignore[index]
    jump, inv = jump_estate(BASE, scp("p-cond", "AssumeOnlyForOps", conditional, ROOT))
    assert jump.id in paths(inv)


def test_scps_never_bind_the_management_account_or_a_service_linked_role():
    deny_assume = scp("p-noassume", "NoAssumeRole", deny("sts:AssumeRole"), ROOT, exempt_accounts=[ACCOUNT])
    jump, inv = jump_estate(BASE, deny_assume)
    assert jump.id in paths(inv)  # the account is the management account
    linked = role("jump", path="/aws-service-role/ec2.amazonaws.com/")
    binding = scp("p-noassume", "NoAssumeRole", deny("sts:AssumeRole"), ROOT)
    _, inv = jump_estate(BASE, binding, jump=linked)
    graph = PrivilegeGraph(inv)
    assert any(h.source == linked.id and h.target == ADMIN_ROLE.id for h in graph.escalation_hops)
    assert cut_hops(graph) == []


def test_an_rcp_denying_assume_role_on_the_targets_account_cuts_the_hop_but_not_one_on_another_ou():
    rcp = scp("p-rcp1", "NoAssumeIntoProd", deny("sts:AssumeRole"), PROD_OU, kind=GuardrailKind.RCP)
    jump, inv = jump_estate(BASE, rcp)
    assert jump.id not in paths(inv)
    assert cut_hops(PrivilegeGraph(inv))[0].guardrail.kind is GuardrailKind.RCP
    _, elsewhere = jump_estate(BASE, rcp.model_copy(update={"targets": [SANDBOX_OU]}))
    assert jump.id in paths(elsewhere)


# -- GCP and Azure: hops built here (their finders come from other modules) -------------------


def _graph(identities: list[Identity], scopes: list[Scope], guardrails: list[Guardrail], provider: Provider):
    meta = ScanMeta(tool_version="test", started_at=NOW, finished_at=NOW, providers=[provider])
    return PrivilegeGraph(Inventory(meta=meta, identities=identities, scopes=scopes, guardrails=guardrails))


GCP_CI = Identity(
    id="ci@app-prod.iam.gserviceaccount.com",
    provider=Provider.GCP,
    kind=IdentityKind.SERVICE_ACCOUNT,
    account="app-prod",
    name="ci@app-prod.iam.gserviceaccount.com",
)
GCP_ADMIN = GCP_CI.model_copy(
    update={"id": "admin@app-prod.iam.gserviceaccount.com", "name": "admin@app-prod.iam.gserviceaccount.com"}
)
GCP_SCOPES = [
    Scope(id="organizations/1", provider=Provider.GCP, kind=ScopeKind.ORGANIZATION, name="example.com"),
    Scope(id="folders/2", provider=Provider.GCP, kind=ScopeKind.FOLDER, name="prod", parent_id="organizations/1"),
    Scope(id="folders/3", provider=Provider.GCP, kind=ScopeKind.FOLDER, name="dev", parent_id="organizations/1"),
    Scope(id="projects/app-prod", provider=Provider.GCP, kind=ScopeKind.PROJECT, name="app", parent_id="folders/2"),
]
GCP_HOP = Hop(GCP_CI.id, GCP_ADMIN.id, HopKind.IMPERSONATE, "ci holds roles/iam.serviceAccountTokenCreator on admin")


def gcp_deny(target: str, permissions: list[str], principals: list[str], exceptions: list[str] = ()) -> Guardrail:
    rule = {"deniedPrincipals": principals, "deniedPermissions": permissions, "exceptionPrincipals": list(exceptions)}
    return Guardrail(
        id="policies/cloudresourcemanager.googleapis.com%2Ffolders%2F2/denypolicies/no-impersonation",
        provider=Provider.GCP,
        kind=GuardrailKind.GCP_DENY,
        name="no-impersonation",
        document={"rules": [{"denyRule": rule}]},
        targets=[target],
    )


IMPERSONATION = [
    "iam.googleapis.com/serviceAccounts.getAccessToken",
    "iam.googleapis.com/serviceAccounts.signBlob",
    "iam.googleapis.com/serviceAccounts.signJwt",
    "iam.googleapis.com/serviceAccounts.implicitDelegation",
    "iam.googleapis.com/serviceAccountKeys.create",
]


def test_a_gcp_deny_policy_on_the_targets_folder_cuts_impersonation_and_its_near_misses_do_not():
    everyone = ["principalSet://goog/public:all"]
    graph = _graph([GCP_CI, GCP_ADMIN], GCP_SCOPES, [gcp_deny("folders/2", IMPERSONATION, everyone)], Provider.GCP)
    kept, [cut] = split_hops(graph, [GCP_HOP])
    assert kept == [] and cut.guardrail.name == "no-impersonation"
    # Near misses: on another folder; denying only one of the ways to impersonate; excepting ci.
    for near in (
        gcp_deny("folders/3", IMPERSONATION, everyone),
        gcp_deny("folders/2", IMPERSONATION[:1], everyone),
        gcp_deny(
            "folders/2",
            IMPERSONATION,
            everyone,
            [f"principal://iam.googleapis.com/projects/-/serviceAccounts/{GCP_CI.id}"],
        ),
        gcp_deny(
            "folders/2",
            IMPERSONATION,
            ["principal://iam.googleapis.com/projects/-/serviceAccounts/other@x.iam.gserviceaccount.com"],
        ),
    ):
        kept, cut_none = split_hops(_graph([GCP_CI, GCP_ADMIN], GCP_SCOPES, [near], Provider.GCP), [GCP_HOP])
        assert kept == [GCP_HOP] and cut_none == []


SUB = "/subscriptions/00000000-0000-0000-0000-00000000aaaa"
AZ_CI = Identity(
    id="11111111-1111-1111-1111-111111111111",
    provider=Provider.AZURE,
    kind=IdentityKind.SERVICE_PRINCIPAL,
    account="tenant",
    name="ci",
)
AZ_HOP = Hop(AZ_CI.id, ADMIN_SINK, HopKind.SET_IAM_POLICY, "ci may write role assignments", method="")


def azure_deny(scope: str, principals: list[str], actions: list[str], excluded: list[str] = ()) -> Guardrail:
    return Guardrail(
        id=f"{scope}/providers/Microsoft.Authorization/denyAssignments/d1",
        provider=Provider.AZURE,
        kind=GuardrailKind.AZURE_DENY,
        name="locked by blueprint",
        document={
            "properties": {
                "permissions": [{"actions": actions, "notActions": []}],
                "principals": [{"id": p, "type": "ServicePrincipal"} for p in principals],
                "excludePrincipals": [{"id": p, "type": "ServicePrincipal"} for p in excluded],
            }
        },
        targets=[scope],
    )


def test_an_azure_deny_assignment_on_the_hops_scope_cuts_it_and_its_near_misses_do_not():
    hop = Hop(AZ_CI.id, ADMIN_SINK, HopKind.SET_IAM_POLICY, "ci may write role assignments")
    hop_at_sub = Hop(AZ_CI.id, f"{SUB}/resourceGroups/rg", HopKind.SET_IAM_POLICY, "on rg")
    cutting = azure_deny(SUB, [AZ_CI.id], ["Microsoft.Authorization/*/write"])
    kept, [cut] = split_hops(_graph([AZ_CI], [], [cutting], Provider.AZURE), [hop_at_sub])
    assert kept == [] and cut.action == "Microsoft.Authorization/roleAssignments/write"
    everyone = azure_deny("/", ["00000000-0000-0000-0000-000000000000"], ["*"])
    assert split_hops(_graph([AZ_CI], [], [everyone], Provider.AZURE), [hop])[0] == []
    for near in (
        azure_deny(SUB, ["22222222-2222-2222-2222-222222222222"], ["*"]),  # another principal
        azure_deny(SUB, [AZ_CI.id], ["Microsoft.Compute/*"]),  # another action
        azure_deny("/subscriptions/other", [AZ_CI.id], ["*"]),  # another subscription
        azure_deny(SUB, ["00000000-0000-0000-0000-000000000000"], ["*"], [AZ_CI.id]),  # everyone but ci
    ):
        assert split_hops(_graph([AZ_CI], [], [near], Provider.AZURE), [hop_at_sub])[0] == [hop_at_sub]


def test_a_path_left_after_a_guardrail_names_the_guardrail_that_stopped_the_other_way():
    deny_assume = scp("p-noassume", "NoAssumeRole", deny("sts:AssumeRole"), PROD_OU)
    jump = role("jump")
    self_grant = policy("SelfGrant", allow("iam:AttachRolePolicy", jump.id))
    _, inv = jump_estate(BASE, deny_assume, jump=jump)
    inv = inv.model_copy(update={"roles": [*inv.roles, self_grant], "grants": [*inv.grants, grant(jump, self_grant)]})
    (finding,) = [f for f in analyse(inv, ScanConfig(), as_of=NOW) if f.rule_id == "path-to-admin"]
    assert [h["how"] for h in finding.evidence["hops"]] == ["self-policy"]  # the way the SCP leaves open
    (stopped,) = finding.evidence["stopped_by_guardrails"]
    assert (stopped["to"], stopped["cut_by"], stopped["guardrail"]) == (ADMIN_ROLE.id, "p-noassume", "NoAssumeRole")
    # Near miss: without the SCP a path is found and nothing is said to be stopped.
    _, open_inv = jump_estate(BASE, jump=jump)
    open_inv = open_inv.model_copy(
        update={"roles": [*open_inv.roles, self_grant], "grants": [*open_inv.grants, grant(jump, self_grant)]}
    )
    (open_finding,) = [f for f in analyse(open_inv, ScanConfig(), as_of=NOW) if f.rule_id == "path-to-admin"]
    assert "stopped_by_guardrails" not in open_finding.evidence
