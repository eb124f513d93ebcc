"""Hostile IaC input to the gate: one line naming the file and the field, exit 2, bounded work.

Each case is the input that crashed or ran away in issue 16 (a malformed intrinsic, a complex
mapping key, a self-referencing alias, a plan field of the wrong type, nesting 1,500 deep, a
1 KB alias bomb), beside its near miss: the same construct written the way CloudFormation or
Terraform writes it, which the gate must still judge.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from standing.cli.main import main
from standing.collectors.iac.cloudformation import convert_template, parse_template
from tests.support.iac_plans import UNIT, write_synthetic_plan

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
AS_OF = ["--as-of", NOW.isoformat()]
ROOT = Path(__file__).parents[1]


def gate(*args: str):
    return CliRunner().invoke(main, ["gate", *args, *AS_OF], env={"COLUMNS": "400"})


def assert_one_line_exit_2(result, *expected: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    for text in expected:
        assert text in result.output, result.output


def template(tmp_path: Path, body: str, name: str = "t.yaml") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return str(path)


ROLE = """\
    Resources:
      Deploy:
        Type: AWS::IAM::Role
        Properties:
          RoleName: {value}
          AssumeRolePolicyDocument:
            Statement:
              - Effect: Allow
                Principal: {{Service: lambda.amazonaws.com}}
                Action: sts:AssumeRole
    """


@pytest.mark.parametrize(
    ("bad", "field", "good"),
    [
        ('!Sub ["x"]', "Fn::Sub needs a string or [string, {variables}]", '!Sub ["x-${Env}", {Env: prod}]'),
        ("!GetAtt []", "Fn::GetAtt needs [resource, attribute]", "!GetAtt [Deploy, RoleId]"),
        ("!Ref []", "Ref needs the name of a parameter or resource", "!Ref AWS::StackName"),
    ],
)
def test_a_malformed_intrinsic_is_one_line_naming_the_resource_and_field(tmp_path, bad, field, good):
    result = gate("--cloudformation", template(tmp_path, ROLE.format(value=bad)))
    assert_one_line_exit_2(result, "t.yaml: resource Deploy, RoleName: ", field)
    # near miss: the same function in the shape CloudFormation accepts is judged (a lambda role: clean)
    near = gate("--cloudformation", template(tmp_path, ROLE.format(value=good), "good.yaml"))
    assert near.exit_code == 0, near.output


def test_a_malformed_intrinsic_where_a_key_names_its_user_is_bad_input_not_a_placeholder(tmp_path):
    body = """\
        Resources:
          Key:
            Type: AWS::IAM::AccessKey
            Properties:
              UserName: {user}
          Ci:
            Type: AWS::IAM::User
        """
    result = gate("--cloudformation", template(tmp_path, body.format(user="!GetAtt []")))
    assert_one_line_exit_2(result, "resource Key, UserName: Fn::GetAtt needs")
    near = gate("--cloudformation", template(tmp_path, body.format(user="!Ref Ci"), "good.yaml"))
    assert near.exit_code == 1 and "long-lived-secret" in near.output  # the key is judged: a standing key


def test_a_complex_mapping_key_as_a_logical_id_is_one_line(tmp_path):
    body = """\
        Resources:
          ? [a, b]
          : Type: AWS::IAM::User
        """
    assert_one_line_exit_2(gate("--cloudformation", template(tmp_path, body)), "t.yaml: Resources: a logical id")
    # near miss: a complex key where CloudFormation allows an intrinsic (a condition key) is resolved
    pinned = """\
        Parameters:
          Provider: {Type: String, Default: token.actions.githubusercontent.com}
        Resources:
          Ci:
            Type: AWS::IAM::Role
            Properties:
              AssumeRolePolicyDocument:
                Statement:
                  - Effect: Allow
                    Principal: {Federated: !Sub "arn:aws:iam::${AWS::AccountId}:oidc-provider/${Provider}"}
                    Action: sts:AssumeRoleWithWebIdentity
                    Condition:
                      StringEquals:
                        ? !Sub "${Provider}:sub"
                        : repo:org/app:ref:refs/heads/main
        """
    near = gate("--cloudformation", template(tmp_path, pinned, "pinned.yaml"))
    assert near.exit_code == 0, near.output


def test_a_self_referencing_alias_is_one_line_and_a_shared_one_is_read(tmp_path):
    body = """\
        Resources:
          Deploy: &role
            Type: AWS::IAM::User
            Properties:
              Nested: *role
        """
    assert_one_line_exit_2(
        gate("--cloudformation", template(tmp_path, body)), "t.yaml: a YAML alias refers to the value that contains it"
    )
    shared = """\
        Resources:
          First: &user
            Type: AWS::IAM::User
          Second: *user
          Key:
            Type: AWS::IAM::AccessKey
            Properties: {UserName: !Ref Second}
        """
    near = gate("--cloudformation", template(tmp_path, shared, "shared.yaml"))
    assert near.exit_code == 1 and "shared.yaml:Key" in near.output  # judged: a key on the aliased user


def _plan(tmp_path: Path, **fields) -> str:
    change = {
        "address": "aws_iam_access_key.ci",
        "mode": "managed",
        "type": "aws_iam_access_key",
        "name": "ci",
        "change": {"actions": ["create"], "before": None, "after": {"user": "ci"}, "after_unknown": {}},
        **fields,
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"format_version": "1.2", "planned_values": {}, "resource_changes": [change]}))
    return str(path)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("type", -1, "resource_changes[0].type: expected a string, found a number"),
        ("address", {}, "resource_changes[0].address: expected a string, found an object"),
    ],
)
def test_a_plan_field_of_the_wrong_type_is_one_line_naming_it(tmp_path, field, value, message):
    assert_one_line_exit_2(gate("--terraform-plan", _plan(tmp_path, **{field: value})), f"plan.json: {message}")
    near = gate("--terraform-plan", _plan(tmp_path))  # the same change as Terraform writes it
    assert near.exit_code == 1 and "aws_iam_access_key.ci" in near.output


@pytest.mark.parametrize("option", ["--terraform-plan", "--cloudformation"])
def test_json_nested_1500_deep_is_one_line_and_50_deep_is_read(tmp_path, option):
    deep = tmp_path / "deep.json"
    deep.write_text(
        json.dumps({"format_version": "1.2", "resource_changes": [], "x": 0}).replace("0", "[" * 1500 + "]" * 1500)
    )
    assert_one_line_exit_2(gate(option, str(deep)), "deep.json: nested deeper than 100 levels")
    # near miss: a value 50 levels deep inside a resource is an ordinary input
    shallow = tmp_path / "shallow.json"
    nested = "[" * 50 + "]" * 50
    if option == "--terraform-plan":
        shallow.write_text(json.dumps({"format_version": "1.2", "resource_changes": [], "x": 0}).replace("0", nested))
    else:
        shallow.write_text(
            json.dumps({"Resources": {"Ci": {"Type": "AWS::IAM::User", "Metadata": {"x": 0}}}}).replace(
                ": 0", ": " + nested
            )
        )
    assert gate(option, str(shallow)).exit_code == 0


def test_yaml_nested_1500_deep_is_one_line(tmp_path):
    body = "Resources:\n  Ci:\n    Type: AWS::IAM::User\n    Metadata: " + "[" * 1500 + "]" * 1500 + "\n"
    assert_one_line_exit_2(gate("--cloudformation", template(tmp_path, body)), "nested deeper than 100 levels")


# -- bounded memory: measured in a child process, never a timing assertion ---------------------

# Two levels: the child forked from pytest inherits pytest's peak in its own ru_maxrss, so it
# runs the gate as its child and reports RUSAGE_CHILDREN, a peak that is the gate's alone.
_MEASURE = """
import resource, subprocess, sys
run = "import sys; from standing.cli.main import main; sys.argv[0] = 'standing'; main()"
gate = subprocess.run([sys.executable, "-c", run, *sys.argv[1:]], capture_output=True, text=True)
print(gate.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(gate.stdout + gate.stderr)
"""


def measured(tmp_path: Path, *args: str) -> tuple[int, int, str]:
    """Exit code, the gate's peak memory in MiB (measured in a child process), and its output."""
    script = tmp_path / "measure.py"
    script.write_text(_MEASURE)
    child = subprocess.run(
        [sys.executable, str(script), "gate", *args, *AS_OF],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        env={**os.environ, "COLUMNS": "400"},
    )
    head, _, output = child.stdout.partition("\n")
    code, peak_kib = head.split()
    return int(code), int(peak_kib) // 1024, output


def alias_bomb(levels: int) -> str:
    """The issue's shape: anchors nested inside a PolicyDocument, each level nine aliases of the one before."""
    lines = [
        "Resources:",
        "  Role:",
        "    Type: AWS::IAM::Role",
        "    Properties:",
        "      AssumeRolePolicyDocument:",
        "        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]",
        "      Policies:",
        "        - PolicyName: p",
        "          PolicyDocument:",
        "            Statement:",
        "              - Effect: Allow",
        "                Resource: '*'",
        '                Action: &a0 ["*"]',
    ]
    lines += [f"                X{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def test_a_yaml_alias_bomb_is_refused_in_bounded_memory_and_a_few_aliases_are_read(tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(alias_bomb(9))  # under 1 KB; 9^9 copies if expanded
    assert len(bomb.read_bytes()) < 1500
    code, peak_mib, output = measured(tmp_path, "--cloudformation", str(bomb))
    assert code == 2 and "alias bomb" in output and len(output.strip().splitlines()) == 1, output
    assert peak_mib < 256, f"peak {peak_mib} MiB"  # the bomb grew to 7.3 GB
    # near miss: two levels of the same aliases (81 copies) is an ordinary template, judged: admin
    few = tmp_path / "few.yaml"
    few.write_text(alias_bomb(2))
    result = gate("--cloudformation", str(few))
    assert result.exit_code == 1 and "admin-equivalent" in result.output, result.output


def test_a_20000_resource_plan_is_judged_whole_in_bounded_memory(tmp_path):
    plan = tmp_path / "big.plan.json"
    resources = write_synthetic_plan(plan, 20_000)
    units = resources // UNIT
    code, peak_mib, output = measured(tmp_path, "--terraform-plan", str(plan), "--sarif", str(tmp_path / "s.sarif"))
    assert code == 1, output
    # every unit judged: 4 standing secrets, 2 Entra lifetime findings, an unpinned trust in every
    # third, Editor in every fifth, admin in every tenth, and the deploy user's two-active-keys
    expected = units * 6 + len(range(0, units, 3)) + len(range(0, units, 5)) + len(range(0, units, 10)) + 1
    assert f"{expected} blocking of {expected} new finding(s)" in output
    assert f"... and {expected - 200} more new finding(s)" in output
    sarif = json.loads((tmp_path / "s.sarif").read_text())
    assert len(sarif["runs"][0]["results"]) == expected
    assert peak_mib < 1024, f"peak {peak_mib} MiB"
    # near miss: one unit alone has the same findings (unit 0 is in every third, fifth and tenth) and
    # no deploy user holding two keys; nothing is cut from the terminal
    small = tmp_path / "small.plan.json"
    write_synthetic_plan(small, UNIT)
    output = gate("--terraform-plan", str(small)).output
    assert "9 blocking of 9 new finding(s)" in output and "more new finding(s)" not in output


def _role_plan(tmp_path: Path, condition: str) -> str:
    document = (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", '
        f'"Condition": {{"StringEquals": {condition}}}}}]}}'
    )
    change = {
        "address": "aws_iam_role.x",
        "mode": "managed",
        "type": "aws_iam_role",
        "name": "x",
        "change": {
            "actions": ["create"],
            "before": None,
            "after": {"name": "x", "inline_policy": [{"name": "p", "policy": document}]},
            "after_unknown": {},
        },
    }
    path = tmp_path / "role.plan.json"
    path.write_text(json.dumps({"format_version": "1.2", "planned_values": {}, "resource_changes": [change]}))
    return str(path)


def test_a_policy_text_nested_1500_deep_inside_a_plan_is_not_judged_and_90_deep_is(tmp_path):
    deep = _role_plan(tmp_path, '{"a":' * 1500 + "1" + "}" * 1500)
    result = gate("--terraform-plan", deep)
    assert result.exit_code == 3 and "Traceback" not in result.output, result.output
    assert "aws_iam_role.x policy: the policy document is not valid JSON or nests beyond 100 levels" in result.output
    # near miss: a condition 90 levels deep is read, and the admin policy it sits in is judged
    near = gate("--terraform-plan", _role_plan(tmp_path, '{"a":' * 90 + "1" + "}" * 90))
    assert near.exit_code == 1 and "admin-equivalent" in near.output, near.output


def test_a_key_on_an_existing_user_named_by_a_string_is_a_standing_key_of_that_user(tmp_path):
    # found while indexing the lookups: the key's own UserName matched itself, so the key had no
    # holder and the gate passed it
    existing = """\
        Resources:
          Key:
            Type: AWS::IAM::AccessKey
            Properties: {UserName: deploy}
        """
    result = gate("--cloudformation", template(tmp_path, existing))
    assert result.exit_code == 1 and "long-lived-secret" in result.output, result.output
    # near miss: the template declares a user with that name, so the key is that resource's
    declared = textwrap.dedent(existing) + "  Deploy:\n    Type: AWS::IAM::User\n    Properties: {UserName: deploy}\n"
    parsed = parse_template(declared, "d.yaml")
    holders = {c.identity_id for c in convert_template(parsed, NOW).after.credentials}
    assert holders == {"d.yaml:Deploy"}


_EIGHT = "".join("${V}" for _ in range(8))


def _sub_levels(levels: int) -> str:
    """!Sub of eight ${V}, whose V is the same again, ``levels`` deep: 8^levels copies of 40 characters."""
    value = "x" * 40
    for _ in range(levels):
        value = f"!Sub ['{_EIGHT}', {{V: {value}}}]"
    return value


@pytest.mark.parametrize(
    ("sections", "value", "message", "near_sections", "near_value"),
    [
        (
            "Mappings:\n  M: {a: {b: !FindInMap [M, a, b]}}\n",
            "!FindInMap [M, a, b]",
            "RoleName: Fn::FindInMap M.a.b refers to itself",
            "Mappings:\n  M: {a: {b: deploy}}\n",
            "!FindInMap [M, a, b]",
        ),
        (
            "Conditions:\n  C: !Equals [!If [C, a, b], a]\n",
            "!If [C, a, b]",
            "condition C refers to itself",
            "Conditions:\n  C: !Equals [a, a]\n",
            "!If [C, a, b]",
        ),
        (
            "",
            "!GetAtt Oidc.Arn",
            "the Url of the OIDC provider Oidc refers to itself",
            "",
            "!Sub 'ci-${AWS::Region}'",
        ),
        ("", _sub_levels(9), "Fn::Sub resolves to more than 100,000 characters", "", _sub_levels(2)),
    ],
    ids=["mapping", "condition", "oidc-url", "sub-text-bomb"],
)
def test_references_that_never_end_are_one_line_and_finite_ones_are_resolved(
    tmp_path, sections, value, message, near_sections, near_value
):
    body = (
        "{sections}Resources:\n"
        "  Oidc:\n    Type: AWS::IAM::OIDCProvider\n    Properties: {{Url: {url}}}\n"
        "  Deploy:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: {value}\n"
        "      AssumeRolePolicyDocument: {{Statement: [{{Effect: Allow, Principal: {{Service: lambda.amazonaws.com}}, "
        "Action: 'sts:AssumeRole'}}]}}\n"
    )
    url = "!GetAtt Oidc.Url" if "OIDC" in message else "https://token.actions.githubusercontent.com"
    bad = template(tmp_path, body.format(sections=sections, value=value, url=url))
    assert_one_line_exit_2(gate("--cloudformation", bad), "t.yaml: resource Deploy, ", message)
    near = template(
        tmp_path,
        body.format(sections=near_sections, value=near_value, url="https://token.actions.githubusercontent.com"),
        "near.yaml",
    )
    assert gate("--cloudformation", near).exit_code == 0


@pytest.mark.parametrize(("references", "exit_code"), [("aws_iam_user.ci", 2), (["aws_iam_user.ci"], 1)])
def test_a_configuration_reference_of_the_wrong_type_is_one_line_naming_its_path(tmp_path, references, exit_code):
    key = {
        "address": "aws_iam_access_key.ci",
        "mode": "managed",
        "type": "aws_iam_access_key",
        "name": "ci",
        "change": {"actions": ["create"], "before": None, "after": {}, "after_unknown": {"user": True}},
    }
    user = {**key, "address": "aws_iam_user.ci", "type": "aws_iam_user"}
    user["change"] = {"actions": ["create"], "before": None, "after": {"name": "ci"}, "after_unknown": {}}
    entry = {"address": "aws_iam_access_key.ci", "expressions": {"user": {"references": references}}}
    path = tmp_path / "plan.json"
    path.write_text(
        json.dumps(
            {
                "format_version": "1.2",
                "planned_values": {},
                "resource_changes": [user, key],
                "configuration": {"root_module": {"resources": [entry]}},
            }
        )
    )
    result = gate("--terraform-plan", str(path))
    if exit_code == 2:
        where = "configuration.root_module.resources[0].expressions.user.references: expected a list, found a string"
        assert_one_line_exit_2(result, f"plan.json: {where}")
    else:  # near miss: the reference Terraform writes is followed to the user, and the key is judged
        assert result.exit_code == 1 and "aws_iam_access_key.ci of ci" in result.output, result.output
