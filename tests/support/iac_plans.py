"""A synthetic ``terraform show -json`` plan of any size, for the gate's scale test and benchmark.

Each unit of twelve resources is what a real change holds, through every kind of lookup the
converter makes: a user and a key referring to it (known after apply), a key on an existing
user named by a constant (thousands of keys on one identity), a role with an OIDC trust
(pinned or not), a policy and an attachment referring to both by reference, a module
instance with ``count``, a Google service account with a key and a project binding naming it
by email, and an Entra application with a password and a role assignment.
"""

from __future__ import annotations

import json
from typing import Any

UNIT = 12  # resources per unit
_OIDC = "token.actions.githubusercontent.com"


def _change(
    address: str, type_: str, after: dict[str, Any], unknown: dict[str, Any], module: str = ""
) -> dict[str, Any]:
    name = address.rsplit(".", 1)[-1].split("[", 1)[0]
    change: dict[str, Any] = {
        "address": address,
        "mode": "managed",
        "type": type_,
        "name": name,
        "change": {"actions": ["create"], "before": None, "after": after, "after_unknown": unknown},
    }
    if module:
        change["module_address"] = module
        change["index"] = int(address.rsplit("[", 1)[1].rstrip("]"))
    return change


def _config(address: str, type_: str, expressions: dict[str, Any]) -> dict[str, Any]:
    return {
        "address": address,
        "mode": "managed",
        "type": type_,
        "name": address.split(".")[1],
        "expressions": expressions,
    }


def _refs(*references: str) -> dict[str, Any]:
    return {"references": list(references)}


def _trust(pinned: bool) -> str:
    condition: dict[str, Any] = {"StringEquals": {f"{_OIDC}:aud": "sts.amazonaws.com"}}
    if pinned:
        condition["StringEquals"][f"{_OIDC}:sub"] = "repo:org/app:ref:refs/heads/main"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": f"arn:aws:iam::111122223333:oidc-provider/{_OIDC}"},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": condition,
                }
            ],
        }
    )


def synthetic_plan(resources: int) -> dict[str, Any]:
    """A plan creating ``resources`` resource instances (rounded down to whole units of twelve)."""
    changes: list[dict[str, Any]] = []
    root: list[dict[str, Any]] = []
    units = resources // UNIT
    for i in range(units):
        user, role, policy = f"aws_iam_user.u{i}", f"aws_iam_role.r{i}", f"aws_iam_policy.p{i}"
        app, account = f"azuread_application.app{i}", f"google_service_account.sa{i}"
        actions = ["s3:GetObject"] if i % 10 else ["*"]
        document = json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
        )
        changes += [
            _change(user, "aws_iam_user", {"name": f"ci-{i}", "tags": {"team": f"t{i % 7}"}}, {"arn": True}),
            _change(
                f"aws_iam_access_key.uk{i}", "aws_iam_access_key", {"status": "Active"}, {"user": True, "secret": True}
            ),
            _change(
                f"aws_iam_access_key.dk{i}",
                "aws_iam_access_key",
                {"user": "deploy", "status": "Active"},
                {"secret": True},
            ),
            _change(
                role, "aws_iam_role", {"name": f"app-{i}", "assume_role_policy": _trust(i % 3 != 0)}, {"arn": True}
            ),
            _change(policy, "aws_iam_policy", {"name": f"p-{i}", "policy": document}, {"arn": True}),
            _change(
                f"aws_iam_role_policy_attachment.a{i}",
                "aws_iam_role_policy_attachment",
                {},
                {"role": True, "policy_arn": True},
            ),
            _change(
                f"module.bots.aws_iam_user.bot[{i}]",
                "aws_iam_user",
                {"name": f"bot-{i}"},
                {"arn": True},
                module="module.bots",
            ),
            _change(account, "google_service_account", {"account_id": f"sa-{i}", "project": "proj"}, {"email": True}),
            _change(f"google_service_account_key.k{i}", "google_service_account_key", {}, {"service_account_id": True}),
            _change(
                f"google_project_iam_member.m{i}",
                "google_project_iam_member",
                {
                    "project": "proj",
                    "role": "roles/editor" if i % 5 == 0 else "roles/viewer",
                    "member": f"serviceAccount:sa-{i}@proj.iam.gserviceaccount.com",
                },
                {},
            ),
            _change(app, "azuread_application", {"display_name": f"app-{i}"}, {"client_id": True, "object_id": True}),
            _change(
                f"azuread_application_password.pw{i}",
                "azuread_application_password",
                {"end_date_relative": "17520h"},
                {"application_id": True, "value": True},
            ),
        ]
        root += [
            _config(user, "aws_iam_user", {"name": {"constant_value": f"ci-{i}"}}),
            _config(f"aws_iam_access_key.uk{i}", "aws_iam_access_key", {"user": _refs(f"{user}.name", user)}),
            _config(
                f"aws_iam_role_policy_attachment.a{i}",
                "aws_iam_role_policy_attachment",
                {"role": _refs(f"{role}.name", role), "policy_arn": _refs(f"{policy}.arn", policy)},
            ),
            _config(
                f"google_service_account_key.k{i}",
                "google_service_account_key",
                {"service_account_id": _refs(f"{account}.name", account)},
            ),
            _config(
                f"azuread_application_password.pw{i}",
                "azuread_application_password",
                {"application_id": _refs(f"{app}.id", app)},
            ),
        ]
    bots = {"resources": [_config("aws_iam_user.bot", "aws_iam_user", {"name": {"references": ["count.index"]}})]}
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "planned_values": {"root_module": {}},
        "resource_changes": changes,
        "configuration": {"root_module": {"resources": root, "module_calls": {"bots": {"module": bots}}}},
    }


def write_synthetic_plan(path: Any, resources: int) -> int:
    """Write the plan as ``terraform show -json`` does (one line); returns how many resources it holds."""
    plan = synthetic_plan(resources)
    path.write_text(json.dumps(plan))
    return len(plan["resource_changes"])
