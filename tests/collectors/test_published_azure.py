"""Microsoft's own published example responses, replayed to the Azure collector.

Each test serves one example from Microsoft Graph's API reference or the Azure REST API
specifications (``fixtures/published``, provenance in each file and in PROVENANCE.md) to
the real SDK clients through the loopback server, runs the whole collector, and checks the
inventory with the values the example holds. Microsoft's examples do not describe one
tenant: where an example names an object another example would define (the application a
credential belongs to, the workload a role is assigned to), the test adds that object as a
small record of its own, named ``ours`` below, so the published record has something to
attach to. The published bodies are never edited.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from standing.analysis.graph import PrivilegeGraph
from standing.analysis.guardrails import stopped_by
from standing.analysis.hops import Hop, HopKind
from standing.collectors.azure import AzureScanOptions, collect_azure
from standing.collectors.azure.clients import StaticTokenCredential
from standing.collectors.azure.normalize import MICROSOFT_TENANT
from standing.collectors.azure.raw import GRAPH_APP_ID
from standing.core.facts import is_nhi
from standing.core.model import (
    ComputeKind,
    CoverageStatus,
    CredentialKind,
    GrantDuration,
    GuardrailKind,
    Identity,
    IdentityKind,
    Inventory,
    Provider,
    ScopeKind,
    TrustKind,
    UsageStatus,
)
from tests.support.azure_wire import AzureWireServer
from tests.support.published import PublishedAzureWire, body

TOKEN = "published-examples-token"
AS_OF = datetime(2021, 6, 1, tzinfo=UTC)
TENANT = "84841066-274d-4ec0-a5c1-276be684bdd3"  # the id in Microsoft's organization example
ORG = "/v1.0/organization"
AUTH = "providers/Microsoft.Authorization"


def graph(name: str) -> Any:
    return body("graph", name)


def arm(name: str) -> Any:
    return body("arm", name)


def ours(*records: dict[str, Any]) -> dict[str, Any]:
    return {"value": list(records)}


def sp(object_id: str, name: str, **extra: Any) -> dict[str, Any]:
    return {"id": object_id, "appId": extra.pop("appId", object_id), "displayName": name, **extra}


def scan(routes: dict[str, Any], **wire_options: Any) -> tuple[Inventory, PublishedAzureWire]:
    wire = PublishedAzureWire(token=TOKEN, routes={ORG: graph("organization-list"), **routes}, **wire_options)
    with AzureWireServer(wire) as url:
        inv = collect_azure(
            AzureScanOptions(arm_endpoint=url, graph_endpoint=url, max_workers=2),
            credential=StaticTokenCredential(TOKEN),
            now=lambda: AS_OF,
            sleep=lambda _: None,
        )
    return inv, wire


def coverage(inv: Inventory, operation: str) -> set[CoverageStatus]:
    return {c.status for c in inv.coverage if c.operation == operation}


# -- Microsoft Graph ---------------------------------------------------------------------------


def test_organization_example_names_the_tenant():
    inv, _ = scan({})
    assert f"entra:{TENANT}" in {s.id for s in inv.scopes}
    assert inv.identities == []
    assert coverage(inv, "graph:servicePrincipals") == {CoverageStatus.FAILED}  # not served: a gap, not a crash


def test_service_principal_example_is_one_workload_owned_by_another_tenant():
    inv, _ = scan({"/v1.0/servicePrincipals": graph("serviceprincipal-list")})
    (foo,) = inv.identities
    assert (foo.id, foo.name, foo.kind, foo.human, foo.disabled) == (
        "59e617e5-e447-4adc-8b88-00af644d7c92",
        "foo",
        IdentityKind.SERVICE_PRINCIPAL,
        False,
        False,
    )
    assert foo.tags["entra.appId"] == "65415bb1-9267-4313-bbf5-ae259732ee12"
    assert foo.tags["entra.thirdParty"] == "1bc1c026-2f7b-48a5-98da-afa2fd8bc7bc"
    assert foo.aliases == ["65415bb1-9267-4313-bbf5-ae259732ee12"]
    assert inv.credentials == []  # empty keyCredentials / passwordCredentials


def test_service_principal_example_in_its_own_tenant_is_not_third_party():
    inv, _ = scan(
        {
            ORG: ours({"id": "1bc1c026-2f7b-48a5-98da-afa2fd8bc7bc"}),
            "/v1.0/servicePrincipals": graph("serviceprincipal-list"),
        }
    )
    (foo,) = inv.identities
    assert "entra.thirdParty" not in foo.tags


def test_application_example_without_object_ids_is_kept_by_its_app_id():
    """Microsoft shortened this example: its applications carry no object id. The scan
    keeps the application (by its appId) instead of failing, and reads nothing per object."""
    inv, wire = scan({"/v1.0/applications": graph("application-list")})
    (app,) = inv.identities
    assert (app.id, app.name, app.kind) == (
        "00000000-0000-0000-0000-000000000000",
        "My app",
        IdentityKind.SERVICE_PRINCIPAL,
    )
    assert not any("/federatedidentitycredentials" in p.lower() for p in wire.paths())
    assert coverage(inv, "graph:applications") == {CoverageStatus.OK}


APP = "bcd7c908-1c4d-4d48-93ee-ff38349a75c8"  # the application in the federated credential example


def test_federated_credential_example_is_a_keyless_oidc_trust():
    inv, _ = scan(
        {
            "/v1.0/applications": ours({"id": APP, "appId": "a1", "displayName": "ours-app"}),
            f"/v1.0/applications/{APP}/federatedIdentityCredentials": graph(
                "application-list-federatedidentitycredentials"
            ),
        }
    )
    (cred,) = inv.credentials
    assert (cred.id, cred.identity_id, cred.kind, cred.active) == (
        "bdad0963-4a7a-43ae-b569-e67e1da3f2c0",
        APP,
        CredentialKind.FEDERATED,
        True,
    )
    (trust,) = [t for t in inv.trusts if t.kind is TrustKind.OIDC]
    assert trust.target_id == APP
    assert trust.principal == (
        "https://login.microsoftonline.com/3d1e2be9-a10a-4a0c-8380-7ce190f98ed9/v2.0"
        "#a7d388c3-5e3f-4959-ac7d-786b3383006a"
    )


def test_application_with_no_federated_credential_has_no_trust():
    inv, _ = scan(
        {
            "/v1.0/applications": ours({"id": APP, "appId": "a1", "displayName": "ours-app"}),
            f"/v1.0/applications/{APP}/federatedIdentityCredentials": ours(),
        }
    )
    assert inv.credentials == [] and inv.trusts == []


def test_owner_example_is_an_owner_trust_and_not_a_person():
    owned = "acc848e9-e8ec-4feb-a521-8d58b5482e09"
    inv, _ = scan(
        {
            "/v1.0/applications": ours({"id": owned, "appId": "a2", "displayName": "ours-owned"}),
            f"/v1.0/applications/{owned}/owners": graph("application-list-owners"),
        }
    )
    assert [(t.target_id, t.principal, t.kind) for t in inv.trusts] == [(owned, "id-value", TrustKind.OWNER)]
    # the owner carries no @odata.type: it is not invented as a user
    assert [i.id for i in inv.identities] == [owned]


GRAPH_SP = "8e881353-1735-45af-af21-ee1344582a4d"  # the resource in the appRoleAssignedTo example
ASSIGNEE = "cdb555e3-b33e-4fd5-a427-17fadacbdfa7"


def _graph_sp() -> dict[str, Any]:
    return sp(GRAPH_SP, "Microsoft Graph", appId=GRAPH_APP_ID, appOwnerOrganizationId=MICROSOFT_TENANT)


def test_app_role_assignment_example_grants_the_role_to_a_workload_holding_it():
    inv, _ = scan(
        {
            "/v1.0/servicePrincipals": ours(_graph_sp(), sp(ASSIGNEE, "ours-assignee")),
            f"/v1.0/servicePrincipals/{GRAPH_SP}/appRoleAssignedTo": graph("serviceprincipal-list-approleassignedto"),
        }
    )
    (grant,) = inv.grants
    assert (grant.principal_id, grant.role_id, grant.scope_id, grant.duration) == (
        ASSIGNEE,
        f"approle:{GRAPH_SP}/00000000-0000-0000-0000-000000000000",
        f"entra:{TENANT}",
        GrantDuration.STANDING,
    )


def test_app_role_assignment_example_to_a_user_is_no_workload_grant():
    inv, _ = scan(
        {
            "/v1.0/servicePrincipals": ours(_graph_sp()),
            f"/v1.0/servicePrincipals/{GRAPH_SP}/appRoleAssignedTo": graph("serviceprincipal-list-approleassignedto"),
        }
    )
    assert inv.grants == []
    assert coverage(inv, "graph:servicePrincipals.appRoleAssignedTo") == {CoverageStatus.OK}


DIR_PRINCIPAL = "f1847572-48aa-47aa-96a3-2ec61904f41f"  # in the roleAssignments example
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"


def test_directory_role_assignment_example_is_standing():
    inv, _ = scan(
        {
            "/v1.0/servicePrincipals": ours(sp(DIR_PRINCIPAL, "ours-directory-admin")),
            "/v1.0/roleManagement/directory/roleAssignments": graph("rbacapplication-list-roleassignments"),
        }
    )
    assert {(g.principal_id, g.role_id, g.scope_id, g.duration) for g in inv.grants} == {
        (DIR_PRINCIPAL, f"directoryrole:{GLOBAL_ADMIN}", f"entra:{TENANT}", GrantDuration.STANDING),
        (
            DIR_PRINCIPAL,
            "directoryrole:f2ef992c-3afb-46b9-b7cf-a126ee74c451",
            f"entra:{TENANT}",
            GrantDuration.STANDING,
        ),
    }


def test_directory_role_definition_example_names_the_role():
    helpdesk = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
    inv, _ = scan(
        {
            "/v1.0/servicePrincipals": ours(sp(DIR_PRINCIPAL, "ours-helpdesk")),
            "/v1.0/roleManagement/directory/roleDefinitions": graph("rbacapplication-list-roledefinitions"),
            "/v1.0/roleManagement/directory/roleAssignments": ours(
                {"id": "a1", "principalId": DIR_PRINCIPAL, "roleDefinitionId": helpdesk, "directoryScopeId": "/"}
            ),
        }
    )
    (role,) = [r for r in inv.roles if r.id == f"directoryrole:{helpdesk}"]
    assert (role.name, role.provider_managed) == ("Helpdesk Administrator", True)


def test_permanent_active_pim_instance_example_stays_standing():
    """The example's instances are ``Assigned`` with no end: permanently active, so standing."""
    principal = "6be4b305-b75e-4efc-bfcc-31bd3b53a5f8"
    inv, _ = scan(
        {
            "/v1.0/servicePrincipals": ours(sp(principal, "ours-pim-permanent")),
            "/v1.0/roleManagement/directory/roleAssignments": ours(
                {"id": "a1", "principalId": principal, "roleDefinitionId": GLOBAL_ADMIN, "directoryScopeId": "/"}
            ),
            "/v1.0/roleManagement/directory/roleAssignmentScheduleInstances": graph(
                "rbacapplication-list-roleassignmentscheduleinstances"
            ),
        }
    )
    (grant,) = inv.grants
    assert (grant.role_id, grant.duration, grant.expires) == (
        f"directoryrole:{GLOBAL_ADMIN}",
        GrantDuration.STANDING,
        None,
    )


