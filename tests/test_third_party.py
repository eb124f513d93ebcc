"""Third-party standing access (issue 15 item 5): who outside holds what, graded by the privilege it gets,
and the plan that keeps it behind compensating controls.

Each positive case sits beside the near miss that must stay silent or grade lower: the same trust to
an account the scan covers, the same partner trusted only for read, the same binding held by an
account of a scanned project or a user of our own domain, the same role held by our own application.
"""

from __future__ import annotations

import hcl2

from standing.analysis.graph import PrivilegeGraph
from standing.core.findings import Severity
from standing.core.model import Grant, GrantDuration, Identity, Provider, Scope, ScopeKind, TrustKind
from standing.planner.model import ControlKind, PolicyKind, StepKind
from standing.planner.model import TargetPattern as P
from standing.rules.analyse import analyse_estate
from standing.rules.config import parse_config
from standing.rules.registry import default_settings, run_rules
from tests.builders import ACCOUNT, NOW, allow, arn, role, trust
from tests.planner.cases import plans_of, sa, sp
from tests.planner.policy_lint import parliament_findings
from tests.rule_cases import (
    FOREIGN_ACCOUNT,
    OTHER_ACCOUNT,
    OWNER,
    PARTNER_TENANT,
    PROJECT,
    SUB,
    arm_role,
    azure_grant,
    estate,
    gcp_role,
    holding,
    root,
)

EXTERNAL_ID = {"StringEquals": {"sts:ExternalId": "acme-7f3a"}}
PARTNER = arn("role", "integrator", FOREIGN_ACCOUNT)


