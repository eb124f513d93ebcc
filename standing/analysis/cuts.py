"""The smallest change that cuts a path to admin: one permission or one trust to remove.

A path is a chain of hops; removing any one hop breaks it. The cut is the first hop the
chain allows to be cut at its source: the hop that starts at the identity itself. A Deny
there changes only what that one identity can do, while a later hop (the admin role's trust,
a policy on a shared role) may be one other identities rightly rely on, so removing it has
more collateral. When the first hop cannot be written as a change (a hop nobody can express
as a Deny or a trust edit), the next one is taken.

How the cut is written:

- an AWS identity's hop (assume, pass, mint credentials, rewrite trust, its own policies,
  join a group, take over compute): a **Deny** statement naming the actions and resources of
  that hop, attached to the source as an inline policy. An explicit Deny wins over every
  Allow, so the hop goes whatever grants it today.
- a hop that exists because the target trusts the source (federation from another cloud, a
  GCP or Azure impersonation or ownership binding): a **trust edit**, removing the source from
  the target's trust policy, IAM policy or owners.
- a GCP hop from permissions held on a scope: a **GCP deny policy** denying those permissions
  to the source principal on the project (``google_iam_deny_policy``), the GCP form of a Deny.

Terraform for each is rendered by the planner (``planner/cut_iac.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from standing.analysis.compute import compute_uses, is_live
from standing.analysis.hops import ADMIN_SINK, Hop, HopKind
from standing.analysis.methods import all_methods
from standing.core.model import ComputeKind, Identity, IdentityKind, Provider, TrustKind

if TYPE_CHECKING:
    from standing.analysis.graph import PrivilegeGraph


class CutKind(StrEnum):
    DENY = "deny"  # an AWS Deny statement attached to the hop's source
    TRUST_EDIT = "trust-edit"  # remove the source from the target's trust, IAM policy or owners
    GCP_DENY = "gcp-deny"  # a GCP IAM deny policy on the source's project


# Actions that take over AWS compute already running as a role, per kind, when the hop names
# no method: every one is cut, since any of them is the same takeover.
COMPUTE_TAKEOVER_ACTIONS: dict[ComputeKind, tuple[str, ...]] = {
    ComputeKind.LAMBDA_FUNCTION: ("lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration"),
    ComputeKind.EC2_INSTANCE: ("ssm:SendCommand", "ssm:StartSession", "ec2-instance-connect:SendSSHPublicKey"),
    ComputeKind.ECS_SERVICE: ("ecs:RunTask", "ecs:UpdateService", "ecs:ExecuteCommand"),
    ComputeKind.CLOUDFORMATION_STACK: ("cloudformation:UpdateStack", "cloudformation:SetStackPolicy"),
    ComputeKind.GLUE_DEV_ENDPOINT: ("glue:UpdateDevEndpoint",),
    ComputeKind.SAGEMAKER_NOTEBOOK: ("sagemaker:CreatePresignedNotebookInstanceUrl",),
    ComputeKind.CODEBUILD_PROJECT: ("codebuild:StartBuild", "codebuild:StartBuildBatch"),
}
_KIND_ACTIONS: dict[HopKind, tuple[str, ...]] = {
    HopKind.ASSUME_ROLE: ("sts:AssumeRole",),
    HopKind.PASS_ROLE: ("iam:PassRole",),
    HopKind.CREATE_CREDENTIALS: ("iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile"),
    HopKind.REWRITE_TRUST: ("iam:UpdateAssumeRolePolicy",),
    HopKind.JOIN_GROUP: ("iam:AddUserToGroup",),
}
_SELF_ACTIONS = {
    IdentityKind.USER: ("iam:AttachUserPolicy", "iam:PutUserPolicy"),
    IdentityKind.ROLE: ("iam:AttachRolePolicy", "iam:PutRolePolicy"),
}
_TRUST_HOPS = frozenset({HopKind.FEDERATE, HopKind.IMPERSONATE, HopKind.OWNER})
_WHY_FIRST = (
    "the first hop: it starts at the identity itself, so a change there alters only what this identity "
    "can do; later hops may be ones other identities rightly use"
)


@dataclass(frozen=True)
class Cut:
    """One change that breaks a path. ``statements``: the Deny statements (AWS) or deny rules (GCP)."""

    hop: Hop
    kind: CutKind
    source: Identity
    target_name: str
    statements: list[dict[str, Any]] = field(default_factory=list)
    trust_target: str | None = None  # the identity whose trust to edit (TRUST_EDIT)
    why: str = _WHY_FIRST

    @property
    def summary(self) -> str:
        """One line for a person: what to remove, where."""
        if self.kind is CutKind.TRUST_EDIT:
            return f"remove {self.source.name} from the trust of {self.target_name} ({self.hop.kind.value})"
        actions = sorted({a for s in self.statements for a in _actions_of(s)})
        where = "a GCP deny policy for" if self.kind is CutKind.GCP_DENY else "a Deny policy on"
        return (
            f"{where} {self.source.name}: {', '.join(actions)} (cuts its {self.hop.kind.value} to {self.target_name})"
        )

    def deny_document(self) -> dict[str, Any] | None:
        """The AWS policy document to attach to the source, for a DENY cut."""
        if self.kind is not CutKind.DENY:
            return None
        return {"Version": "2012-10-17", "Statement": self.statements}

    def as_evidence(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "summary": self.summary,
            "hop": self.hop.as_evidence(),
            "why_this_hop": self.why,
            **({"policy": self.deny_document()} if self.kind is CutKind.DENY else {}),
            **({"deny_rules": self.statements} if self.kind is CutKind.GCP_DENY else {}),
            **({"trust_of": self.trust_target} if self.trust_target else {}),
        }


def _actions_of(statement: dict[str, Any]) -> list[str]:
    value = statement.get("Action", statement.get("denied_permissions", []))
    return [value] if isinstance(value, str) else list(value)


def _deny(sid: str, actions: tuple[str, ...] | list[str], resources: list[str]) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Deny",
        "Action": sorted(set(actions)),
        "Resource": resources[0] if len(resources) == 1 else sorted(resources),
    }


def _method_actions(hop: Hop, provider: Provider) -> tuple[str, ...]:
    known = all_methods().get(hop.method) if hop.method else None
    return known.actions if known is not None and known.provider is provider else ()


def _aws_statements(graph: PrivilegeGraph, hop: Hop, source: Identity) -> list[dict[str, Any]]:
    target = hop.target
    if hop.kind is HopKind.SELF_POLICY:
        own = [source.id, *graph.groups_of(source.id)]
        return [
            _deny("StandingCutOwnPolicies", _SELF_ACTIONS.get(source.kind, ()), [source.id])
            if source.kind in _SELF_ACTIONS
            else {},
            _deny("StandingCutGroupPolicies", ("iam:AttachGroupPolicy", "iam:PutGroupPolicy"), own[1:] or ["*"]),
            _deny("StandingCutPolicyVersions", ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"), ["*"]),
        ]
    if hop.kind is HopKind.JOIN_GROUP:
        return [_deny("StandingCutJoinGroup", ("iam:AddUserToGroup",), ["*"])]
    if hop.kind is HopKind.EMPOWER_OTHER and hop.via:
        # Becoming the raised identity always acts on it (assume it, mint it a key, rewrite its
        # trust); raising it may act on a policy shared with others, so that is left alone.
        become = _method_actions(hop, Provider.AWS)[1:] or ("sts:AssumeRole",)
        return [_deny("StandingCutEmpowerOther", become, [hop.via])]
    if hop.kind is HopKind.EXISTING_COMPUTE:
        method_actions = _method_actions(hop, Provider.AWS)
        if "iam:PassRole" in method_actions:
            # A takeover that must pass the role (ECS task roles) is cut where its resource is
            # certain: passing that one role. Its other actions act on task definitions or
            # services, not on the compute's own ARN, so a Deny there would not close the hop.
            return [_deny("StandingCutPassRole", ("iam:PassRole",), [target])]
        workloads = [w for w in compute_uses(graph).running_as(target) if w.provider is Provider.AWS and is_live(w)]
        actions = method_actions or tuple(a for w in workloads for a in COMPUTE_TAKEOVER_ACTIONS.get(w.kind, ()))
        resources = [w.id for w in workloads] or ["*"]
        return [_deny("StandingCutComputeTakeover", actions, resources)] if actions else []
    actions = _method_actions(hop, Provider.AWS) or _KIND_ACTIONS.get(hop.kind, ())
    resources = [target] if target != ADMIN_SINK else ["*"]
    return [_deny("StandingCut" + hop.kind.value.title().replace("-", ""), actions, resources)] if actions else []


def gcp_permission(permission: str) -> str:
    """``iam.serviceAccounts.getAccessToken`` as a deny policy names it: ``iam.googleapis.com/serviceAccounts.getAccessToken``."""
    service, _, rest = permission.partition(".")
    return f"{service}.googleapis.com/{rest}"


def _trust_named(graph: PrivilegeGraph, hop: Hop) -> bool:
    return (
        any(t.principal == hop.source or t.kind is TrustKind.OIDC for t in graph.trusts_into(hop.target))
        or hop.kind is HopKind.FEDERATE
    )


def _cut_at(graph: PrivilegeGraph, hop: Hop, why: str) -> Cut | None:
    source = graph.identity(hop.source)
    if source is None:
        return None
    target = graph.identity(hop.target)
    target_name = "administrator" if hop.target == ADMIN_SINK else (target.name if target else hop.target)
    if hop.kind in _TRUST_HOPS and target is not None and _trust_named(graph, hop):
        return Cut(hop, CutKind.TRUST_EDIT, source, target_name, trust_target=target.id, why=why)
    if source.provider is Provider.AWS and source.kind in (IdentityKind.USER, IdentityKind.ROLE):
        statements = [s for s in _aws_statements(graph, hop, source) if s]
        return Cut(hop, CutKind.DENY, source, target_name, statements, why=why) if statements else None
    if source.provider is Provider.GCP:
        permissions = _method_actions(hop, Provider.GCP)
        if permissions:
            rule = {
                "denied_principals": [f"principal://iam.googleapis.com/projects/-/serviceAccounts/{source.id}"],
                "denied_permissions": sorted({gcp_permission(p) for p in permissions}),
                "project": source.account,
            }
            return Cut(hop, CutKind.GCP_DENY, source, target_name, [rule], why=why)
    return None


def cut_path(graph: PrivilegeGraph, path: list[Hop]) -> Cut | None:
    """The cut for one path (see the module docstring for the choice); None when no hop can be written."""
    for index, hop in enumerate(path):
        why = (
            _WHY_FIRST
            if index == 0
            else f"hop {index + 1}: the hops before it cannot be written as a Deny or a trust edit"
        )
        found = _cut_at(graph, hop, why)
        if found is not None:
            return found
    return None