def test_directory_eligibility_example_is_eligible_until_its_end():
    principal = "071cc716-8147-4397-a5ba-b2105951cc0b"
    inv, _ = scan(
        {
            "/v1.0/servicePrincipals": ours(sp(principal, "ours-eligible")),
            "/v1.0/roleManagement/directory/roleEligibilitySchedules": graph(
                "rbacapplication-list-roleeligibilityschedules"
            ),
        }
    )
    (grant,) = inv.grants
    assert (grant.role_id, grant.duration, grant.expires) == (
        "directoryrole:8424c6f0-a189-499e-bbd0-26c1753c96d4",
        GrantDuration.ELIGIBLE,
        datetime(2024, 4, 10, tzinfo=UTC),
    )


def test_sign_in_activity_examples_with_one_digit_hour_offsets_set_last_use():
    """Microsoft's beta report examples write offsets as ``-8:00``; they must parse, not crash."""
    inv, _ = scan(
        {
            "/v1.0/applications": ours(
                {
                    "id": "6920caa5-1cae-4bc8-bf59-9c0b8495d240",
                    "appId": "f4d9654f-0305-4072-878c-8bf266dfe146",
                    "displayName": "ours-cert-app",
                    "keyCredentials": [{"keyId": "83f45296-fb8f-4aaa-a399-ac51084e02b7", "usage": "Verify"}],
                }
            ),
            "/v1.0/servicePrincipals": ours(
                sp(
                    "cf533854-9fb7-4c01-9c0e-f68922ada8b6",
                    "ours-cert-app",
                    appId="f4d9654f-0305-4072-878c-8bf266dfe146",
                ),
                sp(
                    "0a0a0a0a-0000-4000-8000-000000000001",
                    "ours-signed-in",
                    appId="83f45296-fb8f-4aaa-a399-ac51084e02b7",
                ),
                sp(
                    "0a0a0a0a-0000-4000-8000-000000000002",
                    "ours-never-seen",
                    appId="0a0a0a0a-0000-4000-8000-0000000000ff",
                ),
            ),
            "/beta/reports/servicePrincipalSignInActivities": graph("reportroot-list-serviceprincipalsigninactivities"),
            "/beta/reports/appCredentialSignInActivities": graph("reportroot-list-appcredentialsigninactivities"),
        }
    )
    by_name = {i.name: i for i in inv.identities}
    # the latest of the example's sign-ins: 2021-04-01T00:00:00-8:00
    assert by_name["ours-signed-in"].last_used == datetime(2021, 4, 1, 8, tzinfo=UTC)
    assert by_name["ours-signed-in"].last_used_status is UsageStatus.USED
    assert by_name["ours-never-seen"].last_used is None  # near miss: not in the report, nothing invented
    (cred,) = inv.credentials
    assert (cred.id, cred.last_used, cred.last_used_status) == (
        "83f45296-fb8f-4aaa-a399-ac51084e02b7",
        datetime(2021, 3, 18, 8, tzinfo=UTC),
        UsageStatus.USED,
    )


