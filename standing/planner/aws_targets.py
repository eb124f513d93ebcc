"""AWS targets: the role (or permission set) that replaces a standing key or grant."""

from __future__ import annotations

import dataclasses
import hashlib
import shlex
from dataclasses import dataclass

from standing.core.model import IdentityKind, TrustKind, WorkloadKind
from standing.planner import aws_documents as docs
from standing.planner.ci import PLATFORMS, CiSystem, CiToken, ci_token, pinned_subjects
from standing.planner.context import PlanContext
from standing.planner.iac import identity_label, render
from standing.planner.model import (
    AgenticControls,
    AgenticMode,
    AwsPolicyDocument,
    PolicyKind,
    TerraformProvider,
)
from standing.planner.model import (
    TargetPattern as P,
)
from standing.planner.narrowing import session_actions
from standing.planner.patterns import Choice
from standing.planner.targets import Target, placeholder, tag

AWS = [TerraformProvider.AWS]
_RUN_ARN = {
    WorkloadKind.TRAINING: "training-job",
    WorkloadKind.NOTEBOOK: "notebook-instance",
    WorkloadKind.INFERENCE: "endpoint",
}


def _role_name(ctx: PlanContext, suffix: str = "jit") -> str:
    return f"{ctx.identity.name[: 60 - len(suffix)]}-{suffix}"


def _old(ctx: PlanContext) -> tuple[str, str, str]:
    """How to deactivate, reactivate and delete what the identity holds today."""
    identity = ctx.identity
    if ctx.secrets and identity.kind is IdentityKind.USER:
        keys = " ".join(c.id for c in ctx.secrets)
        user_name = shlex.quote(identity.name)  # a name is the cloud's text: pasted into a shell, it stays one word
        cmd = f"aws iam update-access-key --user-name {user_name} --access-key-id KEY"
        return (
            f"Deactivate access key(s) {keys}: `{cmd} --status Inactive` for each.",
            f"Reactivate them: `{cmd} --status Active`.",
            f"Delete the key(s) (`aws iam delete-access-key --user-name {user_name} --access-key-id KEY`),"
            " then the user once nothing else uses it (`aws iam delete-user`, after detaching its policies).",
        )
    return (
        f"Save the trust policy of {identity.name} (`aws iam get-role`), then replace it with one that "
        "allows nobody, so no new session can start.",
        "Put the saved trust policy back (`aws iam update-assume-role-policy`).",
        f"Delete the old role {identity.name} (detach its policies, then `aws iam delete-role`).",
    )


def _permissions(ctx: PlanContext) -> tuple[list[str], list[AwsPolicyDocument]]:
    """Managed policy ARNs to attach and inline documents to create on the new path."""
    narrowed, _ = ctx.narrowed_aws
    if narrowed is not None:
        return [], [narrowed]
    carried = []
    for name, doc in ctx.inline_policies:
        cleaned, _ = docs.without_unknown_actions(doc)
        if cleaned["Statement"]:
            carried.append(AwsPolicyDocument(kind=PolicyKind.CARRIED, name=name, document=cleaned))
    return list(ctx.managed_policy_ids), carried


_SWITCH = {
    CiSystem.GITHUB: "In the workflow, grant `id-token: write` and use aws-actions/configure-aws-credentials "
    "with role-to-assume = the new role; remove the stored key from the CI secrets.",
    CiSystem.GITLAB: "In .gitlab-ci.yml, request an id_token with aud https://gitlab.com and call "
    "`aws sts assume-role-with-web-identity`; remove the stored key from CI variables.",
    CiSystem.CIRCLECI: "In .circleci/config.yml, give the aws-cli orb's setup the new role_arn (it exchanges "
    "$CIRCLE_OIDC_TOKEN_V2); remove the stored key from the project's environment variables.",
    CiSystem.JENKINS: "Install the OpenID Connect Provider plugin, add an OpenID Connect id token credential with "
    "audience sts.amazonaws.com, and in the job bind it (withCredentials) and call "
    "`aws sts assume-role-with-web-identity` (or set AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN); remove "
    "the stored key from the Jenkins credentials.",
    CiSystem.BITBUCKET: "Set `oidc: true` on the step and call `aws sts assume-role-with-web-identity` with "
    "$BITBUCKET_STEP_OIDC_TOKEN; remove the stored key from the repository variables.",
    CiSystem.AZURE_DEVOPS: "Request the pipeline's OIDC token (POST $(System.OidcRequestUri) with $(System.AccessToken)) "
    "and call `aws sts assume-role-with-web-identity`; remove the stored key from the variable group.",
}


