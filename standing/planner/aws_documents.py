"""The AWS policy documents plans emit: trust, session, narrowed and guardrail policies.

Built as data (not text) so the Terraform templates embed them with ``jsonencode`` and a test
can hand every one to IAM (moto) and to the parliament linter.
"""

from __future__ import annotations

from typing import Any

from standing.analysis import catalogue
from standing.planner.model import AwsPolicyDocument, PolicyKind

VERSION = "2012-10-17"
BROKER_ROLE = "standing-jit-broker"
# What an elevated session must never do: mint the standing access the plan removes.
NO_NEW_STANDING_ACCESS = [
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:CreateUser",
    "iam:UpdateAssumeRolePolicy",
]


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": VERSION, "Statement": list(statements)}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def oidc_trust(account: str, ci: str, host: str, audience: str, subject: str) -> AwsPolicyDocument:
    """Exact audience; exact subject, except a CircleCI subject's trailing ``user/*`` (any user of one project)."""
    condition: dict[str, Any] = {"StringEquals": {f"{host}:aud": audience}}
    if "*" in subject:
        condition["StringLike"] = {f"{host}:sub": subject}
    else:
        condition["StringEquals"][f"{host}:sub"] = subject
    return AwsPolicyDocument(
        kind=PolicyKind.TRUST,
        name=f"{ci}-oidc-trust",
        document=_doc(
            {
                "Effect": "Allow",
                "Principal": {"Federated": f"arn:aws:iam::{account}:oidc-provider/{host}"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": condition,
            }
        ),
    )


def service_trust(account: str, service: str, source_arn: str | None = None) -> AwsPolicyDocument:
    """A service principal, pinned to this account so another customer's resource cannot use it."""
    actions: list[str] = ["sts:AssumeRole"]
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": account}}
    if service == "pods.eks":
        actions.append("sts:TagSession")
    if service == "ec2":
        condition = {}  # EC2 presents no source account for instance profiles
    if source_arn:
        condition["ArnLike"] = {"aws:SourceArn": source_arn}
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": f"{service}.amazonaws.com"},
        "Action": actions if len(actions) > 1 else actions[0],
    }
    if condition:
        statement["Condition"] = condition
    return AwsPolicyDocument(kind=PolicyKind.TRUST, name=f"{service}-trust", document=_doc(statement))


def roles_anywhere_trust(account: str, common_name: str) -> AwsPolicyDocument:
    return AwsPolicyDocument(
        kind=PolicyKind.TRUST,
        name="roles-anywhere-trust",
        document=_doc(
            {
                "Effect": "Allow",
                "Principal": {"Service": "rolesanywhere.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
                "Condition": {
                    "StringEquals": {"aws:PrincipalTag/x509Subject/CN": common_name, "aws:SourceAccount": account}
                },
            }
        ),
    )


def broker_trust(account: str, principal: str | None = None) -> AwsPolicyDocument:
    """Only the approval broker (or one named principal) may assume, and must say who for."""
    who = principal or f"arn:aws:iam::{account}:role/{BROKER_ROLE}"
    return AwsPolicyDocument(
        kind=PolicyKind.TRUST,
        name="on-request-trust",
        document=_doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": who},
                "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
                "Condition": {"StringLike": {"sts:SourceIdentity": "*"}},
            }
        ),
    )


def external_id_trust(principal: str, external_id: str) -> AwsPolicyDocument:
    return AwsPolicyDocument(
        kind=PolicyKind.TRUST,
        name="pinned-cross-account-trust",
        document=_doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": principal},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
            }
        ),
    )


def allowed_actions(documents: tuple[dict[str, Any], ...]) -> list[str]:
    """The actions the identity's Allow statements name today, as written."""
    actions: set[str] = set()
    for document in documents:
        for statement in as_list(document.get("Statement", [])):
            if isinstance(statement, dict) and statement.get("Effect") == "Allow":
                actions.update(str(a) for a in as_list(statement.get("Action", [])))
    return sorted(actions)


def session_policy(name: str, actions: list[str]) -> AwsPolicyDocument:
    """Passed on AssumeRole: the session can do at most this, and never mint standing access."""
    return AwsPolicyDocument(
        kind=PolicyKind.SESSION,
        name=name,
        document=_doc(
            {
                "Sid": "ScopedToTheRequest",
                "Effect": "Allow",
                "Action": actions if actions else "sts:GetCallerIdentity",
                "Resource": "*",
            },
            {"Sid": "NoNewStandingAccess", "Effect": "Deny", "Action": NO_NEW_STANDING_ACCESS, "Resource": "*"},
        ),
    )


def source_guardrail(cidrs: list[str]) -> AwsPolicyDocument:
    """Denies every request from outside the consumer's known networks."""
    return AwsPolicyDocument(
        kind=PolicyKind.GUARDRAIL,
        name="deny-outside-known-sources",
        document=_doc(
            {
                "Sid": "DenyOutsideKnownSources",
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"NotIpAddress": {"aws:SourceIp": cidrs}, "Bool": {"aws:ViaAWSService": "false"}},
            }
        ),
    )


def source_conditions(documents: tuple[dict[str, Any], ...]) -> list[str]:
    """Source-network conditions already on the identity's statements (SourceIp, VPC endpoint).

    A ``Condition`` that is not IAM's ``{operator: {key: value}}`` (``"Condition": "x"`` in a
    hand-edited snapshot) is not understood, so it names no source network: IAM itself would
    refuse such a policy, and the plan then proposes the guardrail as for no condition at all."""
    found = []
    for document in documents:
        for statement in as_list(document.get("Statement", [])):
            if not isinstance(statement, dict) or not isinstance(statement.get("Condition"), dict):
                continue
            for operator, block in statement["Condition"].items():
                if not isinstance(block, dict):
                    continue
                for key, value in block.items():
                    if str(key).lower() in ("aws:sourceip", "aws:sourcevpce", "aws:sourcevpc"):
                        found.append(f"{operator} {key} {', '.join(map(str, as_list(value)))}")
    return sorted(set(found))


def without_unknown_actions(document: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The document minus actions AWS's catalogue does not know (typos IAM would accept and ignore).

    Carried-over policies must not carry a typo onto the new path; wildcards are kept.
    """
    dropped: list[str] = []
    statements = []
    for statement in as_list(document.get("Statement", [])):
        if isinstance(statement, dict) and "Action" in statement:
            actions = as_list(statement["Action"])
            known = [a for a in actions if "*" in str(a) or catalogue.lookup(str(a)) is not None]
            dropped += [str(a) for a in actions if a not in known]
            if not known:
                continue
            statement = {**statement, "Action": known if isinstance(statement["Action"], list) else known[0]}
        statements.append(statement)
    return {**document, "Statement": statements}, sorted(set(dropped))