GROUP = "02bd9fd6-8f93-4758-87c3-1fb73740a315"  # the group in the transitiveMembers example
SUB = "291bba3f-e0a5-47bc-a099-3bdcb2a50a05"  # the first subscription in the subscriptions example


def test_group_members_example_user_is_a_person_not_a_workload_member():
    inv, wire = scan(
        {
            "/subscriptions": arm("GetSubscriptions"),
            f"/subscriptions/{SUB}/{AUTH}/roleAssignments": ours(
                {
                    "id": f"/subscriptions/{SUB}/{AUTH}/roleAssignments/ours-1",
                    "name": "ours-1",
                    "properties": {
                        "roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
                        "principalId": GROUP,
                        "principalType": "Group",
                        "scope": f"/subscriptions/{SUB}",
                    },
                }
            ),
            f"/v1.0/groups/{GROUP}/transitiveMembers": graph("group-list-transitivemembers"),
        }
    )
    assert f"/v1.0/groups/{GROUP}/transitiveMembers" in wire.paths()
    group = next(i for i in inv.identities if i.id == GROUP)
    assert group.kind is IdentityKind.GROUP
    assert [(g.principal_id, g.scope_id) for g in inv.grants] == [(GROUP, f"/subscriptions/{SUB}")]
    # the example's member is a user: kept as a person (counted, never judged), not a workload
    (member,) = inv.memberships
    assert (member.member_id, member.group_id) == ("11111111-2222-3333-4444-555555555555", GROUP)
    person = next(i for i in inv.identities if i.id == member.member_id)
    assert (person.kind, person.human, is_nhi(person)) == (IdentityKind.USER, True, False)


