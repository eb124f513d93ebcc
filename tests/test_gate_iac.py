"""IaC changes through the same rules: what a Terraform plan or a CloudFormation template creates.

The fixtures are `terraform show -json` documents (AWS, Google and Azure providers, a module
with `count`, `for_each`, values known only after apply, an untouched existing role) and
templates in both CloudFormation syntaxes with intrinsic functions.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from standing.collectors.iac.cloudformation import convert_template, parse_template, read_template
from standing.collectors.iac.plan import parse_plan, read_plan
from standing.collectors.iac.terraform import convert_plan
from standing.gate.iac_change import new_findings
from standing.gate.judge import gate_config
from standing.rules.config import ScanConfig

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
FIXTURES = Path(__file__).parents[1] / "fixtures" / "iac"
PLAN = FIXTURES / "terraform" / "standing-keys.plan.json"
CLEAN_PLAN = FIXTURES / "terraform" / "short-lived.plan.json"
CONFIG = gate_config(ScanConfig())


def plan_change(path: Path = PLAN):
    return convert_plan(read_plan(path), NOW)


def found(change) -> set[tuple[str, str]]:
    return {(f.rule_id, f.subject) for f in new_findings(change, CONFIG, NOW)}


def line_of(path: Path, needle: str) -> int:
    """The 1-based line of the first line containing needle after the resource_changes / Resources key."""
    lines = path.read_text().splitlines()
    start = next(
        n
        for n, line in enumerate(lines)
        if '"resource_changes"' in line or line.startswith("Resources") or '"Resources"' in line
    )
    return next(n for n, line in enumerate(lines) if n > start and needle in line) + 1


def test_terraform_plan_findings_are_exactly_what_the_change_creates():
    assert found(plan_change()) == {
        # AWS: a key on a new user, keys from a module with count = 2, admin attached to a GitHub OIDC
        # role that does not pin the subject, a role open to '*', '*:*' inline on one for_each instance
        ("long-lived-secret", "aws_iam_access_key.ci"),
        ("long-lived-secret", "module.ci_bots.aws_iam_access_key.bot[0]"),
        ("long-lived-secret", "module.ci_bots.aws_iam_access_key.bot[1]"),
        ("oidc-subject-unpinned", "aws_iam_role.deploy"),
        ("admin-equivalent", "aws_iam_role.deploy"),
        ("open-trust", "aws_iam_role.open"),
        ("admin-equivalent", 'aws_iam_role.readers["billing"]'),
        # Google: a key (never expires) on a service account made Owner of the project
        ("long-lived-secret", "google_service_account_key.ci"),
        ("secret-never-expires", "google_service_account_key.ci"),
        ("admin-equivalent", "google_service_account.ci"),
        ("gcp-basic-or-admin-role", "google_service_account.ci"),
        # Azure: a two-year app password, Owner of a subscription for the app's service principal
        ("long-lived-secret", "azuread_application_password.ci"),
        ("secret-lifetime-too-long", "azuread_application_password.ci"),
        ("admin-equivalent", "azuread_service_principal.ci"),
        ("azure-standing-privileged-role", "azuread_service_principal.ci"),
    }


def test_existing_resources_the_plan_leaves_alone_are_not_findings_of_the_change():
    change = plan_change()
    after = {(f.rule_id, f.subject) for f in new_findings(change, CONFIG, NOW)}
    # the untouched legacy role trusts '*' too, but it was there before this change
    assert ("open-trust", "aws_iam_role.legacy") not in after
    assert "aws_iam_role.legacy" in {i.id for i in change.before.identities}


def test_unknown_after_apply_references_are_followed_to_the_resource_in_the_plan():
    change = plan_change()
    holders = {c.id: c.identity_id for c in change.after.credentials}
    assert holders == {
        "aws_iam_access_key.ci": "aws_iam_user.ci",  # user = "ci-deploy", known, matched by name
        "module.ci_bots.aws_iam_access_key.bot[0]": "module.ci_bots.aws_iam_user.bot[0]",  # count.index
        "module.ci_bots.aws_iam_access_key.bot[1]": "module.ci_bots.aws_iam_user.bot[1]",
        "google_service_account_key.ci": "google_service_account.ci",  # service_account_id unknown
        "azuread_application_password.ci": "azuread_service_principal.ci",  # app's password, on its principal
    }
    grants = {(g.principal_id, g.role_id) for g in change.after.grants}
    assert ("google_service_account.ci", "roles/owner") in grants  # member = "serviceAccount:${...email}"
    assert (
        "azuread_service_principal.ci",
        "/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    ) in grants
    assert change.unknowns == []  # everything that mattered could be resolved


def test_a_plan_that_creates_nothing_long_lived_has_no_findings_and_nothing_unknown():
    change = plan_change(CLEAN_PLAN)
    assert found(change) == set()
    assert change.unknowns == []
    # ...though it does create identities: a Lambda role, a pinned OIDC role, two service accounts
    # from a module with count, a managed identity, and a twelve-hour certificate
    assert len(change.after.identities) == 7
    assert {c.kind.value for c in change.after.credentials} == {"certificate"}


def _single_change_plan(resources: list[dict], configuration: dict | None = None) -> str:
    return json.dumps(
        {
            "format_version": "1.2",
            "terraform_version": "1.9.8",
            "planned_values": {"root_module": {}},
            "resource_changes": resources,
            "configuration": configuration or {"root_module": {"resources": []}},
        }
    )


def _change(address: str, type_: str, after: dict, unknown: dict, actions=("create",), before=None) -> dict:
    return {
        "address": address,
        "mode": "managed",
        "type": type_,
        "name": address.split(".")[1],
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "change": {"actions": list(actions), "before": before, "after": after, "after_unknown": unknown},
    }


def test_a_policy_known_only_after_apply_is_recorded_unknown_not_judged_either_way():
    text = _single_change_plan(
        [
            _change("aws_iam_policy.generated", "aws_iam_policy", {"name": "generated"}, {"policy": True, "arn": True}),
            _change(
                "aws_iam_role_policy_attachment.app",
                "aws_iam_role_policy_attachment",
                {"role": "app"},
                {"policy_arn": True},
            ),
        ],
        {
            "root_module": {
                "resources": [
                    {
                        "address": "aws_iam_role_policy_attachment.app",
                        "mode": "managed",
                        "type": "aws_iam_role_policy_attachment",
                        "name": "app",
                        "expressions": {
                            "policy_arn": {"references": ["aws_iam_policy.generated.arn", "aws_iam_policy.generated"]}
                        },
                    }
                ]
            }
        },
    )
    change = convert_plan(parse_plan(text, "plan.json"), NOW)
    assert found(change) == set()
    assert {(g.scope, g.operation) for g in change.unknowns} == {
        ("aws_iam_policy.generated", "policy"),
        ("aws_iam_role_policy_attachment.app", "policy_arn"),
    }


def test_an_update_that_widens_an_existing_policy_is_a_finding_of_the_change():
    narrow = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    )
    wide = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    role = {
        "name": "app",
        "assume_role_policy": json.dumps(
            {
                "Statement": [
                    {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}}
                ]
            }
        ),
    }
    text = _single_change_plan(
        [
            _change("aws_iam_role.app", "aws_iam_role", role, {}, actions=("no-op",), before=role),
            _change(
                "aws_iam_role_policy.app",
                "aws_iam_role_policy",
                {"name": "app", "role": "app", "policy": wide},
                {},
                actions=("update",),
                before={"name": "app", "role": "app", "policy": narrow},
            ),
        ]
    )
    assert found(convert_plan(parse_plan(text, "plan.json"), NOW)) == {("admin-equivalent", "aws_iam_role.app")}


def test_an_existing_azure_secret_with_no_dates_is_kept_as_a_secret_of_unknown_end():
    app = {"display_name": "legacy", "client_id": "00000000-0000-0000-0000-0000000000aa"}
    password = {"application_id": "/applications/00000000-0000-0000-0000-0000000000ab", "display_name": "old"}
    text = _single_change_plan(
        [
            _change("azuread_application.legacy", "azuread_application", app, {}, actions=("no-op",), before=app),
            _change(
                "azuread_application_password.old",
                "azuread_application_password",
                password,
                {},
                actions=("no-op",),
                before=password,
            ),
        ]
    )
    change = convert_plan(parse_plan(text, "plan.json"), NOW)
    (secret,) = [c for c in change.after.credentials if c.id == "azuread_application_password.old"]
    assert secret.created is None and secret.expires is None  # unknown end, judged as never expiring
    assert ("azuread_application_password.old", "end_date") in {(g.scope, g.operation) for g in change.unknowns}
    # ... and, being in the state before the change too, it is no finding of the change.
    assert found(change) == set()


def test_a_key_whose_user_cannot_be_resolved_still_counts_and_says_why():
    text = _single_change_plan(
        [
            _change("aws_iam_access_key.orphan", "aws_iam_access_key", {"status": "Active"}, {"user": True}),
        ]
    )
    change = convert_plan(parse_plan(text, "plan.json"), NOW)
    assert found(change) == {("long-lived-secret", "aws_iam_access_key.orphan")}
    assert [(g.scope, g.operation) for g in change.unknowns] == [("aws_iam_access_key.orphan", "user")]


def test_plan_locations_are_the_lines_of_each_resource_change():
    change = plan_change()
    by_subject = {f.subject: f for f in new_findings(change, CONFIG, NOW)}
    key = change.locations(by_subject["module.ci_bots.aws_iam_access_key.bot[1]"])
    assert [(r.address, r.line) for r in key] == [
        (
            "module.ci_bots.aws_iam_access_key.bot[1]",
            line_of(PLAN, '"address": "module.ci_bots.aws_iam_access_key.bot[1]"'),
        ),
        ("module.ci_bots.aws_iam_user.bot[1]", line_of(PLAN, '"address": "module.ci_bots.aws_iam_user.bot[1]"')),
    ]
    admin = [
        f
        for f in new_findings(change, CONFIG, NOW)
        if f.rule_id == "admin-equivalent" and f.subject == "aws_iam_role.deploy"
    ][0]
    assert [r.address for r in change.locations(admin)] == [
        "aws_iam_role.deploy",
        "aws_iam_role_policy_attachment.deploy_admin",
    ]


# --- CloudFormation ---------------------------------------------------------------------------

YAML_TEMPLATE = FIXTURES / "cloudformation" / "ci-user.yaml"
JSON_TEMPLATE = FIXTURES / "cloudformation" / "lambda-only.json"


def template_change(path: Path):
    return convert_template(read_template(path), NOW)


def test_yaml_template_with_short_intrinsics_creates_a_key_admin_and_open_trusts():
    change = template_change(YAML_TEMPLATE)
    at = f"{YAML_TEMPLATE}:"  # ids are FILE:LogicalId, as logical ids repeat across templates
    assert found(change) == {
        ("long-lived-secret", at + "DeployUserKey"),
        ("admin-equivalent", at + "DeployUser"),  # '*:*' through AWS::IAM::Policy, behind the key: critical
        ("open-trust", at + "PartnerRole"),
        ("oidc-subject-unpinned", at + "GithubDeployRole"),
        ("admin-equivalent", at + "GithubDeployRole"),  # !Sub arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess
    }
    names = {i.id.removeprefix(at): i.name for i in change.after.identities}
    assert names == {"DeployUser": "ci-deploy-prod", "PartnerRole": "partner-prod", "GithubDeployRole": "github-deploy"}
    assert change.unknowns == []


def test_json_template_that_creates_no_keys_and_pins_its_trusts_passes():
    change = template_change(JSON_TEMPLATE)
    assert found(change) == set()
    assert change.unknowns == []
    assert {i.name for i in change.after.identities} == {"report-builder", "github-release"}


def test_template_locations_are_the_lines_of_each_resource():
    change = template_change(YAML_TEMPLATE)
    at = f"{YAML_TEMPLATE}:"
    key = [f for f in new_findings(change, CONFIG, NOW) if f.subject == at + "DeployUserKey"][0]
    assert [(r.address, r.line) for r in change.locations(key)] == [
        (at + "DeployUserKey", line_of(YAML_TEMPLATE, "  DeployUserKey:")),
        (at + "DeployUser", line_of(YAML_TEMPLATE, "  DeployUser:")),
    ]
    json_change = template_change(JSON_TEMPLATE)
    assert json_change.refs[f"{JSON_TEMPLATE}:GithubReleaseRole"].line == line_of(JSON_TEMPLATE, '"GithubReleaseRole"')


def test_a_parameter_with_no_default_inside_a_policy_is_unknown_not_harmless():
    text = """
