"""AWS's own published example responses, replayed to the AWS collector's reads.

AWS publishes an example per API operation; the SDKs ship them (``botocore/data/<service>/
<version>/examples-1.json``, provenance in each fixture and PROVENANCE.md). moto already
answers in AWS's wire format for the rest of the collector's tests; here botocore's own
``Stubber`` hands the published output to the real client, which checks it against the
service model, and the collector's read turns it into records. (Stubber skips the HTTP
parser: the wire itself is covered by the moto tests.)
"""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
from botocore.stub import Stubber

from standing.collectors.aws.fetch import CoverageLog, fetch_access_keys
from standing.collectors.aws.guardrails import guardrail_records
from standing.collectors.aws.organization import list_org_accounts, organization_scope
from standing.core.model import CoverageStatus, GuardrailKind, Provider, Scope, ScopeKind
from tests.support.published import body

ALICE = "arn:aws:iam::123456789012:user/Alice"


def client(service: str):
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")


def test_list_access_keys_example_is_alice_s_two_active_keys():
    iam = client("iam")
    log = CoverageLog("aws:123456789012")
    with Stubber(iam) as stub:
        stub.add_response("list_access_keys", body("aws", "iam-ListAccessKeys"), {"UserName": "Alice"})
        keys = fetch_access_keys(iam, log, [("Alice", ALICE)])
        stub.assert_no_pending_responses()
    assert [(k.user_name, k.access_key_id, k.status, k.created) for k in keys[ALICE]] == [
        ("Alice", "AKIA111111111EXAMPLE", "Active", datetime(2016, 12, 1, 22, 19, 58, tzinfo=UTC)),
        ("Alice", "AKIA222222222EXAMPLE", "Active", datetime(2016, 12, 1, 22, 20, 1, tzinfo=UTC)),
    ]
    assert [e.status for e in log.entries] == [CoverageStatus.OK]


def test_no_key_holder_means_no_key_read():
    iam = client("iam")
    log = CoverageLog("aws:123456789012")
    with Stubber(iam):  # any call would fail: nothing is queued
        assert fetch_access_keys(iam, log, []) == {}
    assert log.entries == []


def test_list_accounts_example_is_four_active_accounts_from_the_older_status_field():
    orgs = client("organizations")
    log = CoverageLog("aws:organization")
    with Stubber(orgs) as stub:
        stub.add_response("list_accounts", body("aws", "organizations-ListAccounts"), {})
        accounts = list_org_accounts(orgs, log)
    assert accounts is not None
    assert [(a.id, a.name, a.state) for a in accounts] == [
        ("111111111111", "Master Account", "ACTIVE"),
        ("222222222222", "Developer Account", "ACTIVE"),
        ("333333333333", "Test Account", "ACTIVE"),
        ("444444444444", "Production Account", "ACTIVE"),
    ]


def test_describe_organization_example_is_the_organization_scope():
    orgs = client("organizations")
    log = CoverageLog("aws:organization")
    with Stubber(orgs) as stub:
        stub.add_response("describe_organization", body("aws", "organizations-DescribeOrganization"), {})
        scope = organization_scope(orgs, log)
    assert scope is not None
    assert (scope.id, scope.kind, scope.name) == (
        "aws:organization:o-exampleorgid",
        ScopeKind.ORGANIZATION,
        "o-exampleorgid",
    )


def test_outside_an_organization_there_is_no_organization_scope():
    orgs = client("organizations")
    log = CoverageLog("aws:organization")
    with Stubber(orgs) as stub:
        stub.add_client_error("describe_organization", "AWSOrganizationsNotInUseException", http_status_code=400)
        assert organization_scope(orgs, log) is None
    assert [(e.status, e.detail) for e in log.entries] == [(CoverageStatus.FAILED, "AWSOrganizationsNotInUseException")]