RECS = "/beta/directory/recommendations"
STALE = graph("recommendation-remove-unused-credential-from-apps")  # one recommendation, as Entra's docs show it
EXAMPLE_APP = "1d9d9eb9-e956-4dab-881a-b4f4f35293ef"  # subjectId of the impactedResources example's first app


def credentials_app(app_id: str, key_id: str, name: str) -> dict[str, Any]:
    """Ours: an app and its service principal holding one client secret."""
    return {
        "id": f"a{key_id[1:]}",
        "appId": app_id,
        "displayName": name,
        "passwordCredentials": [
            {"keyId": key_id, "startDateTime": "2021-01-01T00:00:00Z", "endDateTime": "2022-01-01T00:00:00Z"}
        ],
    }


def recommendation_scan(routes: dict[str, Any]) -> tuple[Inventory, PublishedAzureWire]:
    apps = [
        credentials_app(EXAMPLE_APP, "0e000000-0000-4000-8000-000000000001", "ours-contoso-iwa"),
        credentials_app("0c000000-0000-4000-8000-0000000000c2", "0e000000-0000-4000-8000-000000000002", "ours-idle"),
    ]
    sps = [sp(f"5{a['id'][1:]}", a["displayName"], appId=a["appId"]) for a in apps]
    return scan({"/v1.0/applications": ours(*apps), "/v1.0/servicePrincipals": ours(*sps), **routes})