def _ci_token(ctx: PlanContext, ci: CiSystem, holes: list[str], deploy: bool) -> CiToken:
    """The platform's token for this job, keeping a subject the identity's trust already pins
    (then the placeholders that subject would have needed are not asked for)."""
    mine: list[str] = []
    token = ci_token(ctx, ci, mine, deploy=deploy)
    pinned = pinned_subjects(ctx, token.host)
    if pinned:
        environment = [s for s in pinned if ":environment:" in s]
        branch = [s for s in pinned if ":environment:" not in s]
        chosen = (environment or pinned) if deploy else (branch or pinned)
        token = dataclasses.replace(token, subject=chosen[0])
        mine = [h for h in mine if h.split(":", 1)[0] in token.host or h.split(":", 1)[0] in token.audience]
    holes.extend(h for h in mine if h not in holes)
    return token


def _split(ctx: PlanContext, managed: list[str], inline: list[AwsPolicyDocument]) -> tuple[list[str], list[str]]:
    """(managed ARNs that make it admin, names of inline policies that do), from ``ctx.admin_parts``."""
    inline_admin = {p.split("#inline/", 1)[1] for p in ctx.admin_parts if "#inline/" in p}
    found = [m for m in managed if m in ctx.admin_parts], [p.name for p in inline if p.name in inline_admin]
    if not any(found):  # admin through something no single policy explains: nothing stays unattended
        return list(managed), [p.name for p in inline]
    return found


@dataclass
class _CiRoles:
    """The CI template's values (the everyday role and, for an admin, the deploy role) and what the plan says."""

    description: str
    switch: str
    policies: list[AwsPolicyDocument]
    values: dict[str, object]


def _ci_values(
    ctx: PlanContext, token: CiToken, trust: AwsPolicyDocument, managed: list[str], inline: list[AwsPolicyDocument]
) -> dict[str, object]:
    return {
        "trust": trust,
        "provider_present": token.host in ctx.federation_hosts,
        "issuer_url": token.issuer_url,
        "audience": token.audience,
        "managed": managed,
        "inline": inline,
        "everyday": True,
        "deploy": None,
    }


def _ci_roles(
    ctx: PlanContext,
    choice: Choice,
    gated: bool,
    names: tuple[str, str],
    permissions: tuple[list[str], list[AwsPolicyDocument]],
    holes: list[str],
) -> _CiRoles:
    """``names``: (resource label, role name); ``permissions``: (managed ARNs, inline documents) carried over."""
    label_, role_name = names
    managed, inline = permissions
    ci = choice.ci or CiSystem.GITHUB
    platform = PLATFORMS[ci]
    if not choice.ci_known:
        holes.append(
            "REPLACE-WITH-CI-PLATFORM: no tag, name or trust says which CI system runs this identity; the plan "
            "uses GitHub Actions' issuer and subject: use your platform's (GitLab, CircleCI, Jenkins, Bitbucket, "
            "Azure Pipelines)"
        )
    account = ctx.identity.account
    switch = _SWITCH[ci]
    if not choice.split_admin:
        everyday = _ci_token(ctx, ci, holes, deploy=gated)
        trust = docs.oidc_trust(account, ci, everyday.host, everyday.audience, everyday.subject)
        if gated:
            switch += f" Protect the job that uses it with {platform.approval}: that is the approval."
        return _CiRoles(
            f"IAM role {role_name} trusted only by {platform.title} OIDC tokens with subject {everyday.subject}",
            switch,
            [trust, *inline],
            _ci_values(ctx, everyday, trust, managed, inline),
        )
    admin_managed, admin_inline = _split(ctx, managed, inline)
    keep_managed = [m for m in managed if m not in admin_managed]
    keep_inline = [p for p in inline if p.name not in admin_inline]
    moved_inline = [p for p in inline if p.name in admin_inline]
    keeps = bool(keep_managed or keep_inline)
    deploy_token = _ci_token(ctx, ci, holes, deploy=True)
    deploy_trust = docs.oidc_trust(
        account, f"{ci}-deploy", deploy_token.host, deploy_token.audience, deploy_token.subject
    )
    deploy_name = _role_name(ctx, "deploy")
    # the everyday role exists only when the pipeline keeps something beyond what made it admin
    everyday = _ci_token(ctx, ci, holes, deploy=False) if keeps else deploy_token
    trust = docs.oidc_trust(account, ci, everyday.host, everyday.audience, everyday.subject)
    description = f"IAM role {role_name} trusted only by {platform.title} OIDC tokens with subject {everyday.subject}"
    values = _ci_values(ctx, everyday, trust, managed, inline)
    values.update(
        managed=keep_managed,
        inline=keep_inline,
        everyday=keeps,
        deploy={
            "label": f"{label_}_deploy",
            "role_name": deploy_name,
            "trust": deploy_trust,
            "managed": admin_managed,
            "inline": moved_inline,
        },
    )
    moved = ", ".join([*(m.rsplit("/", 1)[-1] for m in admin_managed), *admin_inline]) or "its admin policies"
    description = (
        (description + "; " if keeps else "")
        + f"IAM role {deploy_name} holding what made it admin ({moved}), trusted only by the deploy job's "
        f"token (subject {deploy_token.subject}), approved through {platform.approval}"
    )
    switch += (
        f" Split the pipeline: only the deploy job runs behind {platform.approval} and assumes {deploy_name}"
        + (f"; every other job assumes {role_name}, unattended." if keeps else ".")
        + " No job waits on a per-run approval broker."
    )
    policies = [trust, *keep_inline] if keeps else []
    return _CiRoles(description, switch, [*policies, deploy_trust, *moved_inline], values)


