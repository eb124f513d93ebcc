"""References inside IAM documents of a CloudFormation template, resolved the way CloudFormation would.

The issue's example: a GitHub OIDC provider declared in the template, a role trusting it through
``Fn::GetAtt [Provider, Arn]``, the subject ``!Sub repo:${Repo}:ref:refs/heads/main`` with ``Repo``
defaulting to ``org/app``. Read literally, the gate blocked the role the planner recommends; read
as CloudFormation deploys it, the role is pinned. Each case has its near miss: the same template
with a wildcard repository still fails, a deploy-time subject is not judged (exit 3).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from standing.cli.main import main
from standing.collectors.iac.cfn_intrinsics import Resolver, TemplateParts, Unresolved
from standing.collectors.iac.cloudformation import convert_template, parse_template, read_template
from standing.collectors.iac.estate import oidc_issuer
from standing.collectors.iac.plan import read_plan
from standing.collectors.iac.terraform import convert_plan
from standing.gate.iac_change import new_findings
from standing.gate.judge import gate_config
from standing.rules.config import ScanConfig

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
CFN = Path(__file__).parents[1] / "fixtures" / "iac" / "cloudformation"
ISSUE_EXAMPLE = CFN / "github-oidc-deploy.yaml"
LONG_FORMS = CFN / "github-oidc-deploy.json"
DOCS_EXAMPLE = CFN / "github-actions-role.yaml"
GH = "token.actions.githubusercontent.com"
GH_ARN = f"arn:aws:iam::deploy-account:oidc-provider/{GH}"
SUBJECT_FIELD = f"AssumeRolePolicyDocument.Statement[0].Condition.StringLike.{GH}:sub"


def gate(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["gate", "--as-of", NOW.isoformat(), *args], env={"COLUMNS": "400"})
    return result.exit_code, result.output


def variant(tmp_path: Path, old: str, new: str, source: Path = ISSUE_EXAMPLE) -> Path:
    text = source.read_text()
    assert old in text, old
    path = tmp_path / source.name
    path.write_text(text.replace(old, new))
    return path


def findings_of(path: Path) -> set[tuple[str, str]]:
    change = convert_template(read_template(path), NOW)
    return {(f.rule_id, f.subject.rsplit(":", 1)[-1]) for f in new_findings(change, gate_config(ScanConfig()), NOW)}


# --- the issue's acceptance -------------------------------------------------------------------


def test_the_issue_example_passes_the_gate_with_its_references_resolved():
    code, output = gate("--cloudformation", str(ISSUE_EXAMPLE))
    assert code == 0, output
    assert "not judged" not in output
    change = convert_template(read_template(ISSUE_EXAMPLE), NOW)
    (trust,) = change.after.trusts
    assert (trust.principal, trust.issuer) == (GH_ARN, GH)  # !GetAtt [GitHubOIDC, Arn], host of its Url
    assert [s.value for s in trust.condition.subjects] == ["repo:org/app:ref:refs/heads/main"]  # !Sub, Repo's default
    assert [a.key for a in trust.condition.audiences] == [f"{GH}:aud"]  # the key !Sub "${GitHubOIDC.Url}:aud"
    assert change.unknowns == []


def test_a_wildcard_repository_from_the_parameter_default_still_fails(tmp_path):
    # near miss of the pass above: the same template, the default now admits every repository of org
    wide = variant(tmp_path, "Default: org/app", "Default: org/*")
    code, output = gate("--cloudformation", str(wide))
    assert code == 1, output
    assert findings_of(wide) == {("oidc-subject-unpinned", "DeployRole")}
    assert "repo:org/*:ref:refs/heads/main" in output


def test_any_ref_of_the_pinned_repository_is_judged_as_its_literal_would_be(tmp_path):
    """``repo:${Repo}:*`` reads as ``repo:org/app:*``: whatever the rule says of one, it says of the other."""
    through_parameter = variant(tmp_path, "repo:${Repo}:ref:refs/heads/main", "repo:${Repo}:*")
    literal = tmp_path / "literal.yaml"
    literal.write_text(ISSUE_EXAMPLE.read_text().replace("!Sub repo:${Repo}:ref:refs/heads/main", "repo:org/app:*"))
    assert findings_of(through_parameter) == findings_of(literal)
    assert gate("--cloudformation", str(through_parameter))[0] == gate("--cloudformation", str(literal))[0]


@pytest.mark.parametrize(
    ("subject", "detail"),
    [
        ("!ImportValue deploy-subject", "Fn::ImportValue is evaluated only at deploy time"),
        ("!Sub repo:${Team}/app:ref:refs/heads/main", "Team is neither a parameter nor a resource"),
    ],
)
def test_a_subject_known_only_at_deploy_time_is_not_judged_exit_3(tmp_path, subject, detail):
    template = variant(tmp_path, "!Sub repo:${Repo}:ref:refs/heads/main", subject)
    code, output = gate("--cloudformation", str(template))
    assert code == 3, output
    assert f"not judged: {template}:DeployRole {SUBJECT_FIELD}: {detail}" in output
    assert findings_of(template) == set()  # never a finding...
    assert convert_template(read_template(template), NOW).after.trusts == []  # ...nor a trust read as open


def test_a_parameter_without_default_in_the_subject_is_not_judged(tmp_path):
    template = variant(tmp_path, "    Default: org/app\n", "")
    code, output = gate("--cloudformation", str(template))
    assert code == 3, output
    assert f"{SUBJECT_FIELD}: parameter Repo has no default" in output


def test_a_negated_subject_in_a_template_fails_the_gate(tmp_path):
    negated = variant(tmp_path, "StringLike:\n", "StringNotLike:\n")
    code, output = gate("--cloudformation", str(negated))
    assert code == 1, output
    assert findings_of(negated) == {("oidc-subject-unpinned", "DeployRole")}
    assert "every subject except 'repo:org/app:ref:refs/heads/main'" in output


def test_a_condition_key_built_with_join_reads_as_the_providers_host(tmp_path):
    joined = variant(
        tmp_path,
        "token.actions.githubusercontent.com:sub: !Sub repo:${Repo}:ref:refs/heads/main",
        '? !Join ["", [!GetAtt GitHubOIDC.Url, ":sub"]]\n                : !Sub repo:${Repo}:ref:refs/heads/main',
    )
    change = convert_template(read_template(joined), NOW)
    (trust,) = change.after.trusts
    assert [(s.key, s.value) for s in trust.condition.subjects] == [(f"{GH}:sub", "repo:org/app:ref:refs/heads/main")]
    assert gate("--cloudformation", str(joined))[0] == 0
    # near miss: a key joined to another claim (the audience) leaves no subject at all
    audience_only = variant(
        tmp_path,
        "token.actions.githubusercontent.com:sub: !Sub repo:${Repo}:ref:refs/heads/main",
        '!Join ["", [!GetAtt GitHubOIDC.Url, ":aud"]]: sts.amazonaws.com',
    )
    assert findings_of(audience_only) == {("oidc-subject-unpinned", "DeployRole")}


def test_json_long_forms_resolve_join_select_split_sub_with_variables_and_if():
    code, output = gate("--cloudformation", str(LONG_FORMS))
    assert code == 0, output
    change = convert_template(read_template(LONG_FORMS), NOW)
    trusts = {t.target_id.rsplit(":", 1)[-1]: t for t in change.after.trusts}
    assert {name: (t.principal, t.condition.pinned_subjects) for name, t in trusts.items()} == {
        # the whole document as a JSON string built by Fn::Join, keys from Fn::Select/Fn::Split of the Url
        "DeployRole": (GH_ARN, ["repo:org/app:environment:production"]),
        # Fn::If on a condition over a parameter's default, nested Fn::Join in the subject
        "ReleaseRole": (GH_ARN, ["repo:org/app:ref:refs/tags/v1"]),
    }
    assert change.unknowns == []


def test_the_configure_aws_credentials_example_resolves_its_principal_and_names_the_deploy_time_subject():
    """Organization and repository are parameters without defaults: the subject is not judged (exit 3)."""
    code, output = gate("--cloudformation", str(DOCS_EXAMPLE))
    assert code == 3, output
    change = convert_template(read_template(DOCS_EXAMPLE), NOW)
    assert [(u.scope.rsplit(":", 1)[-1], u.operation, u.detail) for u in change.unknowns] == [
        ("Role", SUBJECT_FIELD, "parameter GitHubOrg has no default; its value is not known"),
        ("Role", SUBJECT_FIELD, "parameter RepositoryName has no default; its value is not known"),
    ]
    assert change.after.trusts == [] and findings_of(DOCS_EXAMPLE) == set()
    # near miss: with the parameters given defaults, the same template is judged and passes
    # (the principal comes through !If CreateOIDCProvider, true with OIDCProviderArn's default "")


def test_parameters_given_as_deployed_make_the_docs_example_judged():
    """``--parameter NAME=VALUE`` as with ``aws cloudformation deploy --parameter-overrides``."""
    given = ["--parameter", "GitHubOrg=org", "--parameter", "RepositoryName=app", "--parameter", "Unused=x"]
    code, output = gate("--cloudformation", str(DOCS_EXAMPLE), *given)
    assert code == 0, output
    # near miss: the same template deployed for every repository of the organization
    code, output = gate(
        "--cloudformation", str(DOCS_EXAMPLE), "--parameter", "GitHubOrg=org", "--parameter", "RepositoryName=*"
    )
    assert code == 1, output
    assert "repo:org/*:*" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cloudformation", str(DOCS_EXAMPLE), "--parameter", "GitHubOrg"], "'GitHubOrg' is not NAME=VALUE"),
        (["--terraform-plan", str(DOCS_EXAMPLE), "--parameter", "A=b"], "use it with --cloudformation templates"),
    ],
)
def test_a_parameter_not_of_the_form_or_without_templates_is_bad_input(args, message):
    code, output = gate(*args)
    assert code == 2, output
    assert message in output and "Traceback" not in output


def test_the_configure_aws_credentials_example_with_defaults_passes(tmp_path):
    text = DOCS_EXAMPLE.read_text()
    text = text.replace(
        "(case sensitive)\n    Type: String\n", "(case sensitive)\n    Type: String\n    Default: org\n", 1
    )
    text = text.replace(
        "(case sensitive)\n    Type: String\n  OIDC", "(case sensitive)\n    Type: String\n    Default: app\n  OIDC"
    )
    path = tmp_path / "role.yaml"
    path.write_text(text)
    change = convert_template(read_template(path), NOW)
    (trust,) = change.after.trusts
    assert (trust.principal, [s.value for s in trust.condition.subjects]) == (GH_ARN, ["repo:org/app:*"])
    assert change.unknowns == []
    assert gate("--cloudformation", str(path))[0] == 0


def test_a_deny_holding_a_deploy_time_value_leaves_the_whole_policy_unjudged():
    text = """