def test_recommendation_list_example_holds_no_credential_recommendation_and_marks_nothing():
    """Microsoft's listed recommendation (printed as one object, served as the list's one item) is
    ``turnOffPerUserMFA``: read, not followed, and no credential is marked."""
    inv, wire = recommendation_scan({RECS: ours(graph("directory-list-recommendation"))})
    assert RECS in wire.paths()
    assert not [p for p in wire.paths() if p.endswith("/impactedResources")]  # turnOffPerUserMFA: not read further
    assert coverage(inv, "graph:beta.directoryRecommendations") == {CoverageStatus.OK}
    assert coverage(inv, "graph:beta.directoryRecommendations.impactedResources") == {CoverageStatus.OK}
    assert len(inv.credentials) == 2 and all(c.reported_unused is None for c in inv.credentials)


def test_unused_credentials_recommendation_example_is_read_and_its_completed_resources_mark_nothing():
    """Entra's published ``staleAppCreds`` recommendation is open, so its impacted resources are read;
    Microsoft's published impacted resources are both ``completedBySystem``: nothing is marked, not even
    the credential of the app the example names. Beside them, ours: one open resource naming a credential."""
    impacted = f"{RECS}/{STALE['id']}/impactedResources"
    published = graph("recommendation-list-impactedresources")
    open_one = {
        "id": "ours-open",
        "subjectId": "0c000000-0000-4000-8000-0000000000c2",
        "resourceType": "app",
        "status": "active",
        "additionalDetails": [{"key": "CredentialId", "value": "0e000000-0000-4000-8000-000000000002"}],
    }
    inv, wire = recommendation_scan(
        {RECS: ours(STALE), impacted: {**published, "value": [*published["value"], open_one]}}
    )
    assert impacted in wire.paths()
    marked = {c.id: c.reported_unused for c in inv.credentials if c.reported_unused is not None}
    assert set(marked) == {"0e000000-0000-4000-8000-000000000002"}  # ours, never the example's completed app
    report = marked["0e000000-0000-4000-8000-000000000002"]
    assert (report.reference, report.window_days) == (STALE["id"], 30)
    # the published recommendation carries no lastCheckedDateTime and ours no addedDateTime: no date invented
    assert report.reported_at is None


# -- Azure Resource Manager ---------------------------------------------------------------------


def test_subscriptions_example_lists_both_subscriptions_and_ends_at_its_placeholder_link():
    inv, wire = scan({"/subscriptions": arm("GetSubscriptions")})
    subs = {s.id: s for s in inv.scopes if s.kind is ScopeKind.SUBSCRIPTION}
    assert {k: s.name for k, s in subs.items()} == {
        f"/subscriptions/{SUB}": "Example Subscription",
        "/subscriptions/72ac930a-f34e-42d8-b06d-dc2a9e12ed71": "Example Subscription2",
    }
    assert coverage(inv, "arm:subscriptions") == {CoverageStatus.OK}
    assert f"/subscriptions/{SUB}/{AUTH}/roleAssignments" in wire.paths()  # each subscription is read


def test_a_paging_link_outside_the_declared_reads_is_refused_as_a_gap_not_a_crash():
    """The same example with its ``...`` link taken literally: the SDK would fetch ``/...``,
    which is no declared read. The guard refuses it (nothing is sent) and the listing is a gap."""
    inv, wire = scan({"/subscriptions": arm("GetSubscriptions")}, resolve_placeholders=False)
    (entry,) = [c for c in inv.coverage if c.operation == "arm:subscriptions"]
    assert entry.status is CoverageStatus.FAILED
    assert entry.detail is not None and "GET /..." in entry.detail
    assert "/..." not in wire.paths()
    assert not [s for s in inv.scopes if s.kind is ScopeKind.SUBSCRIPTION]