def aws_target(ctx: PlanContext, choice: Choice, gated: bool) -> Target:
    identity, account = ctx.identity, ctx.identity.account
    holes: list[str] = []
    deactivate, reactivate, delete = _old(ctx)
    managed, inline = _permissions(ctx)
    common = {
        "label": identity_label(identity),
        "role_name": _role_name(ctx),
        "replaces": identity.id,
        "managed": managed,
        "inline": inline,
        "comment": f"standing plan for {identity.id}: {choice.pattern.value}",
    }
    pattern = choice.pattern

    def role(
        template: str,
        trust: AwsPolicyDocument,
        ttl: int,
        description: str,
        switch: str,
        effort: int,
        extra: list[AwsPolicyDocument] | None = None,
        **values: object,
    ) -> Target:
        snippet = render(template, AWS, f"{identity_label(identity)}.tf", trust=trust, ttl=ttl, **common, **values)
        return Target(
            description,
            ttl,
            effort,
            [snippet],
            switch,
            deactivate,
            reactivate,
            delete,
            policies=[trust, *(extra or []), *inline],
            placeholders=holes,
        )

    if pattern is P.AWS_CI_OIDC_ROLE:
        label_ = identity_label(identity)
        roles = _ci_roles(ctx, choice, gated, (label_, _role_name(ctx)), (managed, inline), holes)
        snippet = render(
            "aws-ci-oidc-role",
            AWS,
            f"{label_}.tf",
            ttl=3600,
            label=label_,
            role_name=_role_name(ctx),
            replaces=identity.id,
            comment=common["comment"],
            **roles.values,
        )
        split = roles.values["deploy"] is not None
        new_paths = [_role_name(ctx)] if roles.values["everyday"] else []
        return Target(
            roles.description,
            3600,
            3 if split else 2,
            [snippet],
            roles.switch,
            deactivate,
            reactivate,
            delete,
            policies=roles.policies,
            placeholders=holes,
            new_paths=new_paths + ([_role_name(ctx, "deploy")] if split else []),
        )
    if pattern is P.AWS_EKS_POD_ROLE:
        sub = next(
            (s.value for t in ctx.trusts for s in t.condition.subjects if s.value.startswith("system:serviceaccount:")),
            "",
        )
        parts = sub.split(":")[2:] if sub else []
        namespace = (
            parts[0]
            if len(parts) == 2
            else tag(ctx, "namespace") or placeholder(holes, "NAMESPACE", "the pod's namespace")
        )
        sa = (
            parts[1]
            if len(parts) == 2
            else tag(ctx, "service-account")
            or placeholder(holes, "SERVICE-ACCOUNT", "the pod's Kubernetes service account")
        )
        cluster = tag(ctx, "eks-cluster", "cluster") or placeholder(holes, "CLUSTER", "the EKS cluster name")
        return role(
            "aws-eks-pod-role",
            docs.service_trust(account, "pods.eks"),
            3600,
            f"IAM role {common['role_name']} for pods of {namespace}/{sa} through EKS Pod Identity",
            "Install the EKS Pod Identity agent add-on, restart the pods; the SDK picks the role up. "
            "Remove the key from the pod's secrets.",
            3,
            cluster=cluster,
            namespace=namespace,
            service_account=sa,
        )
    if pattern is P.AWS_SERVICE_ROLE:
        service = choice.service or "lambda"
        what = {
            "lambda": "the function's execution role",
            "ecs-tasks": "the ECS task role",
            "ec2": "an instance profile",
        }[service]
        return role(
            "aws-service-role",
            docs.service_trust(account, service),
            3600,
            f"{what} {common['role_name']}",
            f"Set {what} to the new role and remove the key from the "
            "environment or config; the SDK's default chain picks up the role.",
            2,
            service=service,
        )
    if pattern is P.AWS_ROLES_ANYWHERE:
        holes.append(
            "var."
            + identity_label(identity)
            + "_ca_certificate_pem: the PEM of the CA that issues the host's certificate"
        )
        return role(
            "aws-roles-anywhere",
            docs.roles_anywhere_trust(account, identity.name),
            3600,
            f"IAM Roles Anywhere profile and role {common['role_name']} for a certificate with CN {identity.name}",
            "Issue the host a certificate with that CN from your CA, configure aws_signing_helper as the "
            "credential_process in its AWS config, and remove the key from the host.",
            4,
        )
    if pattern is P.AWS_IDENTITY_CENTER:
        merged = {
            "Version": docs.VERSION,
            "Statement": [s for p in inline for s in docs.as_list(p.document.get("Statement", []))],
        }
        policies = (
            [AwsPolicyDocument(kind=PolicyKind.CARRIED, name="permission-set-inline", document=merged)]
            if merged["Statement"]
            else []
        )
        snippet = render(
            "aws-identity-center",
            AWS,
            f"{identity_label(identity)}.tf",
            session_duration="PT1H",
            inline_policy=merged if merged["Statement"] else None,
            **{**common, "managed": [m for m in managed if ":aws:policy/" not in m]},
        )
        return Target(
            f"Identity Center permission set {common['role_name']} (1-hour sessions; elevation "
            "by approved, time-bound assignment)",
            3600,
            3,
            [snippet],
            "The person signs in through the AWS access portal (or `aws sso login`) and stops using the key.",
            deactivate,
            reactivate,
            delete,
            policies=policies,
            placeholders=holes,
        )
    if pattern is P.AWS_ADMIN_ON_REQUEST:
        session = docs.session_policy("on-request-session", session_actions(ctx))
        holes.append(f"{docs.BROKER_ROLE}: the role your approval workflow (e.g. AWS TEAM or a ticket bot) uses")
        return role(
            "aws-admin-on-request",
            docs.broker_trust(account),
            3600,
            f"IAM role {common['role_name']} assumed only through the approval broker, one hour at most, "
            "with a session policy",
            "Callers request access; after approval the broker assumes the role "
            "with the session policy and the requester as source identity.",
            3,
            extra=[session],
            session=session,
        )
    if pattern is P.AWS_PINNED_CROSS_ACCOUNT:
        accounts = sorted(
            {
                t.principal.split(":")[4]
                for t in ctx.trusts
                if t.kind in (TrustKind.ACCOUNT, TrustKind.PRINCIPAL) and t.principal.count(":") >= 5
            }
        )
        other = accounts[0] if accounts else "000000000000"
        if not accounts:
            holes.append("000000000000: the partner's account id (the current trust admits anyone)")
        principal_role = placeholder(holes, "PARTNER-ROLE", "the one role in the partner account that needs access")
        principal = f"arn:aws:iam::{other}:role/{principal_role}"
        external_id = "standing-" + hashlib.sha256(identity.id.encode()).hexdigest()[:16]
        return role(
            "aws-pinned-cross-account",
            docs.external_id_trust(principal, external_id),
            3600,
            f"IAM role {common['role_name']} trusted by one named partner role with an external id",
            f"Give the partner the new role ARN and the external id {external_id} (an identifier, "
            "not a secret); they switch their AssumeRole call.",
            2,
        )
    if pattern is P.AWS_AGENT_PER_CALL:
        tool_actions = [a for a in docs.allowed_actions(ctx.policy_documents) if not a.lower().startswith("iam:")]
        session = docs.session_policy("tool-call-session", tool_actions)
        holes.append(f"{docs.BROKER_ROLE}: the tool broker that evaluates each call and assumes the role")
        target = role(
            "aws-agent-per-call",
            docs.broker_trust(account),
            900,
            f"per-tool-call sessions of {common['role_name']} (15 minutes, session policy per tool, "
            "session tags agent/tool/call-id)",
            "Route every tool call through the broker; the agent runtime's own role keeps only bedrock:InvokeModel.",
            4,
            extra=[session],
            session=session,
        )
        target.agentic = AgenticControls(
            mode=AgenticMode.PER_CALL,
            fail_closed=True,
            mechanism=(
                "AssumeRole per tool call with a session policy naming only that tool's actions and resources, "
                "session tags (agent, tool, call id), DurationSeconds 900; the broker refuses the call if it "
                "cannot evaluate or build the policy"
            ),
        )
        return target
    if pattern is P.AWS_RUN_SCOPED_ROLE:
        kind = _RUN_ARN.get(ctx.workload, "training-job")
        trust = docs.service_trust(account, "sagemaker", source_arn=f"arn:aws:sagemaker:*:{account}:{kind}/*")
        ttl = 43200 if ctx.workload is WorkloadKind.TRAINING else 3600
        target = role(
            "aws-run-scoped-role",
            trust,
            ttl,
            f"SageMaker execution role {common['role_name']} usable only by {kind} runs of this account",
            f"Start each {kind} with the new role as its execution role; remove the stored key.",
            3,
        )
        target.agentic = AgenticControls(
            mode=AgenticMode.PER_RUN,
            fail_closed=True,
            mechanism=(
                f"the role is only assumable by SageMaker for {kind} resources of this account; credentials "
                "last at most the run and end with it"
            ),
        )
        return target
    raise ValueError(f"not an AWS migration pattern: {pattern}")


