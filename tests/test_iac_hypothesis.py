"""Generated hostile Terraform plans and CloudFormation templates through ``standing gate``.

Whatever the file holds (a field of the wrong type, odd keys, malformed or nested intrinsics,
anchors and aliases, complex keys), the gate gives a verdict (exit 0, 1 or 3) or one line
naming the file with exit 2: never a traceback, never the crash code. The budget is the
suite's Hypothesis profile ("standing", loaded in conftest).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from standing.cli.main import main

AS_OF = ["--as-of", "2026-11-28T12:00:00+00:00"]


def assert_verdict_or_one_line(result: Any, name: str) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1, 2, 3), result.output
    if result.exit_code == 2:
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and name in lines[0], result.output


def run_gate(option: str, name: str, text: str) -> Any:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_text(text)
        return CliRunner().invoke(main, ["gate", option, str(path), *AS_OF], env={"COLUMNS": "200"})


# -- Terraform plans ------------------------------------------------------------------------

hostile_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["", "*", "aws_iam_user.ci", "module.x[0]", "create", "delete", "read", "data", "\x1b[2J", "{}"]),
)
hostile_json = st.recursive(
    hostile_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.text(max_size=8) | st.sampled_from(["address", "type"]), inner, max_size=3),
    ),
    max_leaves=8,
)
TYPES = [
    "aws_iam_user",
    "aws_iam_access_key",
    "aws_iam_role",
    "aws_iam_policy",
    "aws_iam_role_policy_attachment",
    "google_service_account_key",
    "google_project_iam_member",
    "azuread_application_password",
    "azurerm_role_assignment",
    "aws_iam_policy_document",
]


@st.composite
def plan_changes(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(TYPES))
    change: dict[str, Any] = {
        "address": f"{kind}.x",
        "mode": draw(st.sampled_from(["managed", "data"])),
        "type": kind,
        "name": "x",
        "change": {
            "actions": draw(st.sampled_from([["create"], ["update"], ["read"], ["delete"], ["delete", "create"]])),
            "before": None,
            "after": draw(
                st.dictionaries(
                    st.sampled_from(
                        [
                            "user",
                            "role",
                            "policy",
                            "policy_arn",
                            "name",
                            "assume_role_policy",
                            "member",
                            "role",
                            "status",
                            "service_account_id",
                            "principal_id",
                            "scope",
                            "end_date",
                            "statement",
                        ]
                    ),
                    hostile_json,
                    max_size=4,
                )
            ),
            "after_unknown": draw(
                st.one_of(st.just({}), st.dictionaries(st.sampled_from(["user", "policy"]), hostile_json, max_size=2))
            ),
        },
    }
    # then break one field anywhere in it, or leave it as Terraform writes it
    target = draw(
        st.sampled_from(
            [
                None,
                "address",
                "type",
                "name",
                "mode",
                "module_address",
                "index",
                "change",
                "actions",
                "before",
                "after",
                "after_unknown",
            ]
        )
    )
    if target in ("actions", "before", "after", "after_unknown"):
        change["change"][target] = draw(hostile_json)
    elif target is not None:
        change[target] = draw(hostile_json)
    return change


@st.composite
def plans(draw: st.DrawFn) -> str:
    changes = draw(st.lists(plan_changes(), min_size=1, max_size=3))
    configuration = draw(
        st.one_of(
            st.just({"root_module": {"resources": []}}),
            st.fixed_dictionaries(
                {
                    "root_module": st.fixed_dictionaries(
                        {
                            "resources": st.lists(
                                st.fixed_dictionaries(
                                    {
                                        "address": st.sampled_from(
                                            ["aws_iam_access_key.x", "aws_iam_role_policy_attachment.x"]
                                        ),
                                        "expressions": hostile_json,
                                    }
                                ),
                                max_size=2,
                            ),
                            "module_calls": hostile_json,
                        }
                    )
                }
            ),
            hostile_json,
        )
    )
    document = {
        "format_version": "1.2",
        "resource_changes": changes,
        "configuration": configuration,
        "planned_values": draw(hostile_json),
        "prior_state": draw(hostile_json),
    }
    return json.dumps(document)


@given(plans())
def test_a_generated_plan_gets_a_verdict_or_one_line_naming_it(text):
    assert_verdict_or_one_line(run_gate("--terraform-plan", "hostile.plan.json", text), "hostile.plan.json")


# -- CloudFormation templates ----------------------------------------------------------------

TAGS = [
    "!Ref",
    "!Sub",
    "!GetAtt",
    "!Join",
    "!Select",
    "!Split",
    "!FindInMap",
    "!If",
    "!ImportValue",
    "!Base64",
    "!Condition",
    "!Equals",
    "!Not",
]
yaml_scalars = st.sampled_from(
    [
        "x",
        "'*'",
        '""',
        "null",
        "1",
        "-1",
        "true",
        "2012-10-17",
        "Deploy",
        "AWS::AccountId",
        "'${Deploy.Arn}'",
        "'${!Literal}'",
        "'${Missing}'",
        "Deploy.Arn",
        "'arn:aws:iam::aws:policy/AdministratorAccess'",
        "[]",
        "{}",
    ]
)


def _flow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
        st.lists(
            st.tuples(
                st.sampled_from(
                    [
                        "Effect",
                        "Action",
                        "Resource",
                        "Principal",
                        "Condition",
                        "Statement",
                        "AWS",
                        "Fn::Sub",
                        "Ref",
                        "x",
                        "? [a]",
                        "? {a: 1}",
                    ]
                ),
                inner,
            ),
            max_size=3,
        ).map(lambda pairs: "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"),
        # YAML puts no tag on an alias or a tagged value: those are wrapped in a list
        st.tuples(st.sampled_from(TAGS), inner).map(lambda p: f"{p[0]} {f'[{p[1]}]' if p[1][0] in '*!' else p[1]}"),
    )


# "*p0" is an alias of the first property's value, anchored "&p0": inside that value it refers to itself
yaml_values = st.recursive(yaml_scalars | st.just("*p0"), _flow, max_leaves=10)
PROPERTIES = [
    "RoleName",
    "UserName",
    "AssumeRolePolicyDocument",
    "Policies",
    "ManagedPolicyArns",
    "PolicyDocument",
    "Roles",
    "Users",
    "Status",
    "Url",
    "PolicyName",
]
RESOURCE_TYPES = [
    "AWS::IAM::User",
    "AWS::IAM::Role",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::AccessKey",
    "AWS::IAM::Policy",
    "AWS::IAM::RolePolicy",
    "AWS::IAM::UserPolicy",
    "AWS::IAM::OIDCProvider",
    "AWS::IAM::Group",
    "x",
]


@st.composite
def templates(draw: st.DrawFn) -> str:
    lines = []
    if draw(st.booleans()):
        lines += ["Parameters:", f"  Env: {{Type: String, Default: {draw(yaml_scalars)}}}", "  Bare: {Type: String}"]
    lines.append("Resources:")
    anchored = False
    for n in range(draw(st.integers(min_value=1, max_value=3))):
        name = draw(st.sampled_from(["Deploy", "Key", f"R{n}", "? [a, b]", "!Ref x", "1"]))
        lines += [
            f"  {name}:" if not name.startswith("?") else f"  {name}\n  :",
            f"    Type: {draw(st.sampled_from(RESOURCE_TYPES))}",
            "    Properties:",
        ]
        for prop in draw(st.lists(st.sampled_from(PROPERTIES), min_size=1, max_size=4, unique=True)):
            anchor = "&p0 " if not anchored else ""
            anchored = True
            lines.append(f"      {prop}: {anchor}{draw(yaml_values)}")
    # after Resources, so that their aliases of the first property are defined
    if draw(st.booleans()):
        lines += ["Conditions:", f"  Prod: {draw(yaml_values)}"]
    if draw(st.booleans()):
        lines += ["Mappings:", f"  M: {draw(yaml_values)}"]
    return "\n".join(lines) + "\n"


@given(templates())
def test_a_generated_template_gets_a_verdict_or_one_line_naming_it(text):
    assert_verdict_or_one_line(run_gate("--cloudformation", "hostile.yaml", text), "hostile.yaml")


@given(templates())
def test_the_same_template_as_json_gets_a_verdict_or_one_line(text):
    # a template that loads as YAML, written as JSON: the JSON reader and the converter, without tags
    import yaml

    try:
        data = yaml.safe_load(text.replace("!", "x"))
        body = json.dumps(data, default=str)
    except (yaml.YAMLError, TypeError, ValueError, RecursionError):
        return
    if not body.startswith("{"):
        return
    assert_verdict_or_one_line(run_gate("--cloudformation", "hostile.json", body), "hostile.json")