def test_management_group_examples_build_the_tree():
    g1 = "/providers/microsoft.management/managementgroups/20000000-0001-0000-0000-000000000000"
    inv, _ = scan(
        {
            "/providers/Microsoft.Management/managementGroups": arm("ListManagementGroups"),
            "/providers/Microsoft.Management/managementGroups/20000000-0001-0000-0000-000000000000": arm(
                "GetManagementGroupWithExpand"
            ),
            "/subscriptions": ours(
                {
                    "id": "/subscriptions/20000000-F005-0000-0000-000000000000",
                    "subscriptionId": "20000000-F005-0000-0000-000000000000",
                    "displayName": "ours-sub",
                }
            ),
        }
    )
    scopes = {s.id: s for s in inv.scopes}
    assert scopes[g1].name == "Group 1 Tenant 2"
    assert (
        scopes[g1].parent_id == "/providers/microsoft.management/managementgroups/20000000-0000-0000-0000-000000000000"
    )
    assert scopes["/subscriptions/20000000-f005-0000-0000-000000000000"].parent_id == g1
    # the second group's detail was not published: it is kept from the list, its read is a gap
    g4 = "/providers/microsoft.management/managementgroups/20000000-0004-0000-0000-000000000000"
    assert scopes[g4].name == "Group 4 Tenant 2" and scopes[g4].parent_id is None
    assert coverage(inv, "arm:managementGroups.get") == {CoverageStatus.OK, CoverageStatus.FAILED}


RA_SUB = "a925f2f7-5c63-4b7b-8799-25a5f97bc3b2"  # the scope of the role assignment example
RA_PRINCIPAL = "ce2ce14e-85d7-4629-bdbc-454d0519d987"


def _sub(sub_id: str) -> dict[str, Any]:
    return {"id": f"/subscriptions/{sub_id}", "subscriptionId": sub_id, "displayName": f"ours-{sub_id[:8]}"}


def test_role_assignment_example_is_a_standing_grant_on_the_subscription():
    inv, _ = scan(
        {
            "/subscriptions": ours(_sub(RA_SUB)),
            "/v1.0/servicePrincipals": ours(sp(RA_PRINCIPAL, "ours-assignee")),
            f"/subscriptions/{RA_SUB}/{AUTH}/roleAssignments": arm("RoleAssignments_ListForScope"),
        }
    )
    (grant,) = inv.grants
    assert (grant.principal_id, grant.role_id, grant.scope_id, grant.duration) == (
        RA_PRINCIPAL,
        "/providers/microsoft.authorization/roledefinitions/0b5fe924-9a61-425c-96af-cfe6e287ca2d",
        f"/subscriptions/{RA_SUB}",
        GrantDuration.STANDING,
    )


def test_role_assignment_example_to_a_user_is_a_person_counted_not_judged():
    inv, _ = scan(
        {
            "/subscriptions": ours(_sub(RA_SUB)),
            f"/subscriptions/{RA_SUB}/{AUTH}/roleAssignments": arm("RoleAssignments_ListForScope"),
        }
    )
    # principalType User: the grant is kept as a fact of a person, and no workload holds it
    (grant,) = inv.grants
    holder = next(i for i in inv.identities if i.id == grant.principal_id)
    assert (holder.id, holder.human, is_nhi(holder)) == ("ce2ce14e-85d7-4629-bdbc-454d0519d987", True, False)


def test_role_definition_example_is_a_custom_role_with_its_actions():
    inv, _ = scan(
        {
            "/subscriptions": ours(_sub(RA_SUB)),
            f"/subscriptions/{RA_SUB}/{AUTH}/roleDefinitions": arm("GetRoleDefinitionAtScope"),
        }
    )
    (role,) = inv.roles
    assert (role.id, role.name, role.permissions, role.provider_managed) == (
        "/providers/microsoft.authorization/roledefinitions/roledefinitionid",
        "Role name",
        ["action"],
        False,
    )
    assert role.documents[0]["assignableScopes"] == ["/subscriptions/subId"]


PIM_SUB = "dfa2a084-766f-4003-8ae1-c4aeb893a99f"  # the scope of both PIM schedule examples
PIM_PRINCIPAL = "a3bb8764-cb92-4276-9d2a-ca1e895e55ea"