Parameters:
  Blocked: {Type: String}
Resources:
  App:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: guarded
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: "*", Resource: "*"}
              - {Effect: Deny, Action: "*", Resource: "*", Condition: {StringNotEquals: {aws:RequestedRegion: !Ref Blocked}}}
        - PolicyName: plain
          PolicyDocument:
            Statement: [{Effect: Allow, Action: s3:GetObject, Resource: !Sub "arn:aws:s3:::${Blocked}/*"}]
"""
    change = convert_template(parse_template(text, "t.yaml"), NOW)
    # dropping the deny would make the role admin: the policy is not judged instead of failing the gate
    assert {(f.rule_id, f.subject) for f in new_findings(change, gate_config(ScanConfig()), NOW)} == set()
    (plain,) = change.after.roles  # 'guarded' is not judged at all; 'plain' lost the statement holding the unknown
    assert plain.id == "t.yaml:App#inline:plain" and plain.documents == [{"Statement": []}]
    assert sorted(u.operation for u in change.unknowns) == [
        "Policies.guarded.Statement[1].Condition.StringNotEquals.aws:RequestedRegion",
        "Policies.plain.Statement[0].Resource",
    ]


def test_a_template_with_a_key_tag_cloudformation_cannot_build_is_one_clear_error(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      X: !GetAtt {a: b}\n")
    code, output = gate("--cloudformation", str(path))
    assert code == 2, output
    assert f"{path}: not a readable CloudFormation template: an intrinsic tag has an unexpected shape" in output


# --- the resolver on its own --------------------------------------------------------------------


def _resolve(value, **parts):
    resolver = Resolver(TemplateParts(resources=parts.pop("resources", {}), **parts))
    return resolver.resolve(value, "Field"), [(g.field, g.detail) for g in resolver.gaps]


def test_pseudo_parameters_and_the_deploy_account():
    value, gaps = _resolve({"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${AWS::Region}-x"})
    assert (value, gaps) == ("arn:aws:iam::deploy-account:role/deploy-region-x", [])


def test_sub_escapes_and_lists_and_no_value():
    assert _resolve({"Fn::Sub": "${!Literal}-${AWS::URLSuffix}"}) == ("${Literal}-amazonaws.com", [])
    params = {"Repos": {"Type": "CommaDelimitedList", "Default": "org/a, org/b"}}
    assert _resolve({"Ref": "Repos"}, parameters=params) == (["org/a", "org/b"], [])
    assert _resolve({"Action": ["s3:GetObject", {"Ref": "AWS::NoValue"}], "Sid": {"Ref": "AWS::NoValue"}}) == (
        {"Action": ["s3:GetObject"]},
        [],
    )


def test_find_in_map_and_an_undecidable_condition():
    mappings = {"Repos": {"prod": {"subject": "repo:org/app:environment:prod"}}}
    found = _resolve({"Fn::FindInMap": ["Repos", "prod", "subject"]}, mappings=mappings)
    assert found == ("repo:org/app:environment:prod", [])
    conditions = {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}}
    value, gaps = _resolve({"Fn::If": ["IsProd", "a", "b"]}, conditions=conditions, parameters={"Stage": {}})
    assert isinstance(value, Unresolved)
    assert gaps == [("Field", "condition IsProd depends on values known only at deploy time")]
    decided = _resolve(
        {"Fn::If": ["IsProd", "a", "b"]}, conditions=conditions, parameters={"Stage": {"Default": "dev"}}
    )
    assert decided == ("b", [])


def test_issuer_of_an_oidc_url_is_host_and_path():
    assert oidc_issuer("https://token.actions.githubusercontent.com") == GH
    assert (
        oidc_issuer("https://oidc.eks.eu-west-1.amazonaws.com/id/ABC123/")
        == "oidc.eks.eu-west-1.amazonaws.com/id/ABC123"
    )
    assert oidc_issuer("gitlab.example.com") == "gitlab.example.com"


# --- Terraform plans ------------------------------------------------------------------------------

PLAN = Path(__file__).parents[1] / "fixtures" / "iac" / "terraform" / "github-oidc.plan.json"
TF_GH_ARN = f"arn:aws:iam::111122223333:oidc-provider/{GH}"
TRUST_READ = "data.aws_iam_policy_document.github_trust"


def _plan() -> dict:
    return json.loads(PLAN.read_text())


def _trust_change(plan: dict) -> dict:
    return next(c for c in plan["resource_changes"] if c["address"] == TRUST_READ)["change"]


def _trust_config(plan: dict) -> dict:
    resources = plan["configuration"]["root_module"]["resources"]
    return next(r for r in resources if r["address"] == TRUST_READ)["expressions"]["statement"][0]


def _write(tmp_path: Path, plan: dict) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    return path


def plan_findings(path: Path) -> set[tuple[str, str]]:
    change = convert_plan(read_plan(path), NOW)
    return {(f.rule_id, f.subject) for f in new_findings(change, gate_config(ScanConfig()), NOW)}


def test_a_plan_creating_the_provider_and_its_pinned_role_passes_the_gate():
    """The trust is read only at apply (the provider's ARN is unknown): rebuilt from the plan, it is pinned."""
    code, output = gate("--terraform-plan", str(PLAN))
    assert code == 0, output
    change = convert_plan(read_plan(PLAN), NOW)
    (trust,) = change.after.trusts
    assert (trust.principal, trust.issuer) == (TF_GH_ARN, GH)  # aws_iam_openid_connect_provider.github.arn
    # the keys "${aws_iam_openid_connect_provider.github.url}:sub", read with the URL as IAM stores it
    assert [(s.key, s.value) for s in trust.condition.subjects] == [(f"{GH}:sub", "repo:org/app:ref:refs/heads/main")]
    assert [a.key for a in trust.condition.audiences] == [f"{GH}:aud"]
    assert change.unknowns == []


def test_the_same_plan_with_a_wildcard_repository_fails(tmp_path):
    plan = _plan()
    _trust_change(plan)["after"]["statement"][0]["condition"][1]["values"] = ["repo:org/*:ref:refs/heads/main"]
    path = _write(tmp_path, plan)
    assert plan_findings(path) == {("oidc-subject-unpinned", "aws_iam_role.deploy")}
    assert gate("--terraform-plan", str(path))[0] == 1


def test_a_negated_subject_in_a_plan_fails(tmp_path):
    plan = _plan()
    _trust_change(plan)["after"]["statement"][0]["condition"][1]["test"] = "StringNotLike"
    _trust_config(plan)["condition"][1]["test"] = {"constant_value": "StringNotLike"}
    assert plan_findings(_write(tmp_path, plan)) == {("oidc-subject-unpinned", "aws_iam_role.deploy")}


def test_a_whole_unknown_principals_block_is_rebuilt_from_its_configuration(tmp_path):
    plan = _plan()
    change = _trust_change(plan)
    del change["after"]["statement"][0]["principals"]
    change["after_unknown"]["statement"][0]["principals"] = True
    change = convert_plan(read_plan(_write(tmp_path, plan)), NOW)
    assert [t.principal for t in change.after.trusts] == [TF_GH_ARN] and change.unknowns == []


def test_a_subject_known_only_after_apply_is_not_judged_exit_3(tmp_path):
    plan = _plan()
    change = _trust_change(plan)
    change["after"]["statement"][0]["condition"][1]["values"] = [None]
    change["after_unknown"]["statement"][0]["condition"][1]["values"] = [True]
    _trust_config(plan)["condition"][1]["values"] = {
        "references": ["aws_ssm_parameter.subject.value", "aws_ssm_parameter.subject"]
    }
    path = _write(tmp_path, plan)
    assert plan_findings(path) == set()  # never a finding, never a trust read as open
    converted = convert_plan(read_plan(path), NOW)
    assert converted.after.trusts == []
    assert [(u.scope, u.operation, u.detail) for u in converted.unknowns] == [
        (
            "aws_iam_role.deploy",
            "assume_role_policy",
            f"{TRUST_READ} is read only at apply and its statement[0].condition[1].values is known only after apply",
        )
    ]
    code, output = gate("--terraform-plan", str(path))
    assert code == 3, output
    assert "not judged: aws_iam_role.deploy assume_role_policy" in output


def test_a_trust_written_inline_with_jsonencode_is_not_judged(tmp_path):
    """jsonencode({... aws_iam_openid_connect_provider.github.arn ...}) leaves no structure in the plan."""
    plan = _plan()
    plan["resource_changes"] = [c for c in plan["resource_changes"] if c["address"] != TRUST_READ]
    role = next(r for r in plan["configuration"]["root_module"]["resources"] if r["address"] == "aws_iam_role.deploy")
    role["expressions"]["assume_role_policy"] = {
        "references": [
            "aws_iam_openid_connect_provider.github.arn",
            "aws_iam_openid_connect_provider.github",
            "aws_iam_openid_connect_provider.github.url",
            "var.repo",
        ]
    }
    path = _write(tmp_path, plan)
    converted = convert_plan(read_plan(path), NOW)
    assert [(u.scope, u.operation) for u in converted.unknowns] == [("aws_iam_role.deploy", "assume_role_policy")]
    assert "built in place from aws_iam_openid_connect_provider.github.arn" in converted.unknowns[0].detail
    assert "data.aws_iam_policy_document" in converted.unknowns[0].detail  # what to write instead
    assert plan_findings(path) == set()
    assert gate("--terraform-plan", str(path))[0] == 3


def test_an_existing_provider_keeps_its_own_arn(tmp_path):
    """A provider already in the state has a known ARN: that one is used, not one built from the URL."""
    plan = _plan()
    provider = plan["resource_changes"][0]["change"]
    assert plan["resource_changes"][0]["type"] == "aws_iam_openid_connect_provider"
    existing = f"arn:aws:iam::444455556666:oidc-provider/{GH}"
    provider["after"] = {**provider["after"], "arn": existing, "url": GH}
    provider["before"] = provider["after"]
    provider["actions"] = ["no-op"]
    provider["after_unknown"] = {}
    _trust_change(plan)["after"]["statement"][0]["condition"][1]["variable"] = f"{GH}:sub"
    converted = convert_plan(read_plan(_write(tmp_path, plan)), NOW)
    assert [t.principal for t in converted.after.trusts] == [existing]


def test_a_trust_built_in_place_from_the_providers_url_reads_the_key_as_iam_stores_it(tmp_path):
    """jsonencode with a literal ARN and ``"${aws_iam_openid_connect_provider.github.url}:sub"`` is known at
    plan, with the URL as configured (``https://``); IAM stores the URL without it."""
    plan = _plan()
    plan["resource_changes"] = [c for c in plan["resource_changes"] if c["address"] != TRUST_READ]
    role = next(c for c in plan["resource_changes"] if c["address"] == "aws_iam_role.deploy")["change"]
    url = "https://token.actions.githubusercontent.com"
    role["after"]["assume_role_policy"] = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Principal": {"Federated": TF_GH_ARN},
                    "Condition": {"StringEquals": {f"{url}:sub": "repo:org/app:ref:refs/heads/main"}},
                }
            ],
        }
    )
    del role["after_unknown"]["assume_role_policy"]
    config = next(r for r in plan["configuration"]["root_module"]["resources"] if r["address"] == "aws_iam_role.deploy")
    config["expressions"]["assume_role_policy"] = {
        "references": ["aws_iam_openid_connect_provider.github.url", "aws_iam_openid_connect_provider.github"]
    }
    converted = convert_plan(read_plan(_write(tmp_path, plan)), NOW)
    (trust,) = converted.after.trusts
    assert trust.condition.pinned_subjects == ["repo:org/app:ref:refs/heads/main"]
    assert plan_findings(_write(tmp_path, plan)) == set()
    # near miss: a key written with the scheme by hand, not from the provider's url, is taken as written
    config["expressions"]["assume_role_policy"] = {"references": ["var.repo"]}
    assert plan_findings(_write(tmp_path, plan)) == {("oidc-subject-unpinned", "aws_iam_role.deploy")}
