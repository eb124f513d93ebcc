"""The Azure collector in-process: real SDK clients against the loopback ARM/Graph server."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from azure.core.exceptions import ServiceRequestError
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.transport import HttpRequest as TransportRequest
from azure.core.rest import HttpRequest

from standing.collectors.azure import AzureScanOptions, collect_azure
from standing.collectors.azure.clients import (
    ClientFactory,
    LoopbackBearerPolicy,
    StaticTokenCredential,
    UndeclaredRequestError,
    make_credential,
)
from standing.collectors.azure.importer import import_azure
from standing.collectors.azure.normalize import normalize_tenant
from standing.collectors.azure.raw import RawTenant
from standing.core.azure_builtins import OWNER
from standing.core.errors import UserError
from standing.core.model import (
    CoverageStatus,
    CredentialKind,
    GrantDuration,
    IdentityKind,
    Provider,
    ScanMeta,
    TrustKind,
    UsageStatus,
)
from standing.rules.config import ScanConfig
from standing.scan import scan_inventory
from tests.support.azure_wire import TENANT, AzureWireServer, Throttle, fixture_wire

AS_OF = datetime.fromisoformat(TENANT["as_of"])
TOKEN = "in-process-test-token"
SUB_A = TENANT["subscriptions"]["prod"]
ROOT_MG = f"/providers/microsoft.management/managementgroups/{TENANT['tenant_id']}"
MG = "/providers/microsoft.management/managementgroups/mg-platform"


def scan(wire, **options):
    slept: list[float] = []
    with AzureWireServer(wire) as url:
        inv = collect_azure(
            AzureScanOptions(arm_endpoint=url, graph_endpoint=url, **options),
            credential=StaticTokenCredential(TOKEN),
            now=lambda: AS_OF,
            sleep=slept.append,
        )
    return inv, slept


@pytest.fixture(scope="module")
def tenant():
    wire = fixture_wire(TOKEN, retry_after="7")
    inv, slept = scan(wire)
    return inv, slept, wire


def test_identities_are_one_per_app_and_service_principal(tenant):
    inv, _, _ = tenant
    kinds = {i.name: (i.kind, i.provider_managed, i.human) for i in inv.identities}
    apps = set(TENANT["applications"])
    assert kinds[f"group {TENANT['group']}"] == (IdentityKind.GROUP, False, None)
    assert {n for n, k in kinds.items() if k == (IdentityKind.SERVICE_PRINCIPAL, False, False)} == apps
    assert kinds["mi-deploy"] == (IdentityKind.MANAGED_IDENTITY, False, False)
    assert kinds["Microsoft Graph"] == (IdentityKind.SERVICE_PRINCIPAL, True, False)
    assert kinds["alice@contoso.example"] == (IdentityKind.USER, False, True)  # an app owner
    old = next(i for i in inv.identities if i.name == "app-old-secret")
    assert old.id == TENANT["service_principals"]["app-old-secret"]
    assert old.tags["entra.applicationObjectId"] == TENANT["applications"]["app-old-secret"]
    mi = next(i for i in inv.identities if i.name == "mi-deploy")
    assert mi.tags["azure.resourceId"].endswith("/userassignedidentities/mi-deploy")


def test_credentials_keep_dates_and_expiry_without_secret_values(tenant):
    inv, _, _ = tenant
    name = {i.id: i.name for i in inv.identities}
    creds = {(name[c.identity_id], c.kind, c.active, c.expires is None) for c in inv.credentials}
    assert creds == {
        ("app-old-secret", CredentialKind.CLIENT_SECRET, True, False),
        ("app-two-year-secret", CredentialKind.CLIENT_SECRET, True, False),
        ("app-never-expiring-cert", CredentialKind.CERTIFICATE, True, True),
        ("app-expired-secret", CredentialKind.CLIENT_SECRET, False, False),
        ("app-two-secrets", CredentialKind.CLIENT_SECRET, True, False),
        ("sp-owner-subscription", CredentialKind.CERTIFICATE, True, False),
        ("app-graph-admin", CredentialKind.CLIENT_SECRET, True, False),
        ("app-federated-with-secret", CredentialKind.CLIENT_SECRET, True, False),
        ("app-federated-with-secret", CredentialKind.FEDERATED, True, True),
        ("sp-clean-control", CredentialKind.CLIENT_SECRET, True, False),
        ("mi-deploy", CredentialKind.FEDERATED, True, True),
    }
    assert len([c for c in inv.credentials if name[c.identity_id] == "app-two-secrets"]) == 2
    clean = next(c for c in inv.credentials if name[c.identity_id] == "sp-clean-control")
    assert clean.last_used_status is UsageStatus.USED  # from the beta credential sign-in report


def test_grants_tell_eligible_time_bound_and_standing_apart(tenant):
    inv, _, _ = tenant
    name = {i.id: i.name for i in inv.identities}
    role = {r.id: r.name for r in inv.roles}
    sub = f"/subscriptions/{SUB_A}"
    tenant_scope = f"entra:{TENANT['tenant_id']}"
    assert {(name[g.principal_id], role[g.role_id], g.scope_id, g.duration) for g in inv.grants} == {
        ("sp-owner-subscription", "Owner", sub, GrantDuration.STANDING),
        ("sp-active-owner", "Owner", sub, GrantDuration.STANDING),  # active PIM schedule, no end
        ("sp-eligible-owner", "Owner", sub, GrantDuration.ELIGIBLE),
        ("sp-timebound-contributor", "Contributor", sub, GrantDuration.TIME_BOUND),
        ("sp-mg-access-admin", "User Access Administrator", MG, GrantDuration.STANDING),
        ("sp-custom-star", "Everything But RBAC", f"{sub}/resourcegroups/rg-app", GrantDuration.STANDING),
        ("mi-deploy", "Reader", f"{sub}/resourcegroups/rg-identity", GrantDuration.STANDING),
        ("sp-clean-control", "Reader", f"{sub}/resourcegroups/rg-app", GrantDuration.STANDING),
        ("sp-clean-control", "Application.Read.All", tenant_scope, GrantDuration.STANDING),
        ("sp-clean-control", "Directory Readers", tenant_scope, GrantDuration.STANDING),
        ("app-graph-admin", "RoleManagement.ReadWrite.Directory", tenant_scope, GrantDuration.STANDING),
        (f"group {TENANT['group']}", "Owner", sub, GrantDuration.STANDING),
        # Entra PIM: an eligible Global Administrator, an activated (time-bound) Application Administrator
        ("sp-eligible-owner", "Global Administrator", tenant_scope, GrantDuration.ELIGIBLE),
        ("sp-timebound-contributor", "Application Administrator", tenant_scope, GrantDuration.TIME_BOUND),
    }
    assert sorted((name[m.member_id], name[m.group_id]) for m in inv.memberships) == [
        ("Carol Example", f"group {TENANT['group']}"),  # a person: recorded and counted, never judged
        ("sp-via-group", f"group {TENANT['group']}"),
    ]
    assert all(
        g.expires is not None and g.expires > AS_OF for g in inv.grants if g.duration is not GrantDuration.STANDING
    )


def test_scopes_form_the_management_group_tree(tenant):
    inv, _, _ = tenant
    parents = {s.id: s.parent_id for s in inv.scopes}
    assert parents[f"/subscriptions/{SUB_A}"] == MG
    assert parents[MG] == ROOT_MG
    assert parents[f"/subscriptions/{SUB_A}/resourcegroups/rg-app"] == f"/subscriptions/{SUB_A}"


def test_owners_and_federation_become_trusts(tenant):
    inv, _, _ = tenant
    name = {i.id: i.name for i in inv.identities}
    assert {
        (name.get(t.principal, t.principal), name[t.target_id], t.kind) for t in inv.trusts if t.kind is TrustKind.OWNER
    } == {
        ("alice@contoso.example", "app-graph-admin", TrustKind.OWNER),
        ("bob@contoso.example", "sp-clean-control", TrustKind.OWNER),
    }
    oidc = {
        (name[t.target_id], t.issuer, t.conditions["StringEquals"][f"{t.issuer}:sub"])
        for t in inv.trusts
        if t.kind is TrustKind.OIDC
    }
    assert oidc == {
        ("app-federated-with-secret", "token.actions.githubusercontent.com", "repo:contoso/deploy:ref:refs/heads/main"),
        ("mi-deploy", "token.actions.githubusercontent.com", "repo:contoso/infra:environment:prod"),
    }


def test_forbidden_subscription_is_a_gap_and_the_rest_is_read(tenant):
    inv, _, _ = tenant
    restricted = f"/subscriptions/{TENANT['subscriptions']['restricted']}"
    assert {(g.operation, g.scope, g.status) for g in inv.gaps} == {
        (op, restricted, CoverageStatus.DENIED)
        for op in (
            "arm:roleAssignments",
            "arm:roleDefinitions",
            "arm:roleEligibilitySchedules",
            "arm:roleAssignmentSchedules",
            "arm:userAssignedIdentities",
            "arm:denyAssignments",
        )
    }
    assert all("AuthorizationFailed" in (g.detail or "") for g in inv.gaps)


def test_pages_are_followed_and_retry_after_is_honoured(tenant):
    inv, slept, wire = tenant
    assert slept == [7.0]  # the 429's Retry-After, through the transport's sleep
    assert wire.paths().count("/v1.0/applications") == 2
    assert sum("$skiptoken=page2" in c.query for c in wire.calls) == 2  # Graph and ARM next links
    assert len([i for i in inv.identities if i.kind is IdentityKind.SERVICE_PRINCIPAL]) == 16


def test_throttling_that_outlasts_the_retries_is_a_gap():
    wire = fixture_wire(TOKEN)
    wire.throttles.append(Throttle("/v1.0/servicePrincipals", 100, "1"))
    inv, slept = scan(wire)
    gaps = {(g.operation, g.status) for g in inv.gaps}
    assert ("graph:servicePrincipals", CoverageStatus.THROTTLED) in gaps
    assert slept.count(1.0) >= 3  # every retry waited as told
    assert any(i.name == "app-old-secret" for i in inv.identities)  # applications still read


def test_sign_in_reports_unavailable_degrade_to_a_coverage_note():
    wire = fixture_wire(TOKEN)
    wire.forbidden_prefixes.append("/beta/reports/")
    inv, _ = scan(wire)
    notes = {(g.operation, g.status) for g in inv.gaps if g.operation.startswith("graph:beta")}
    assert notes == {
        ("graph:beta.servicePrincipalSignInActivities", CoverageStatus.SKIPPED),
        ("graph:beta.appCredentialSignInActivities", CoverageStatus.SKIPPED),
    }
    assert all(
        "P1/P2" in (g.detail or "") and "403 AuthorizationFailed" in (g.detail or "")
        for g in inv.gaps
        if g.operation.startswith("graph:beta")
    )
    # only the credential Entra's recommendation names has a (30-day) reading of its use
    assert {c.last_used_status for c in inv.credentials if c.reported_unused is None} == {UsageStatus.UNKNOWN}


def test_guard_refuses_writes_before_they_leave_the_process():
    wire = fixture_wire(TOKEN)
    with AzureWireServer(wire) as url:
        options = AzureScanOptions(arm_endpoint=url, graph_endpoint=url)
        factory = ClientFactory(StaticTokenCredential(TOKEN), options)
        graph = factory.graph()
        with pytest.raises(UndeclaredRequestError):
            graph._client.send_request(HttpRequest("POST", f"{url}/v1.0/applications/x/addPassword"))
        auth = factory.authorization(SUB_A)
        with pytest.raises(UndeclaredRequestError):
            auth.role_assignments.delete(f"/subscriptions/{SUB_A}", "00000000-0000-0000-0000-000000000001")
    assert wire.calls == []


def test_loopback_token_policy_never_sends_a_token_elsewhere():
    policy = LoopbackBearerPolicy(StaticTokenCredential(TOKEN), "https://management.azure.com/.default")
    request = PipelineRequest(TransportRequest("GET", "http://management.example.com/subscriptions"), None)
    with pytest.raises(ServiceRequestError):
        policy.on_request(request)
    assert "Authorization" not in request.http_request.headers


def test_test_token_only_with_loopback_endpoints():
    env = {"STANDING_AZURE_TEST_TOKEN": "t"}
    assert isinstance(
        make_credential(AzureScanOptions(arm_endpoint="http://127.0.0.1:1", graph_endpoint="http://127.0.0.1:2"), env),
        StaticTokenCredential,
    )
    with pytest.raises(UserError):
        make_credential(AzureScanOptions(), env)


def test_disabled_service_principal_has_no_active_credentials():
    raw = RawTenant(
        tenant_id=TENANT["tenant_id"],
        applications=[
            {
                "id": "a1",
                "appId": "app-1",
                "displayName": "retired",
                "passwordCredentials": [
                    {
                        "keyId": "11111111-2222-4333-8444-555555555555",
                        "startDateTime": "2026-05-01T00:00:00Z",
                        "endDateTime": "2026-07-01T00:00:00Z",
                    }
                ],
            }
        ],
        service_principals=[
            {
                "id": "s1",
                "appId": "app-1",
                "displayName": "retired",
                "accountEnabled": False,
                "appOwnerOrganizationId": TENANT["tenant_id"],
            }
        ],
    )
    meta = ScanMeta(tool_version="t", started_at=AS_OF, finished_at=AS_OF)
    inv = normalize_tenant(raw, now=AS_OF, meta=meta)
    assert [(i.id, i.disabled) for i in inv.identities] == [("s1", True)]
    assert [(c.identity_id, c.active) for c in inv.credentials] == [("s1", False)]


def test_docs_azure_permissions_are_generated_from_declared_operations():
    import json
    import re
    from pathlib import Path

    from standing.collectors.azure.operations import arm_actions, graph_permissions

    page = (Path(__file__).parents[1] / "docs" / "azure.md").read_text()
    block = re.search(
        r"<!-- permissions:azure:start -->\n```json\n(.*?)```\n<!-- permissions:azure:end -->", page, re.S
    )
    assert block, "docs/azure.md lacks the generated Azure permissions block"
    assert json.loads(block.group(1)) == {
        "graph_application_permissions": graph_permissions(),
        "arm_actions": arm_actions(),
    }


def test_a_next_link_to_another_host_is_not_followed():
    class Redirecting(type(fixture_wire(TOKEN))):
        def answer(self, method, raw_path, authorization, body=None):
            status, headers, body = super().answer(method, raw_path, authorization, body)
            if raw_path.startswith("/v1.0/applications?"):
                body = {**body, "@odata.nextLink": "http://203.0.113.9/v1.0/applications?$skiptoken=x"}
            return status, headers, body

    wire = Redirecting(token=TOKEN, forbidden_prefixes=[TENANT["forbidden_prefix"]])
    inv, _ = scan(wire)
    gap = next(g for g in inv.gaps if g.operation == "graph:applications")
    assert gap.status is CoverageStatus.FAILED and "203.0.113.9" in (gap.detail or "")
    assert {(g.operation, g.status) for g in inv.gaps if g.operation.startswith("graph:applications.")} == {
        ("graph:applications.federatedIdentityCredentials", CoverageStatus.SKIPPED),
        ("graph:applications.owners", CoverageStatus.SKIPPED),
    }


def test_without_entra_pim_active_directory_roles_count_as_standing():
    wire = fixture_wire(TOKEN)
    wire.forbidden_prefixes += [
        "/v1.0/roleManagement/directory/roleAssignmentScheduleInstances",
        "/v1.0/roleManagement/directory/roleEligibilitySchedules",
    ]
    inv, _ = scan(wire)
    assert {(g.operation, g.status) for g in inv.gaps if g.operation.startswith("graph:")} == {
        ("graph:directory.roleAssignmentScheduleInstances", CoverageStatus.SKIPPED),
        ("graph:directory.roleEligibilitySchedules", CoverageStatus.SKIPPED),
    }
    name = {i.id: i.name for i in inv.identities}
    role = {r.id: r.name for r in inv.roles}
    directory = {
        (name[g.principal_id], role[g.role_id], g.duration)
        for g in inv.grants
        if g.role_id.startswith("directoryrole:")
    }
    assert directory == {
        ("sp-clean-control", "Directory Readers", GrantDuration.STANDING),
        ("sp-timebound-contributor", "Application Administrator", GrantDuration.STANDING),
    }


@pytest.mark.parametrize(
    "field, content, problem",
    [
        ("app_owners", '[{"id": "u"}]', "expected a JSON object keyed by object id"),
        ("app_owners", '{"value": []}', "expected a JSON object keyed by object id"),
        ("federated_credentials", '{"a": [{"id": "f"', "not valid JSON"),
        ("federated_credentials", '{"a": [{"id": "f"}]}', "a: item 0 lacks issuer"),
        (
            "app_role_assignments",
            '{"value": [], "@odata.nextLink": "https://graph.example/next"}',
            "one page of several",
        ),
        ("app_role_assignments", '{"value": [{"principalId": "p"}]}', "item 0 lacks resourceId, appRoleId"),
        ("group_members", '{"g": {"value": "members"}}', "g: expected the JSON that `az rest"),
        (
            "assignment_schedules",
            '{"value": [{"id": "s", "properties": {"scope": "/"}}]}',
            "lacks principalId, roleDefinitionId",
        ),
        ("eligibility_schedules", '"schedules"', "expected the JSON that `az rest"),
        (
            "assignment_schedules",
            '{"value": [{"id": "s", "properties": {"scope": "/", "principalId": "p", '
            '"roleDefinitionId": "r", "endDateTime": "next week"}}]}',
            "item 0 at endDateTime: 'next week' is not a date",
        ),
        ("eligibility_schedules", '{"value": [1]}', "expected the JSON that `az rest"),
    ],
)
def test_malformed_optional_export_names_the_file(tmp_path, field, content, problem):
    from pathlib import Path

    from standing.collectors.azure.importer import Extras, import_exports

    export = Path(__file__).parents[1] / "fixtures" / "azure" / "export"
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    value = (bad,) if field.endswith("schedules") else bad
    with pytest.raises(UserError) as err:
        import_exports(
            sp_list=export / "az-ad-sp-list.json",
            app_list=export / "az-ad-app-list.json",
            role_assignments=[export / "az-role-assignment-list.json"],
            extras=Extras(**{field: value}),
        )
    assert err.value.source == str(bad) and problem in err.value.problem
    assert "\n" not in str(err.value)


def test_optional_exports_fill_the_raw_bundle_in_the_api_shape():
    """Each optional file lands where the API path puts the same data; keys follow the app list's ids."""
    from pathlib import Path

    from standing.collectors.azure.importer import Extras, import_exports

    export = Path(__file__).parents[1] / "fixtures" / "azure" / "export"
    raw = import_exports(
        sp_list=export / "az-ad-sp-list.json",
        app_list=export / "az-ad-app-list.json",
        role_assignments=[export / "az-role-assignment-list.json"],
        extras=Extras(
            app_owners=export / "az-ad-app-owner-list.json",
            app_role_assignments=export / "az-rest-graph-app-role-assigned-to.json",
            assignment_schedules=(
                export / "az-rest-role-assignment-schedules-prod.json",
                export / "az-rest-role-assignment-schedules-prod.json",
            ),
        ),
    )
    assert set(raw.app_owners) == {a["id"] for a in raw.applications}
    assert {a["principalId"] for a in raw.graph_app_role_assignments} == {
        TENANT["service_principals"]["app-graph-admin"],
        TENANT["service_principals"]["sp-clean-control"],
    }
    # flattened as fetch.py flattens ARM records, and one per id across repeated files
    assert sorted((s["principalId"], s["endDateTime"]) for s in raw.assignment_schedules) == [
        (TENANT["service_principals"]["sp-active-owner"], None),
        (TENANT["service_principals"]["sp-timebound-contributor"], "2026-06-06T12:00:00Z"),
    ]
    assert raw.app_federated_credentials is None and raw.group_members is None  # not given
    skipped = {c.operation for c in raw.coverage if c.status is CoverageStatus.SKIPPED}
    assert "graph:applications.owners" not in skipped and "arm:roleAssignmentSchedules" not in skipped
    assert {"graph:applications.federatedIdentityCredentials", "arm:roleEligibilitySchedules"} <= skipped