def test_pim_schedule_examples_are_eligible_and_time_bound_on_the_subscription():
    """The assignment schedule example names its scope ``/providers/Microsoft.Subscription/
    subscriptions/<id>``; it is the same subscription as ``/subscriptions/<id>``."""
    inv, _ = scan(
        {
            "/subscriptions": ours(_sub(PIM_SUB)),
            "/v1.0/servicePrincipals": ours(sp(PIM_PRINCIPAL, "ours-pim")),
            f"/subscriptions/{PIM_SUB}/{AUTH}/roleEligibilitySchedules": arm("GetRoleEligibilitySchedulesByScope"),
            f"/subscriptions/{PIM_SUB}/{AUTH}/roleAssignmentSchedules": arm("GetRoleAssignmentSchedulesByScope"),
        }
    )
    sub = f"/subscriptions/{PIM_SUB}"
    prefix = "/providers/microsoft.authorization/roledefinitions/"
    assert {(g.role_id, g.scope_id, g.duration, g.expires) for g in inv.grants} == {
        (
            prefix + "b24988ac-6180-42a0-ab88-20f7382dd24c",
            sub,
            GrantDuration.ELIGIBLE,
            datetime(2021, 9, 9, 21, 32, 28, 490000, tzinfo=UTC),
        ),
        (
            prefix + "c8d4ff99-41c3-41a8-9f60-21dfdad59608",
            sub,
            GrantDuration.TIME_BOUND,
            datetime(2020, 9, 10, 5, 35, 17, 910000, tzinfo=UTC),
        ),
    }
    assert all(g.condition and "foo_storage_container" in g.condition for g in inv.grants)
    assert {s.id for s in inv.scopes if s.kind is not ScopeKind.TENANT} == {sub}


def test_user_assigned_identity_examples_are_a_managed_identity_with_a_kubernetes_trust():
    inv, wire = scan(
        {
            "/subscriptions": ours(_sub("subid")),
            "/subscriptions/subid/providers/Microsoft.ManagedIdentity/userAssignedIdentities": arm(
                "IdentityListBySubscription"
            ),
            "/subscriptions/subid/resourcegroups/rgName/providers/Microsoft.ManagedIdentity/userAssignedIdentities/"
            "identityName/federatedIdentityCredentials": arm("FederatedIdentityCredentialList"),
        }
    )
    (mi,) = inv.identities
    assert (mi.id, mi.name, mi.kind, mi.aliases) == (
        "25cc773c-7f05-40fc-a104-32d2300754ad",
        "identityName",
        IdentityKind.MANAGED_IDENTITY,
        ["4024ab25-56a8-4370-aea6-6389221caf29"],
    )
    (cred,) = inv.credentials
    assert (cred.kind, cred.identity_id) == (CredentialKind.FEDERATED, mi.id)
    (trust,) = inv.trusts
    assert (
        trust.principal == "https://oidc.prod-aks.azure.com/TenantGUID/IssuerGUID#system:serviceaccount:ns:svcaccount"
    )
    # both published nextLinks were followed (to this server) and ended the paging
    assert sum("skiptoken" in c.query.lower() for c in wire.calls) == 2
    assert coverage(inv, "arm:userAssignedIdentities") == {CoverageStatus.OK}


def test_resource_graph_example_is_one_page_and_no_compute():
    """Microsoft's query example: the SDK reads its shape, a page without ``$skipToken`` is the
    last, and resources that run no code (a NIC, a network, an IP) are no workload."""
    inv, wire = scan(
        {
            "/subscriptions": arm("GetSubscriptions"),
            "/providers/Microsoft.ResourceGraph/resources": arm("ResourcesBasicQuery"),
        }
    )
    assert coverage(inv, "arm:resourceGraph.resources") == {CoverageStatus.OK}
    assert [c.method for c in wire.calls if c.path.lower() == "/providers/microsoft.resourcegraph/resources"] == [
        "POST"
    ]
    assert inv.workloads == []