Parameters:
  AllowedAction: {Type: String}
Resources:
  AppRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: app
          PolicyDocument:
            Statement: [{Effect: Allow, Action: !Ref AllowedAction, Resource: "*"}]
"""
    change = convert_template(parse_template(text, "t.yaml"), NOW)
    # the field is named down to the statement's element
    assert [(g.scope, g.operation) for g in change.unknowns] == [("t.yaml:AppRole", "Policies.app.Statement[0].Action")]
    assert "parameter AllowedAction has no default" in change.unknowns[0].detail


@pytest.mark.parametrize(
    "text",
    [
        "Resources:\n  Key:\n    Type: AWS::IAM::AccessKey\n    Properties:\n      UserName: !GetAtt [Bot, Arn]\n"
        "  Bot:\n    Type: AWS::IAM::User\n",
        '{"Resources": {"Key": {"Type": "AWS::IAM::AccessKey", "Properties": {"UserName": {"Ref": "Bot"}}},'
        ' "Bot": {"Type": "AWS::IAM::User"}}}',
    ],
)
def test_both_syntaxes_resolve_a_key_to_its_user(text):
    change = convert_template(parse_template(text, "t"), NOW)
    assert [(c.id, c.identity_id) for c in change.after.credentials] == [("t:Key", "t:Bot")]


def test_identity_resources_standing_does_not_convert_are_reported_not_passed():
    text = _single_change_plan(
        [
            _change(
                "google_service_account_iam_member.ci_token",
                "google_service_account_iam_member",
                {"role": "roles/iam.serviceAccountTokenCreator", "member": "group:ci@example.com"},
                {"id": True},
            ),
            _change("aws_iam_instance_profile.app", "aws_iam_instance_profile", {"name": "app"}, {"arn": True}),
            _change("aws_s3_bucket.logs", "aws_s3_bucket", {"bucket": "logs"}, {"arn": True}),
        ]
    )
    change = convert_plan(parse_plan(text, "plan.json"), NOW)
    assert [(g.scope, g.operation) for g in change.unknowns] == [
        ("google_service_account_iam_member.ci_token", "google_service_account_iam_member")
    ]
    template = (
        "Resources:\n  Join:\n    Type: AWS::IAM::UserToGroupAddition\n    Properties:\n"
        "      GroupName: admins\n      Users: [ci]\n  Profile:\n    Type: AWS::IAM::InstanceProfile\n"
        "    Properties:\n      Roles: [app]\n"
    )
    assert [(g.scope, g.operation) for g in convert_template(parse_template(template, "t"), NOW).unknowns] == [
        ("t:Join", "AWS::IAM::UserToGroupAddition")
    ]


def test_gate_on_a_change_with_only_unknowns_exits_3_and_says_what_was_not_judged(tmp_path):
    from click.testing import CliRunner

    from standing.cli.main import main

    plan = tmp_path / "plan.json"
    plan.write_text(
        _single_change_plan(
            [
                _change(
                    "aws_iam_role_policy.app", "aws_iam_role_policy", {"name": "app", "role": "app"}, {"policy": True}
                ),
            ]
        )
    )
    markdown = tmp_path / "comment.md"
    result = CliRunner().invoke(
        main, ["gate", "--terraform-plan", str(plan), "--markdown", str(markdown)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 3, result.output
    assert "INCOMPLETE" in result.output
    assert "not judged: aws_iam_role_policy.app policy" in result.output
    text = markdown.read_text()
    assert text.startswith("⚠️ **standing gate could not judge everything**")
    assert "- aws\\_iam\\_role\\_policy.app `policy`: the policy document is known only after apply" in text


def test_several_templates_as_pre_commit_passes_them_keep_their_findings_apart(tmp_path):
    from click.testing import CliRunner

    from standing.cli.main import main

    keyed = (
        "Resources:\n  Bot:\n    Type: AWS::IAM::User\n  Key:\n    Type: AWS::IAM::AccessKey\n"
        "    Properties:\n      UserName: !Ref Bot\n"
    )
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(keyed)
    second.write_text(keyed)
    sarif = tmp_path / "out.sarif"
    result = CliRunner().invoke(
        main, ["gate", "--sarif", str(sarif), "--as-of", NOW.isoformat(), str(first), str(second)]
    )
    assert result.exit_code == 1, result.output
    results = json.loads(sarif.read_text())["runs"][0]["results"]
    assert {(r["ruleId"], r["properties"]["subject"]) for r in results} == {
        ("long-lived-secret", f"{first}:Key"),
        ("long-lived-secret", f"{second}:Key"),
    }
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == {
        first.as_uri(),
        second.as_uri(),
    }
    assert CliRunner().invoke(main, ["gate", str(JSON_TEMPLATE), "--cloudformation", str(JSON_TEMPLATE)]).exit_code == 0


def test_resources_of_an_unexpected_shape_are_not_judged_rather_than_crashing_or_passing():
    text = _single_change_plan(
        [
            _change("aws_iam_user.odd", "aws_iam_user", {"name": ["not", "a", "name"]}, {}),
            _change("aws_iam_access_key.odd", "aws_iam_access_key", {"user": "odd", "status": "Active"}, {}),
        ]
    )
    change = convert_plan(parse_plan(text, "plan.json"), NOW)
    assert [(g.scope, g.operation) for g in change.unknowns] == [("aws_iam_user.odd", "aws_iam_user")]
    assert found(change) == {("long-lived-secret", "aws_iam_access_key.odd")}  # the key still counts
    template = "Resources:\n  Odd:\n    Type: AWS::IAM::Role\n    Properties: [1, 2]\n"
    assert [(g.scope, g.operation) for g in convert_template(parse_template(template, "t"), NOW).unknowns] == [
        ("t:Odd", "AWS::IAM::Role")
    ]


def test_a_certificate_with_a_long_end_date_is_a_standing_secret_and_a_short_one_is_not():
    def cert(address: str, end: str) -> dict:
        return dict(
            _change(
                address,
                "azuread_application_certificate",
                {
                    "application_id": f"/applications/{address.rsplit('.', 1)[1]}",
                    "end_date": end,
                    "type": "AsymmetricX509Cert",
                },
                {"id": True, "key_id": True},
            ),
            provider_name="registry.terraform.io/hashicorp/azuread",
        )

    text = _single_change_plan(
        [
            cert("azuread_application_certificate.long", "2028-11-28T00:00:00Z"),
            cert("azuread_application_certificate.day", "2026-11-29T00:00:00Z"),
        ]
    )
    assert found(convert_plan(parse_plan(text, "plan.json"), NOW)) == {
        ("long-lived-secret", "azuread_application_certificate.long"),
        ("secret-lifetime-too-long", "azuread_application_certificate.long"),
    }


def test_gate_passes_the_plan_that_creates_nothing_long_lived_and_fails_the_other():
    from click.testing import CliRunner

    from standing.cli.main import main

    runner = CliRunner()
    clean = runner.invoke(main, ["gate", "--terraform-plan", str(CLEAN_PLAN), "--as-of", NOW.isoformat()])
    assert clean.exit_code == 0, clean.output
    assert clean.output.startswith("PASS: 0 blocking of 0 new finding(s)")
    keys = runner.invoke(
        main, ["gate", "--terraform-plan", str(PLAN), "--as-of", NOW.isoformat()], env={"COLUMNS": "300"}
    )
    assert keys.exit_code == 1 and keys.output.startswith("FAIL: 15 blocking of 15 new finding(s)")
    # --fail-on keys lets the admin grants and open trusts through, but not the five new secrets
    # (seven credential findings: each is long-lived; the Google key never expires, the Azure one lasts 2 years)
    only_keys = runner.invoke(
        main,
        ["gate", "--terraform-plan", str(PLAN), "--fail-on", "keys", "--as-of", NOW.isoformat()],
        env={"COLUMNS": "300"},
    )
    assert only_keys.exit_code == 1 and only_keys.output.startswith("FAIL: 7 blocking of 15 new finding(s)")


def test_the_pre_commit_hook_runs_the_gate_over_the_files_pre_commit_passes(tmp_path):
    import re

    import yaml
    from click.testing import CliRunner

    from standing.cli.main import main

    hooks = yaml.safe_load((Path(__file__).parents[1] / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "standing-cloudformation")
    assert re.search(hook["files"], "infra/cloudformation/ci-user.yaml")
    assert not re.search(hook["files"], ".github/workflows/ci.yaml")
    program, *args = hook["entry"].split()
    assert program == "standing"
    runner = CliRunner()
    assert runner.invoke(main, [*args, str(JSON_TEMPLATE)]).exit_code == 0
    assert runner.invoke(main, [*args, str(JSON_TEMPLATE), str(YAML_TEMPLATE)]).exit_code == 1


def test_a_time_bound_gcp_binding_is_not_standing_and_an_unbounded_condition_is():
    def owner(address: str, expression: str) -> dict:
        return _change(
            address,
            "google_project_iam_member",
            {
                "project": "payments-prod",
                "role": "roles/owner",
                "member": f"serviceAccount:{address.rsplit('.', 1)[1]}@payments-prod.iam.gserviceaccount.com",
                "condition": [{"title": "c", "description": None, "expression": expression}],
            },
            {"id": True},
        )

    text = _single_change_plan(
        [
            owner("google_project_iam_member.until_friday", 'request.time < timestamp("2026-12-04T18:00:00Z")'),
            owner("google_project_iam_member.by_resource", 'resource.name.startsWith("projects/_/buckets/tmp")'),
        ]
    )
    assert found(convert_plan(parse_plan(text, "plan.json"), NOW)) == {
        ("admin-equivalent", "by_resource@payments-prod.iam.gserviceaccount.com"),
        ("gcp-basic-or-admin-role", "by_resource@payments-prod.iam.gserviceaccount.com"),
    }
