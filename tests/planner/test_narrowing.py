"""Plans narrow to what was used, from each source's usage record; without one nothing changes.

Records are built as each collector writes them: Access Advisor (service level), Access Analyzer
(action level), a GCP Recommender replacement, and none for Azure. Every narrowed AWS document
is checked strictly smaller than the grants, accepted by IAM (moto), lint-clean (parliament),
and its Terraform parses.
"""

from __future__ import annotations

from standing.core.model import ActionUse, Identity, PermissionUsage, RoleReplacement, UsageSource
from standing.planner.model import PolicyKind, UsageBasis
from standing.planner.model import TargetPattern as P
from tests.builders import NOW, allow, analyzer_usage, days_ago, grant, key, policy, user
from tests.planner.cases import ACCOUNT, PROJECT, _aws_admin, aws, gcp, parsed_terraform, plans_of, sa, sa_key
from tests.planner.policy_lint import iam_accepts, is_error, parliament_findings
from tests.rule_cases import gcp_grant, gcp_role
from tests.support.narrowing import compare_narrowed

TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/reports"


def _estate(usage: list[PermissionUsage]) -> tuple[Identity, object]:
    u = user("svc-reports")
    held = policy(
        "Reports",
        allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::acme-reports/*"),
        allow(["dynamodb:GetItem", "dynamodb:PutItem"], TABLE),
        allow(["iam:*"]),
    )
    return u, aws(u, key(u, "AKIAREPORTS000000001", age=200, used=1), held, grant(u, held), usage=usage)


def _advisor(who: Identity, **services: int | None) -> PermissionUsage:
    return PermissionUsage(
        identity_id=who.id,
        source=UsageSource.AWS_ACCESS_ADVISOR,
        observed_at=NOW,
        window_days=400,
        services=[ActionUse(name=s, last_used=None if d is None else days_ago(d)) for s, d in services.items()],
    )


def test_service_level_usage_keeps_the_used_services_on_their_own_resources():
    u, _ = _estate([])
    _, inv = _estate([_advisor(u, s3=3, dynamodb=10, iam=None)])
    plan = plans_of(inv)["svc-reports"]
    [narrowed] = [p for p in plan.aws_policies if p.kind is PolicyKind.NARROWED]
    assert narrowed.document["Statement"] == [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::acme-reports/*"},
        {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"], "Resource": TABLE},
    ]
    assert plan.permissions.basis is UsageBasis.USAGE_DATA
    note = plan.permissions.note
    assert "narrowed to the services used (aws-access-advisor, 400-day window to 2026-06-01)" in note
    assert "dropped: iam:*" in note and "AccessDenied: find out with" in note
    assert plan.approval.required  # it held IAM write: every elevation is still approved
    [comparison] = compare_narrowed([plan.model_dump(mode="json")], inv)
    assert comparison.strictly_smaller and "iam:createuser" in comparison.granted - comparison.narrowed
    assert iam_accepts([narrowed]) == 1
    assert {f for f in parliament_findings(narrowed) if is_error(f)} == set()
    assert parsed_terraform(plan)


def test_a_finding_drops_only_what_it_names_unused_and_keeps_what_it_does_not_mention():
    u, _ = _estate([])
    # The analyzer names the idle part only: IAM never used, dynamodb:PutItem idle; S3 not named.
    record = analyzer_usage(u, services={"iam": None, "dynamodb": 1}, unused=("dynamodb:PutItem",))
    _, inv = _estate([record])
    plan = plans_of(inv)["svc-reports"]
    [narrowed] = [p for p in plan.aws_policies if p.kind is PolicyKind.NARROWED]
    assert narrowed.document["Statement"] == [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::acme-reports/*"},
        {"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": TABLE},
    ]
    assert "dynamodb:PutItem" in plan.permissions.note and "narrowed to the actions used" in plan.permissions.note
    [comparison] = compare_narrowed([plan], inv)
    assert comparison.narrowed == {"s3:getobject", "s3:putobject", "dynamodb:getitem"} and comparison.strictly_smaller
    assert iam_accepts([narrowed]) == 1
    assert {f for f in parliament_findings(narrowed) if is_error(f)} == set()
    assert parsed_terraform(plan)


def test_an_action_access_advisor_does_not_track_is_kept_not_dropped():
    """Access Advisor tracks only some actions (S3's management actions, not GetObject): an action
    missing from its list was not seen unused, and dropping it would break the workload."""
    u, _ = _estate([])
    record = _advisor(u, s3=3, dynamodb=10, iam=None).model_copy(
        update={
            "action_level": True,
            "actions": [ActionUse(name="s3:PutObject", last_used=None)],  # tracked and idle; GetObject untracked
        }
    )
    _, inv = _estate([record])
    plan = plans_of(inv)["svc-reports"]
    [narrowed] = [p for p in plan.aws_policies if p.kind is PolicyKind.NARROWED]
    assert narrowed.document["Statement"][0]["Action"] == ["s3:GetObject"]
    assert narrowed.document["Statement"][1]["Action"] == ["dynamodb:GetItem", "dynamodb:PutItem"]
    assert len(narrowed.document["Statement"]) == 2  # iam:* never used: gone


def test_a_source_that_names_nothing_unused_the_identity_holds_leaves_the_plan_unnarrowed():
    u, _ = _estate([])
    _, inv = _estate([analyzer_usage(u, services={"ec2": None})])  # idle, but not granted here
    plan = plans_of(inv)["svc-reports"]
    assert not [p for p in plan.aws_policies if p.kind is PolicyKind.NARROWED]
    assert "dropped: nothing" in plan.permissions.note


def test_without_a_usage_record_the_plan_carries_permissions_over():
    u, inv = _estate([])
    plan = plans_of(inv)["svc-reports"]
    assert not [p for p in plan.aws_policies if p.kind is PolicyKind.NARROWED]
    assert plan.permissions.basis is UsageBasis.NO_USAGE_DATA
    assert "carried over unchanged" in plan.permissions.note
    assert compare_narrowed([plan], inv) == []


def test_a_credential_report_service_is_not_read_as_a_usage_record():
    u, _ = _estate([])
    fallback = PermissionUsage(
        identity_id=u.id, source=UsageSource.AWS_CREDENTIAL_REPORT, observed_at=NOW, window_days=400
    )
    _, inv = _estate([fallback])
    assert plans_of(inv)["svc-reports"].permissions.basis is UsageBasis.NO_USAGE_DATA


def test_a_gcp_plan_names_the_recommenders_replacement():
    s = sa("reports-sa")
    inv = gcp(
        s,
        sa_key(s, "k1"),
        gcp_role("roles/editor"),
        gcp_grant(s, "roles/editor"),
        usage=[
            PermissionUsage(
                identity_id=s.id,
                source=UsageSource.GCP_RECOMMENDER,
                observed_at=NOW,
                window_days=90,
                replacements=[
                    RoleReplacement(
                        scope_id=f"projects/{PROJECT}",
                        role_id="roles/editor",
                        replace_with=["roles/storage.objectViewer"],
                    )
                ],
            )
        ],
    )
    plan = plans_of(inv)[s.name]
    assert plan.permissions.basis is UsageBasis.USAGE_DATA
    assert f"roles/editor on projects/{PROJECT} -> roles/storage.objectViewer" in plan.permissions.note
    assert "gcp-recommender, 90-day window" in plan.permissions.note


def test_an_azure_plan_says_it_cannot_narrow_and_names_the_query():
    from tests.rule_cases import azure_privileged_role

    plans = plans_of(azure_privileged_role())
    plan = plans["sub-owner"]
    assert plan.permissions.basis is UsageBasis.NO_USAGE_DATA
    assert "cannot be narrowed per permission and is kept" in plan.permissions.note
    assert "AzureActivity" in plan.permissions.note


def test_an_admin_on_request_session_is_narrowed_too():
    base = _aws_admin()
    admin = next(i for i in base.identities if i.name == "platform-admin")

    def advisor(**services: int) -> PermissionUsage:
        return PermissionUsage(
            identity_id=admin.id,
            source=UsageSource.AWS_ACCESS_ADVISOR,
            observed_at=NOW,
            window_days=400,
            services=[ActionUse(name=s, last_used=days_ago(d)) for s, d in services.items()],
        )

    records = ([advisor(ec2=1, iam=200)], [], [advisor(ec2=1, iam=3)])
    plans = [plans_of(base.model_copy(update={"usage": usage}))["platform-admin"] for usage in records]
    assert {plan.pattern for plan in plans} == {P.AWS_ADMIN_ON_REQUEST}
    [[narrowed], [carried], [with_iam]] = [
        [p.document for p in plan.aws_policies if p.kind is PolicyKind.SESSION and p.name == "on-request-session"]
        for plan in plans
    ]
    assert narrowed["Statement"][0]["Action"] == ["ec2:*"]  # Access Advisor lists every service: * is bounded
    assert carried["Statement"][0]["Action"] == ["*"]  # near miss: no record, carried over
    # what the session grants is judged: EC2 alone is no admin, so no approval; IAM used stays approved
    assert not plans[0].approval.required and plans[0].approval.reason.startswith("held admin-level access and")
    assert plans[1].approval.required and with_iam["Statement"][0]["Action"] == ["ec2:*", "iam:*"]
    assert plans[2].approval.required  # used admin-level access still goes through approval


def test_a_wildcard_is_kept_when_the_source_names_only_the_unused_part():
    base = _aws_admin()
    admin = next(i for i in base.identities if i.name == "platform-admin")
    record = analyzer_usage(admin, services={"iam": None})
    plan = plans_of(base.model_copy(update={"usage": [record]}))["platform-admin"]
    [session] = [
        p.document for p in plan.aws_policies if p.kind is PolicyKind.SESSION and p.name == "on-request-session"
    ]
    assert session["Statement"][0]["Action"] == ["*"]  # which services were used is not in a finding
    assert plan.approval.required


def test_the_plan_narrows_over_the_rules_configured_window_not_a_constant_of_its_own():
    """DynamoDB last used 60 days ago: used within the default 90 days, unused within 30. The
    plan and the finding beside it agree under either setting."""
    from standing.planner.builder import build_plans
    from standing.rules.analyse import analyse_estate
    from standing.rules.config import ScanConfig, parse_config

    u, _ = _estate([])
    _, inv = _estate([_advisor(u, s3=3, dynamodb=60, iam=None)])
    results = {}
    for days, config in (
        (90, ScanConfig()),
        (30, parse_config({"rules": {"permissions-unused": {"unused_days": 30}}}, "t")),
    ):
        analysis = analyse_estate(inv, config, as_of=NOW)
        [plan] = [p for p in build_plans(analysis.model, analysis.findings) if p.identity_name == "svc-reports"]
        [narrowed] = [p.document for p in plan.aws_policies if p.kind is PolicyKind.NARROWED]
        unused = {n for f in analysis.findings if f.rule_id == "permissions-unused" for n in f.evidence["unused"]}
        results[days] = ({a for s in narrowed["Statement"] for a in s["Action"]}, unused)
    assert results[90] == ({"s3:GetObject", "s3:PutObject", "dynamodb:GetItem", "dynamodb:PutItem"}, {"iam"})
    assert results[30] == ({"s3:GetObject", "s3:PutObject"}, {"dynamodb", "iam"})


def test_approval_is_judged_on_the_narrowed_policy_when_the_sensitive_part_went_unused():
    """A queue worker that also holds secret reads: unused secrets drop, and with them the approval
    they required; its near miss used the secrets and still needs approval."""
    u = user("svc-queue")
    held = policy("Queue", allow(["sqs:SendMessage", "sqs:ReceiveMessage"]), allow(["secretsmanager:GetSecretValue"]))

    def plan_with(secrets_days: int | None):
        inv = aws(u, key(u, "AKIAQUEUE00000000001", age=200, used=1), held, grant(u, held),
                  usage=[_advisor(u, sqs=2, secretsmanager=secrets_days)])  # fmt: skip
        return plans_of(inv)["svc-queue"]

    unused, used = plan_with(None), plan_with(5)
    assert not unused.approval.required
    assert "held access to sensitive data (secrets) unused in the usage window" in unused.approval.reason
    assert used.approval.required and used.approval.reason == "reaches sensitive data: secrets"


def test_a_path_to_admin_through_a_pass_role_the_narrowed_policy_drops_no_longer_needs_admin_approval():
    """A deployer that can hand an admin role to a new Lambda: a path to admin through PassRole.
    When IAM (or Lambda) went unused the narrowed policy drops an action the hop needs and the
    path with it, and what is left (reading S3) is approved as sensitive data, not as admin; its
    near miss used both, keeps the hop, and stays approved as admin."""
    from standing.core.model import TrustKind
    from tests.builders import arn, role, trust

    lambda_admin = role("lambda-admin")
    deployer = user("svc-deployer")
    admin_policy = policy("Admin", allow("*"))
    deploy_policy = policy(
        "Deploy",
        allow("iam:PassRole", arn("role", "lambda-*")),
        allow(["lambda:CreateFunction", "lambda:InvokeFunction"]),
        allow(["s3:GetObject"], "arn:aws:s3:::builds/*"),
    )
    records = [
        lambda_admin,
        admin_policy,
        grant(lambda_admin, admin_policy),
        trust(lambda_admin, "lambda.amazonaws.com", TrustKind.SERVICE),
        deployer,
        key(deployer, "AKIADEPLOYER00000001", age=200, used=1),
        deploy_policy,
        grant(deployer, deploy_policy),
    ]

    def plan_with(iam_days: int | None, lambda_days: int):
        usage = [_advisor(deployer, s3=2, iam=iam_days, **{"lambda": lambda_days})]
        return plans_of(aws(*records, usage=usage))["svc-deployer"]

    # IAM unused drops the PassRole; Lambda unused drops the launcher: either cuts the hop
    cut, launcher_cut, kept = plan_with(None, 2), plan_with(3, 200), plan_with(3, 2)
    assert launcher_cut.approval.reason == cut.approval.reason
    assert cut.approval.required and cut.approval.reason.startswith("reaches sensitive data: storage")
    assert "admin-level today, through permissions the usage-narrowed policy drops" in cut.approval.reason
    assert kept.approval.reason.startswith("admin-equivalent (or a path to admin)")


def test_when_nothing_was_used_the_plan_grants_nothing_rather_than_carrying_the_grants_over():
    u, _ = _estate([])
    _, inv = _estate([_advisor(u, s3=200, dynamodb=300, iam=None)])  # all before the 90-day window
    plan = plans_of(inv)["svc-reports"]
    [narrowed] = [p.document for p in plan.aws_policies if p.kind is PolicyKind.NARROWED]
    assert narrowed["Statement"] == [{"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}]
    assert "dropped: dynamodb:GetItem" in plan.permissions.note and "iam:*" in plan.permissions.note
    assert not plan.approval.required  # what it will be granted is nothing sensitive
    [doc] = [p for p in plan.aws_policies if p.kind is PolicyKind.NARROWED]
    assert iam_accepts([doc]) == 1 and parliament_findings(doc) == set()
    assert parsed_terraform(plan)