def test_aks_list_example_as_resource_graph_data_runs_as_no_managed_identity():
    """Microsoft's AKS list example, its records served as Resource Graph data (the same resource
    record): a cluster that runs as a service principal is no managed-identity workload; the same
    cluster with a kubelet identity is one, named by that identity's object id."""
    records = arm("ManagedClustersList")["value"]
    graph_page = {"totalRecords": 1, "count": 1, "resultTruncated": "false", "facets": [], "data": records}
    routes = {"/subscriptions": arm("GetSubscriptions"), "/providers/Microsoft.ResourceGraph/resources": graph_page}
    inv, _ = scan(routes)
    assert coverage(inv, "arm:resourceGraph.resources") == {CoverageStatus.OK}
    assert inv.workloads == []
    kubelet = {"kubeletidentity": {"objectId": "ECC3A68D-561D-4493-A1F5-000000000001", "resourceId": "/x/kubelet"}}
    with_identity = [{**records[0], "properties": {**records[0]["properties"], "identityProfile": kubelet}}]
    inv, _ = scan({**routes, "/providers/Microsoft.ResourceGraph/resources": {**graph_page, "data": with_identity}})
    (cluster,) = inv.workloads
    assert (cluster.kind, cluster.name, cluster.identity_ids) == (
        ComputeKind.AKS_CLUSTER,
        "clustername1",
        ["ecc3a68d-561d-4493-a1f5-000000000001"],
    )
    assert cluster.tags == {"archv2": "", "tier": "production"} and cluster.attributes["local_accounts"] == "true"


def test_key_vault_example_as_resource_graph_data_is_a_vault_in_the_access_policy_model():
    """Microsoft's "get a vault" example, served as a Resource Graph record (Resource Graph keys
    types in lower case): no enableRbacAuthorization, so its access policies decide who reads its
    secrets; the same vault with enableRbacAuthorization is in the RBAC model (the near miss)."""
    vault = {
        **arm("getVault"),
        "type": "microsoft.keyvault/vaults",
        "subscriptionId": "00000000-0000-0000-0000-000000000000",
    }
    graph_page = {"totalRecords": 1, "count": 1, "resultTruncated": "false", "facets": [], "data": [vault]}
    routes = {"/subscriptions": arm("GetSubscriptions"), "/providers/Microsoft.ResourceGraph/resources": graph_page}
    inv, _ = scan(routes)
    (found,) = inv.workloads
    assert (found.kind, found.name, found.identity_ids) == (ComputeKind.KEY_VAULT, "sample-vault", [])
    assert found.attributes["permission_model"] == "access-policy" and found.attributes["access_policies"] == "1"
    rbac = {**vault, "properties": {**vault["properties"], "enableRbacAuthorization": True}}
    inv, _ = scan({**routes, "/providers/Microsoft.ResourceGraph/resources": {**graph_page, "data": [rbac]}})
    assert inv.workloads[0].attributes["permission_model"] == "rbac"


def test_deny_assignment_example_is_a_guardrail_on_its_resource_group_that_cuts_a_hop_for_its_principal_only():
    inv, _ = scan(
        {
            "/subscriptions": ours(_sub(RA_SUB)),
            f"/subscriptions/{RA_SUB}/{AUTH}/denyAssignments": arm("GetDenyAssignmentsForResourceGroup"),
        }
    )
    (guardrail,) = inv.guardrails
    assert (guardrail.id, guardrail.kind, guardrail.name, guardrail.targets) == (
        "/subscriptions/subId/resourcegroups/rgname/providers/Microsoft.Authorization/denyAssignments/denyAssignmentId",
        GuardrailKind.AZURE_DENY,
        "Deny assignment name",
        ["/subscriptions/subId/resourcegroups/rgname"],
    )
    # Ours: two principals and a hop each makes on the example's resource group with the example's action.
    denied, excluded = (
        Identity(id=i, provider=Provider.AZURE, kind=IdentityKind.SERVICE_PRINCIPAL, account="t", name=i)
        for i in ("principalid1", "principalid2")
    )
    where = "/subscriptions/subId/resourcegroups/rgname/providers/x/y/z"
    hops = [Hop(p.id, where, HopKind.EXISTING_COMPUTE, "ours", method="") for p in (denied, excluded)]
    graph = PrivilegeGraph(inv.model_copy(update={"identities": [denied, excluded]}))
    assert stopped_by(graph, hops[0], "action") is not None
    assert stopped_by(graph, hops[1], "action") is None  # excludePrincipals
    assert stopped_by(graph, hops[0], "other/action") is None