def test_entra_users_holding_roles_are_counted_as_people_and_never_judged():
    """Who is a person in Azure: an Entra user. Owner on a subscription, held by a user and by a
    service principal: the user is counted, the service principal (the near miss) is judged."""
    tenant, sub = "6d1f2b3a-0000-4000-8000-000000000001", "/subscriptions/22222222-0000-4000-8000-000000000002"
    user, sp, admin = (
        "a11ce000-0000-4000-8000-00000000000a",
        "5e000000-0000-4000-8000-00000000000b",
        "ad000000-0000-4000-8000-00000000000c",
    )
    owner = {"roleDefinitionId": f"{sub}/providers/Microsoft.Authorization/roleDefinitions/{OWNER}", "scope": sub}
    raw = RawTenant(
        tenant_id=tenant,
        service_principals=[{"id": sp, "appId": "app-1", "displayName": "deployer", "appOwnerOrganizationId": tenant}],
        role_assignments=[
            {
                "id": "ra-user",
                "principalId": user,
                "principalType": "User",
                "principalName": "bob@contoso.example",
                **owner,
            },
            {"id": "ra-sp", "principalId": sp, "principalType": "ServicePrincipal", **owner},
        ],
        directory_role_assignments=[
            {
                "id": "dra-1",
                "principalId": admin,
                "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10",
                "directoryScopeId": "/",
                "principal": {"@odata.type": "#microsoft.graph.user", "userPrincipalName": "gadmin@contoso.example"},
            }
        ],
    )
    inv = normalize_tenant(raw, now=AS_OF, meta=ScanMeta(tool_version="t", started_at=AS_OF, finished_at=AS_OF))
    people = {i.name: (i.kind, i.human) for i in inv.identities if i.human}
    assert people == {
        "bob@contoso.example": (IdentityKind.USER, True),
        "gadmin@contoso.example": (IdentityKind.USER, True),
    }
    document = scan_inventory(inv, ScanConfig(), as_of=AS_OF, generated_at=AS_OF, output_dir=None).document
    judged = {f.identity_name for f in document.findings}
    assert "deployer" in judged and not judged & set(people)
    assert document.scan.people_left_out == {Provider.AZURE: 2}
    assert document.scan.accounts == [tenant]


def test_an_export_naming_no_workload_is_a_gap_never_a_clean_scan(tmp_path):
    """Empty `az` exports: nothing was judged, and the scan says so. The near miss, one service
    principal, has no such gap."""
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    sps = tmp_path / "sps.json"
    sps.write_text(json.dumps([{"id": "5e000000-0000-4000-8000-00000000000b", "appId": "app-1"}]))

    def gaps(sp_list):
        inv = import_azure(sp_list=sp_list, app_list=empty, role_assignments=[empty], tenant_id="t", now=lambda: AS_OF)
        return {g.operation for g in inv.gaps}

    assert "import:identities" in gaps(empty)
    assert "import:identities" not in gaps(sps)