def aws_retire(ctx: PlanContext) -> Target:
    identity = ctx.identity
    deactivate, reactivate, delete = _old(ctx)
    quarantine = AwsPolicyDocument(
        kind=PolicyKind.GUARDRAIL,
        name="standing-quarantine",
        document={
            "Version": docs.VERSION,
            "Statement": [{"Sid": "Quarantine", "Effect": "Deny", "Action": "*", "Resource": "*"}],
        },
    )
    kind = "user" if identity.kind is IdentityKind.USER else "role"
    snippet = render(
        "retire-aws",
        AWS,
        f"{identity_label(identity)}.tf",
        label=identity_label(identity),
        kind=kind,
        resource_name=identity.name,
        quarantine=quarantine,
        comment=f"standing plan for {identity.id}: retire",
    )
    if ctx.secrets and not ctx.identity_unused:
        description = "nothing: the unused key(s) are deleted"
    else:
        description = f"nothing: the unused {kind} is deleted"
    return Target(
        description,
        None,
        1,
        [snippet],
        "Nothing to switch: nothing uses it.",
        deactivate,
        reactivate,
        delete,
        policies=[quarantine],
    )


def aws_compensate(ctx: PlanContext, rotation_days: int, in_place_sources: bool) -> Target:
    identity = ctx.identity
    holes: list[str] = []
    deactivate, reactivate, delete = _old(ctx)
    guardrail = None
    if not in_place_sources:
        holes.append("203.0.113.0/24: the consumer's published egress ranges (a documentation range stands in)")
        guardrail = docs.source_guardrail(["203.0.113.0/24"])
    snippet = render(
        "compensate-aws",
        AWS,
        f"{identity_label(identity)}.tf",
        label=identity_label(identity),
        user_name=identity.name,
        guardrail=guardrail,
        key_ids=[c.id for c in ctx.secrets],
        rotation_days=rotation_days,
        comment=f"standing plan for {identity.id}: compensate",
    )
    return Target(
        f"the static key stays, rotated every {rotation_days} days, usable only from known sources, "
        "with alerting on any new source",
        rotation_days * 86400,
        2,
        [snippet],
        "Store the rotated key in Secrets Manager; the consumer (or its admin console) gets the new key.",
        deactivate.replace("access key(s)", "the old access key(s)"),
        reactivate,
        "Delete the old key once the new one has carried the traffic through the watch window.",
        policies=[guardrail] if guardrail else [],
        placeholders=holes,
    )