def terraform(plan):
    """The plan's one snippet through python-hcl2, its quoted keys and strings unquoted."""

    def plain(value):
        if isinstance(value, dict):
            return {k.strip('"'): plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value.strip('"') if isinstance(value, str) else value

    (snippet,) = plan.iac
    return plain(hcl2.loads(snippet.terraform))


def findings(inventory, rule_id):
    return {
        f.identity: f for f in run_rules(PrivilegeGraph(inventory), default_settings(), NOW) if f.rule_id == rule_id
    }


# -- AWS -------------------------------------------------------------------------------------------
def aws_estate():
    admin, reader, sibling, bare = role("partner-admin"), role("partner-reader"), role("sibling"), role("bare-partner")
    return estate(
        root(OTHER_ACCOUNT),  # a second account the scan covers
        *holding(admin, "Admin", allow("*")),
        *holding(reader, "Reader", allow("s3:GetObject")),
        *holding(sibling, "Admin", allow("*")),
        *holding(bare, "Reader", allow("s3:GetObject")),
        trust(admin, PARTNER, TrustKind.PRINCIPAL, EXTERNAL_ID),
        trust(reader, PARTNER, TrustKind.PRINCIPAL, EXTERNAL_ID),
        trust(sibling, arn("role", "integrator", OTHER_ACCOUNT), TrustKind.PRINCIPAL, EXTERNAL_ID),
        trust(bare, PARTNER, TrustKind.PRINCIPAL),
    )


def test_outside_aws_account_is_graded_by_the_privilege_it_gets():
    found = findings(aws_estate(), "third-party-aws-trust")
    admin = found[arn("role", "partner-admin")]
    assert admin.severity is Severity.CRITICAL
    assert FOREIGN_ACCOUNT in admin.message and "(admin)" in admin.message
    assert admin.evidence["outside_party"] == FOREIGN_ACCOUNT and admin.evidence["external_id"] is True
    # Near miss: the same partner, trusted only for a read-only role.
    assert found[arn("role", "partner-reader")].severity is Severity.LOW
    # Without an external id it is still third-party access, and the message says what is missing.
    bare = found[arn("role", "bare-partner")]
    assert "with no sts:ExternalId" in bare.message and bare.evidence["external_id"] is False
    # Near miss: an account this scan covers is not a third party.
    assert arn("role", "sibling") not in found


def test_outside_trust_to_a_role_that_can_reach_admin_is_critical():
    jump, admin = role("partner-jump"), role("admin")
    inventory = estate(
        *holding(admin, "Admin", allow("*")),
        *holding(jump, "AssumeAdmin", allow("sts:AssumeRole", arn("role", "admin"))),
        trust(admin, f"arn:aws:iam::{ACCOUNT}:root", TrustKind.ACCOUNT),
        trust(jump, PARTNER, TrustKind.PRINCIPAL, EXTERNAL_ID),
    )
    found = findings(inventory, "third-party-aws-trust")
    assert found[arn("role", "partner-jump")].severity is Severity.CRITICAL
    assert "has an escalation path to admin" in found[arn("role", "partner-jump")].evidence["because"]


def test_aws_third_party_plan_keeps_the_access_behind_controls():
    plans = plans_of(aws_estate())
    plan = plans["partner-admin"]
    assert plan.pattern is P.COMPENSATE and "outside party" in plan.reason
    controls = {c.kind: c for c in plan.controls}
    assert controls[ControlKind.EXTERNAL_ID].in_place  # the trust requires sts:ExternalId today
    assert controls[ControlKind.SOURCE_RESTRICTION].in_place  # it names one partner role, not the account
    assert not controls[ControlKind.SESSION_TAGS].in_place and not controls[ControlKind.ACCESS_REVIEW].in_place
    assert not controls[ControlKind.LEAST_PRIVILEGE].in_place  # the partner gets admin
    assert plans["partner-reader"].controls and {c.kind for c in plans["partner-reader"].controls if c.in_place} >= {
        ControlKind.LEAST_PRIVILEGE
    }
    assert not {c.kind for c in plans["bare-partner"].controls if c.in_place} & {ControlKind.EXTERNAL_ID}
    (trust_doc,) = [p for p in plan.aws_policies if p.kind is PolicyKind.TRUST]
    statement = trust_doc.document["Statement"][0]
    assert statement["Principal"] == {"AWS": PARTNER}
    assert statement["Condition"]["StringEquals"] == {"sts:ExternalId": "acme-7f3a"}  # the id the partner uses
    assert parliament_findings(trust_doc) == set()
    hcl = terraform(plan)
    ((label, role_block),) = hcl["resource"][0]["aws_iam_role"].items()
    assert label.startswith("partner_admin_") and role_block["max_session_duration"] == 3600
    assert [s.kind for s in plan.steps] == [
        StepKind.CREATE_NEW_PATH,
        StepKind.SWITCH_CONSUMER,
        StepKind.WATCH_UNUSED,
        StepKind.DEACTIVATE,
    ]
    assert "sts.amazonaws.com" in plan.verify[0].query and arn("role", "partner-admin") in plan.verify[0].query
    # Near miss: the role trusted by a scanned account gets no third-party plan.
    assert plans["sibling"].pattern is not P.COMPENSATE


# -- GCP -------------------------------------------------------------------------------------------
ORG = Scope(id="organizations/4242", provider=Provider.GCP, kind=ScopeKind.ORGANIZATION, name="acme.example")


def gcp_estate(*grants: Grant, org: bool = True):
    inventory = estate(gcp_role("roles/owner"), gcp_role("roles/viewer"), gcp_role("roles/editor"), *grants)
    return inventory.model_copy(update={"scopes": [*inventory.scopes, ORG]}) if org else inventory


def binding(member: str, role_id: str) -> Grant:
    return Grant(principal_id=member, role_id=role_id, scope_id=f"projects/{PROJECT}")


def test_gcp_principal_outside_the_organization_is_graded_and_named():
    partner_sa = "etl@partner-proj.iam.gserviceaccount.com"
    found = findings(
        gcp_estate(
            binding(partner_sa, "roles/owner"),
            binding("user:auditor@partner.example", "roles/viewer"),
            binding("user:alice@acme.example", "roles/owner"),  # our domain (the organization's)
            binding(sa("ours").id, "roles/owner"),  # a scanned project's account, without a record here
            binding("service-1@gcp-sa-aiplatform.iam.gserviceaccount.com", "roles/editor"),  # Google's agent
            Grant(  # an outside account whose only binding ends: nothing standing
                principal_id="temp@partner-proj.iam.gserviceaccount.com",
                role_id="roles/owner",
                scope_id=f"projects/{PROJECT}",
                duration=GrantDuration.TIME_BOUND,
                condition='request.time < timestamp("2026-06-02T00:00:00Z")',
            ),
        ),
        "third-party-gcp-binding",
    )
    assert set(found) == {partner_sa, "user:auditor@partner.example"}
    assert found[partner_sa].severity is Severity.CRITICAL
    assert (
        "project partner-proj" in found[partner_sa].message
        and found[partner_sa].evidence["outside_party"] == "partner-proj"
    )
    assert found[partner_sa].account == PROJECT  # where the access is held: a later scan of it resolves it
    auditor = found["user:auditor@partner.example"]
    assert auditor.severity is Severity.LOW and auditor.evidence["outside_party"] == "partner.example"
    assert auditor.evidence["our_domains"] == ["acme.example"]


def test_gcp_a_project_scope_written_without_its_prefix_is_still_ours():
    """A hand-written snapshot may name a project scope "P" rather than "projects/P"."""
    inventory = gcp_estate(binding("etl@bare-proj.iam.gserviceaccount.com", "roles/owner"))
    bare = Scope(id="bare-proj", provider=Provider.GCP, kind=ScopeKind.PROJECT, name="bare-proj")
    assert findings(inventory.model_copy(update={"scopes": [*inventory.scopes, bare]}), "third-party-gcp-binding") == {}
    # Near miss: without that scope, the same account is an outside project's.
    assert set(findings(inventory, "third-party-gcp-binding")) == {"etl@bare-proj.iam.gserviceaccount.com"}


def test_gcp_people_are_not_judged_when_no_domain_is_known_but_configured_domains_are():
    inventory = gcp_estate(
        binding("user:auditor@partner.example", "roles/viewer"),
        binding("user:bob@acme.example", "roles/owner"),
        org=False,
    )
    assert findings(inventory, "third-party-gcp-binding") == {}
    config = parse_config({"rules": {"third-party-gcp-binding": {"domains": ["acme.example"]}}}, "standing.toml")
    hits = [f for f in analyse_estate(inventory, config, as_of=NOW).findings if f.rule_id == "third-party-gcp-binding"]
    assert [f.identity for f in hits] == ["user:auditor@partner.example"]


def test_gcp_outside_principal_gets_a_plan_with_expiring_bindings():
    partner_sa = "etl@partner-proj.iam.gserviceaccount.com"
    plans = plans_of(gcp_estate(binding(partner_sa, "roles/editor")))
    plan = plans[partner_sa]
    assert plan.pattern is P.COMPENSATE
    hcl = terraform(plan)
    member = hcl["resource"][0]["google_project_iam_member"]
    (resource,) = member.values()
    assert resource["member"] == f"serviceAccount:{partner_sa}" and resource["role"] == "roles/editor"
    assert "request.time < timestamp" in resource["condition"][0]["expression"]


# -- Azure -----------------------------------------------------------------------------------------
READER = arm_role("acdd72a7-3385-48ef-bd42-f606fba81ae7", "Reader")


def vendor(name: str):
    app = sp(name)
    return app.model_copy(update={"tags": {**app.tags, "entra.thirdParty": PARTNER_TENANT}})


def azure_estate():
    owner_app, reader_app, idle_app, ours = (
        vendor("vendor-owner"),
        vendor("vendor-reader"),
        vendor("vendor-idle"),
        sp("ours"),
    )
    return estate(
        OWNER,
        READER,
        owner_app,
        reader_app,
        idle_app,
        ours,
        azure_grant(owner_app, OWNER, SUB),
        azure_grant(reader_app, READER, SUB),
        azure_grant(ours, OWNER, SUB),
    )


def test_other_tenants_app_holding_a_role_is_graded_and_names_the_tenant():
    found = findings(azure_estate(), "third-party-azure-app")
    owner = found[sp("vendor-owner").id]
    assert owner.severity is Severity.CRITICAL and PARTNER_TENANT in owner.message
    assert owner.evidence["outside_party"] == PARTNER_TENANT
    assert found[sp("vendor-reader").id].severity is Severity.LOW  # near miss: read-only
    assert sp("vendor-idle").id not in found  # near miss: holds no role
    assert sp("ours").id not in found  # near miss: our own tenant's app


def test_azure_third_party_plan_makes_assignments_time_bound():
    plan = plans_of(azure_estate())["vendor-owner"]
    assert plan.pattern is P.COMPENSATE
    hcl = terraform(plan)
    (assignment,) = hcl["resource"][0]["azurerm_pim_active_role_assignment"].values()
    assert assignment["principal_id"] == sp("vendor-owner").id
    assert assignment["schedule"][0]["expiration"][0]["duration_days"] == 90
    assert ControlKind.ACCESS_REVIEW in {c.kind for c in plan.controls}


def test_the_tenant_is_read_from_the_service_principal_by_the_normalizer():
    """``appOwnerOrganizationId`` is kept (as ``entra.thirdParty``) only for another, non-Microsoft tenant."""
    from standing.collectors.azure.normalize import normalize_tenant
    from standing.collectors.azure.raw import RawTenant
    from standing.core.model import ScanMeta

    tenant = "6d1f2b3a-4c5d-4e6f-8a9b-0c1d2e3f4a5b"
    raw = RawTenant(
        tenant_id=tenant,
        service_principals=[
            {"id": "A1", "appId": "a1", "displayName": "vendor", "appOwnerOrganizationId": PARTNER_TENANT},
            {"id": "B2", "appId": "b2", "displayName": "ours", "appOwnerOrganizationId": tenant},
        ],
    )
    meta = ScanMeta(tool_version="t", started_at=NOW, finished_at=NOW)
    identities: dict[str, Identity] = {i.name: i for i in normalize_tenant(raw, now=NOW, meta=meta).identities}
    assert identities["vendor"].tags["entra.thirdParty"] == PARTNER_TENANT
    assert "entra.thirdParty" not in identities["ours"].tags