def test_organizations_guardrail_examples_are_an_scp_on_root_ou_and_account_exempting_the_management_account():
    """The published tree, policy list, policy and its targets read as the organization scan reads them.

    Ours: the pages the examples leave out (a Production OU with nothing under it, no RCP), and
    a denied DescribePolicy for the two listed policies without a published document.
    """
    orgs = client("organizations")
    log = CoverageLog("aws:organization")
    root, development, production = (
        "r-examplerootid111",
        "ou-examplerootid111-exampleouid111",
        "ou-examplerootid111-exampleouid222",
    )
    with Stubber(orgs) as stub:
        stub.add_response("describe_organization", body("aws", "organizations-DescribeOrganization"), {})
        stub.add_response("list_roots", body("aws", "organizations-ListRoots"), {})
        stub.add_response(
            "list_organizational_units_for_parent",
            body("aws", "organizations-ListOrganizationalUnitsForParent"),
            {"ParentId": root},
        )
        stub.add_response("list_accounts_for_parent", {"Accounts": []}, {"ParentId": root})
        stub.add_response("list_organizational_units_for_parent", {"OrganizationalUnits": []}, {"ParentId": production})
        stub.add_response("list_accounts_for_parent", {"Accounts": []}, {"ParentId": production})
        stub.add_response(
            "list_organizational_units_for_parent", {"OrganizationalUnits": []}, {"ParentId": development}
        )
        stub.add_response(
            "list_accounts_for_parent", body("aws", "organizations-ListAccountsForParent"), {"ParentId": development}
        )
        stub.add_response(
            "list_policies", body("aws", "organizations-ListPolicies"), {"Filter": "SERVICE_CONTROL_POLICY"}
        )
        stub.add_response(
            "describe_policy", body("aws", "organizations-DescribePolicy"), {"PolicyId": "p-examplepolicyid111"}
        )
        stub.add_response(
            "list_targets_for_policy",
            body("aws", "organizations-ListTargetsForPolicy"),
            {"PolicyId": "p-examplepolicyid111"},
        )
        for pid in ("p-examplepolicyid222", "p-FullAWSAccess"):
            stub.add_client_error(
                "describe_policy", "AccessDeniedException", http_status_code=400, expected_params={"PolicyId": pid}
            )
        stub.add_response("list_policies", {"Policies": []}, {"Filter": "RESOURCE_CONTROL_POLICY"})
        guardrails, scopes = guardrail_records(
            orgs,
            log,
            Scope(
                id="aws:organization:o-exampleorgid",
                provider=Provider.AWS,
                kind=ScopeKind.ORGANIZATION,
                name="o-exampleorgid",
            ),
        )
        stub.assert_no_pending_responses()
    [scp] = guardrails
    assert (scp.id, scp.name, scp.kind) == ("p-examplepolicyid111", "AllowAllS3Actions", GuardrailKind.SCP)
    assert scp.document["Statement"] == [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    assert scp.targets == ["aws:account:333333333333", f"aws:ou:{development}", f"aws:root:{root}"]
    assert scp.exempt_accounts == ["111111111111"]  # from MasterAccountArn: the example has no MasterAccountId
    assert {(s.id, s.name, s.parent_id) for s in scopes} == {
        (f"aws:root:{root}", "Root", "aws:organization:o-exampleorgid"),
        (f"aws:ou:{development}", "Development", f"aws:root:{root}"),
        (f"aws:ou:{production}", "Production", f"aws:root:{root}"),
        ("aws:account:333333333333", "Development Account", f"aws:ou:{development}"),
        ("aws:account:444444444444", "Test Account", f"aws:ou:{development}"),
    }
    # The two policies whose document was refused are gaps naming the call, not guesses.
    assert [(e.operation, e.status) for e in log.entries if e.status is not CoverageStatus.OK] == [
        ("organizations:DescribePolicy", CoverageStatus.DENIED)
    ] * 2


# --- workloads -----------------------------------------------------------------------------


def region_fetch(session: boto3.Session):
    from standing.collectors.aws.session import AwsScanOptions
    from standing.collectors.aws.workload_fetch import _RegionFetch, _RegionLog

    return _RegionFetch(session, AwsScanOptions(), "us-east-1", _RegionLog(CoverageLog("123456789012")))


def stubbed_session(stubs: dict[str, list[tuple[str, dict, dict]]]):
    """A session whose clients answer the queued published responses in order, per service."""
    session = boto3.Session(region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    stubbers: list[Stubber] = []

    def created(client, **_):
        service = client.meta.service_model.service_name
        stub = Stubber(client)
        for method, response, params in stubs.get(service, []):
            stub.add_response(method, response, params)
        stub.activate()
        stubbers.append(stub)

    original = session.client

    def client_factory(*args, **kwargs):
        c = original(*args, **kwargs)
        created(c)
        return c

    session.client = client_factory  # type: ignore[method-assign]
    return session, stubbers


def test_list_functions_example_is_two_functions_with_their_execution_roles():
    from standing.collectors.aws.raw import RawAccount, RegionWorkloads
    from standing.collectors.aws.workloads import workloads_from_raw

    session, stubbers = stubbed_session({"lambda": [("list_functions", body("aws", "lambda-ListFunctions"), {})]})
    fetch = region_fetch(session)
    functions = fetch.pages(fetch.client("lambda"), "lambda", "ListFunctions", "Functions", "Lambda functions")
    [stub.assert_no_pending_responses() for stub in stubbers]
    raw = RawAccount(
        account_id="123456789012",
        caller_arn="arn:aws:iam::123456789012:user/scanner",
        workload_regions=[RegionWorkloads(region="us-west-2", lambda_functions=functions)],
    )
    assert [(w.name, w.identity_ids, w.attributes["runtime"]) for w in workloads_from_raw(raw)] == [
        ("helloworld", ["arn:aws:iam::123456789012:role/service-role/MyTestFunction-role-zgur6bf4"], "nodejs10.x"),
        ("my-function", ["arn:aws:iam::123456789012:role/service-role/helloWorldPython-role-uy3l9qyq"], "nodejs10.x"),
    ]


def test_describe_regions_example_is_read_only_where_asked():
    from standing.collectors.aws.workload_fetch import enabled_regions

    ec2 = client("ec2")
    log = CoverageLog("123456789012")
    with Stubber(ec2) as stub:
        stub.add_response("describe_regions", body("aws", "ec2-DescribeRegions"), {})
        stub.add_response("describe_regions", body("aws", "ec2-DescribeRegions"), {})
        everything = enabled_regions(ec2, log, ())
        asked = enabled_regions(ec2, log, ("eu-west-1", "us-east-1"))
    assert everything is not None and len(everything) == 11 and "sa-east-1" in everything
    assert asked == ["eu-west-1", "us-east-1"]  # near miss: the filter keeps the rest unread


def test_ecs_examples_chain_to_the_service_and_its_task_definition_without_the_environment():
    from standing.collectors.aws.raw import RawAccount, RegionWorkloads
    from standing.collectors.aws.workloads import workloads_from_raw

    described = body("aws", "ecs-DescribeServices")
    service = described["services"][0]
    session, _ = stubbed_session(
        {
            "ecs": [
                ("list_clusters", {"clusterArns": [service["clusterArn"]]}, {}),
                ("list_services", body("aws", "ecs-ListServices"), {"cluster": service["clusterArn"]}),
                (
                    "describe_services",
                    described,
                    {"cluster": service["clusterArn"], "services": body("aws", "ecs-ListServices")["serviceArns"]},
                ),
                (
                    "describe_task_definition",
                    body("aws", "ecs-DescribeTaskDefinition"),
                    {"taskDefinition": service["taskDefinition"]},
                ),
            ]
        }
    )
    services, definitions = region_fetch(session).ecs()
    assert "password" not in str(definitions)  # the example's MYSQL_ROOT_PASSWORD is not kept
    raw = RawAccount(
        account_id="012345678910",
        caller_arn="arn:aws:iam::012345678910:user/scanner",
        workload_regions=[RegionWorkloads(region="us-east-1", ecs_services=services, ecs_task_definitions=definitions)],
    )
    [workload] = workloads_from_raw(raw)
    # The published definition names no task role: the service runs with none (near miss of a role).
    assert (workload.name, workload.identity_ids, workload.attributes["task_definition_read"]) == (
        "ecs-simple-service",
        [],
        "true",
    )
    # The example (2016) predates ECS Exec and says nothing of it: unknown, so an ecs-006 hop into
    # it would be conditional; the flag set, as DescribeServices writes it today, is read.
    assert workload.attributes["execute_command"] == ""
    exec_on = {**described, "services": [{**service, "enableExecuteCommand": True}]}
    [service_on] = workloads_from_raw(
        raw.model_copy(
            update={
                "workload_regions": [
                    RegionWorkloads(
                        region="us-east-1", ecs_services=exec_on["services"], ecs_task_definitions=definitions
                    )
                ]
            }
        )
    )
    assert service_on.attributes["execute_command"] == "true"


def test_ecs_list_clusters_example_is_two_clusters():
    ecs = client("ecs")
    with Stubber(ecs) as stub:
        stub.add_response("list_clusters", body("aws", "ecs-ListClusters"), {})
        assert [a.rsplit("/", 1)[1] for a in ecs.list_clusters()["clusterArns"]] == ["test", "default"]


def test_eks_list_clusters_example_asks_each_cluster_for_pod_identities():
    session, stubbers = stubbed_session(
        {
            "eks": [
                ("list_clusters", body("aws", "eks-ListClusters"), {}),
                ("list_pod_identity_associations", {"associations": []}, {"clusterName": "devel"}),
                ("list_pod_identity_associations", {"associations": []}, {"clusterName": "prod"}),
            ]
        }
    )
    assert region_fetch(session).eks_pod_identities() == []
    [stub.assert_no_pending_responses() for stub in stubbers]


def test_access_advisor_examples_are_iam_used_and_s3_idle_at_service_level():
    """IAM's published Access Advisor pair, replayed as one job: the report names IAM as used
    and S3 as granted but idle, and (a policy report, no tracked actions) is service-level only."""
    from standing.collectors.aws.usage_fetch import fetch_access_advisor

    iam = client("iam")
    log = CoverageLog("aws:123456789012")
    target = "arn:aws:iam::123456789012:policy/ExamplePolicy1"
    job = body("aws", "iam-GenerateServiceLastAccessedDetails")
    with Stubber(iam) as stub:
        stub.add_response("generate_service_last_accessed_details", job, {"Arn": target, "Granularity": "ACTION_LEVEL"})
        stub.add_response(
            "get_service_last_accessed_details",
            body("aws", "iam-GetServiceLastAccessedDetails"),
            {"JobId": job["JobId"]},
        )
        (record,) = fetch_access_advisor(iam, log, [target], datetime(2018, 11, 1, tzinfo=UTC), sleep=lambda _: None)
        stub.assert_no_pending_responses()
    assert [(s.name, s.last_used) for s in record.services] == [
        ("iam", datetime(2018, 10, 24, 19, 11, tzinfo=UTC)),
        ("s3", None),
    ]
    assert record.actions == [] and not record.action_level
    assert record.observed_at == datetime(2018, 10, 24, 19, 47, 35, 241000, tzinfo=UTC)
