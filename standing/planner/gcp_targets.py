"""GCP targets: federation, attached accounts, impersonation and PAM instead of keys and standing roles."""

from __future__ import annotations

import shlex
from datetime import timedelta

from standing.planner.ci import PLATFORMS, CiSystem, ci_token
from standing.planner.context import PlanContext
from standing.planner.iac import identity_label, render
from standing.planner.model import AgenticControls, AgenticMode, TerraformProvider
from standing.planner.model import TargetPattern as P
from standing.planner.narrowing import narrowed_gcp_grants
from standing.planner.patterns import Choice
from standing.planner.targets import Target, placeholder, tag

GOOGLE = [TerraformProvider.GOOGLE]


_GCP_SWITCH = {
    CiSystem.GITHUB: "Use google-github-actions/auth (or `gcloud iam workload-identity-pools create-cred-config`) "
    "with the pool provider; remove the key file from the CI secrets.",
    CiSystem.GITLAB: "Request an id_token in .gitlab-ci.yml and write a credential configuration "
    "(`gcloud iam workload-identity-pools create-cred-config`) that reads it; remove the key file from CI variables.",
    CiSystem.CIRCLECI: "Write a credential configuration that reads $CIRCLE_OIDC_TOKEN_V2; remove the key from the "
    "project's environment variables.",
    CiSystem.JENKINS: "Add an OpenID Connect id token credential (OpenID Connect Provider plugin) with the pool provider's "
    "audience and point a credential configuration at the file it is bound to; remove the key from Jenkins.",
    CiSystem.BITBUCKET: "Set `oidc: true` on the step and write $BITBUCKET_STEP_OIDC_TOKEN where the credential "
    "configuration reads it; remove the key from the repository variables.",
    CiSystem.AZURE_DEVOPS: "Request the pipeline's OIDC token ($(System.OidcRequestUri)) and point a credential "
    "configuration at it; remove the key from the variable group.",
}


def _project(ctx: PlanContext) -> str:
    return ctx.identity.account.removeprefix("projects/")


def key_creation_enforced(ctx: PlanContext) -> bool:
    scope = f"projects/{_project(ctx)}"
    return any(
        p.scope_id == scope and p.constraint == "iam.disableServiceAccountKeyCreation" and p.enforced
        for p in ctx.scope_policies
    )


def _old(ctx: PlanContext) -> tuple[str, str, str]:
    email = shlex.quote(ctx.identity.id)
    if ctx.secrets:
        keys = ", ".join(c.id.rsplit("/", 1)[-1] for c in ctx.secrets)
        return (
            f"Disable key(s) {keys}: `gcloud iam service-accounts keys disable KEY --iam-account {email}`.",
            f"Re-enable them: `gcloud iam service-accounts keys enable KEY --iam-account {email}`.",
            f"Delete the key(s): `gcloud iam service-accounts keys delete KEY --iam-account {email}`.",
        )
    return (
        "Remove the standing role binding(s) (`gcloud projects remove-iam-policy-binding`), keeping a copy.",
        "Add the saved binding(s) back (`gcloud projects add-iam-policy-binding`).",
        "Nothing more to delete: the binding is gone and the entitlement replaces it.",
    )


def gcp_target(ctx: PlanContext, choice: Choice) -> Target:
    identity, project, email = ctx.identity, _project(ctx), ctx.identity.id
    holes: list[str] = []
    deactivate, reactivate, delete = _old(ctx)
    name = identity_label(identity)
    common = {
        "label": name,
        "project": project,
        "email": email,
        "key_creation_enforced": key_creation_enforced(ctx),
        "comment": f"standing plan for {identity.id}: {choice.pattern.value}",
    }
    pattern = choice.pattern

    def target(template: str, ttl: int, description: str, switch: str, effort: int, **values: object) -> Target:
        snippet = render(template, GOOGLE, f"{name}.tf", ttl=ttl, **common, **values)
        return Target(description, ttl, effort, [snippet], switch, deactivate, reactivate, delete, placeholders=holes)

    if pattern is P.GCP_WORKLOAD_IDENTITY_FEDERATION:
        ci = choice.ci or CiSystem.GITHUB
        platform = PLATFORMS[ci]
        token = ci_token(ctx, ci, holes, deploy=False, aws_audience=False)
        values: dict[str, object] = {
            "ci": ci,
            "pool_id": "ci-pool",
            "issuer_url": token.issuer_url,
            "repository_claim": token.claim,
            "repository": token.value,
            "attribute_condition": f'{token.claim} == "{token.value}"',
            "everyday": True,
            "deploy": None,
        }
        description = (
            f"workload identity pool provider for {platform.title} limited to {token.value}, impersonating {email}"
        )
        switch = _GCP_SWITCH[ci]
        if choice.split_admin:
            if not choice.ci_known:
                holes.append(
                    "REPLACE-WITH-CI-PLATFORM: no tag, name or trust says which CI system runs this identity; the "
                    "plan uses GitHub Actions' issuer and claims: use your platform's"
                )
            deploy = ci_token(ctx, ci, holes, deploy=True, aws_audience=False)
            # what made it admin; if no single role explains it, nothing stays with the everyday identity
            moved = sorted({(scope, role) for scope, role in ctx.standing_grants if role in ctx.admin_parts}) or sorted(
                set(ctx.standing_grants)
            )
            kept = [g for g in ctx.standing_grants if g not in moved]
            account_id = email.split("@", 1)[0]
            deploy_id = f"{account_id[:23]}-deploy"
            deploy_email = f"{deploy_id}@{project}.iam.gserviceaccount.com"
            if deploy.value != token.value:
                values["attribute_condition"] = f'{token.claim} in ["{token.value}", "{deploy.value}"]'
            values["everyday"] = bool(kept)
            values["deploy"] = {
                "account_id": deploy_id,
                "email": deploy_email,
                "subject": deploy.subject,
                "grants": moved,
            }
            moved_roles = ", ".join(role for _, role in moved) or "its privileged roles"
            description = (
                (description + "; " if kept else "")
                + f"{deploy_email} holding what made it admin ({moved_roles}), impersonable only by the deploy job's token "
                f"(subject {deploy.subject}), approved through {platform.approval}"
            )
            switch += (
                f" Remove the privileged binding(s) ({moved_roles}) from {email}. Only the deploy job, behind "
                f"{platform.approval}, impersonates {deploy_email}; no job waits on a per-run approval."
            )
        return target("gcp-workload-identity-federation", 3600, description, switch, 3, **values)
    if pattern is P.GCP_ATTACHED_SERVICE_ACCOUNT:
        namespace = tag(ctx, "namespace") or placeholder(holes, "NAMESPACE", "the workload's Kubernetes namespace")
        ksa = tag(ctx, "service-account") or placeholder(holes, "KSA", "the workload's Kubernetes service account")
        return target(
            "gcp-attached-service-account",
            3600,
            f"{email} attached to the workload (GKE workload identity for {namespace}/{ksa})",
            "Annotate the Kubernetes service account with iam.gke.io/gcp-service-account, or attach the "
            "account to the VM / Cloud Run service; remove the key file.",
            2,
            namespace=namespace,
            ksa=ksa,
        )
    if pattern is P.GCP_IMPERSONATION:
        owner = identity.owner or tag(ctx, "owner")
        impersonator = (
            f"group:{owner}"
            if owner and "@" in owner
            else "group:" + placeholder(holes, "TEAM@example.com", "the one group allowed to impersonate the account")
        )
        expires = (ctx.as_of + timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return target(
            "gcp-impersonation",
            3600,
            f"short-lived tokens for {email} through impersonation by {impersonator}, grant expiring {expires}",
            "Callers use `--impersonate-service-account` / impersonated credentials instead of a key.",
            2,
            impersonator=impersonator,
            grant_expires=expires,
        )
    if pattern is P.GCP_PAM_ENTITLEMENT:
        # the Recommender's replacements where a usage record has them; a record that would remove
        # every role leaves them behind approval rather than an entitlement to nothing
        granted = narrowed_gcp_grants(ctx.standing_grants, ctx.narrowing) or list(ctx.standing_grants)
        roles = sorted({role for _, role in granted}) or ["roles/editor"]
        parents = sorted({scope for scope, _ in ctx.standing_grants if scope.startswith("projects/")})
        approvers = "group:" + placeholder(holes, "APPROVERS@example.com", "the group that approves grants")
        return target(
            "gcp-pam-entitlement",
            3600,
            f"Privileged Access Manager entitlement for {', '.join(roles)}, at most one hour per approved request",
            "The workload (or its operator) requests a grant before privileged work; the standing binding is removed.",
            3,
            roles=roles,
            parent=parents[0] if parents else f"projects/{project}",
            entitlement_id=f"{name.replace('_', '-')[:50]}-jit",
            approvers=approvers,
        )
    if pattern is P.GCP_AGENT_DOWNSCOPED:
        broker = f"agent-broker@{project}.iam.gserviceaccount.com"
        holes.append(f"{broker}: the account of the broker that serves the agent's tool calls")
        result = target(
            "gcp-agent-downscoped",
            900,
            f"per-call tokens for {email}, downscoped with a credential access boundary per tool call",
            "Route tool calls through the broker; the agent holds no key.",
            4,
            broker=broker,
        )
        result.agentic = AgenticControls(
            mode=AgenticMode.PER_CALL,
            fail_closed=True,
            mechanism=(
                "the broker mints a 15-minute token and downscopes it with a credential access boundary naming "
                "only the call's resources; no boundary, no token"
            ),
        )
        return result
    raise ValueError(f"not a GCP migration pattern: {pattern}")


def gcp_retire(ctx: PlanContext) -> Target:
    deactivate, reactivate, delete = _old(ctx)
    snippet = render(
        "retire-gcp",
        GOOGLE,
        f"{identity_label(ctx.identity)}.tf",
        label=identity_label(ctx.identity),
        project=_project(ctx),
        email=ctx.identity.id,
        account_id=ctx.identity.id.split("@", 1)[0],
        comment=f"standing plan for {ctx.identity.id}: retire",
    )
    return Target(
        "nothing: the unused account or keys are deleted",
        None,
        1,
        [snippet],
        "Nothing to switch: nothing uses it.",
        deactivate,
        reactivate,
        delete + " Then `gcloud iam service-accounts delete` if the account itself is unused.",
    )


def gcp_compensate(ctx: PlanContext, rotation_days: int) -> Target:
    deactivate, reactivate, delete = _old(ctx)
    snippet = render(
        "compensate-gcp",
        GOOGLE,
        f"{identity_label(ctx.identity)}.tf",
        label=identity_label(ctx.identity),
        project=_project(ctx),
        rotation_days=rotation_days,
        comment=f"standing plan for {ctx.identity.id}: compensate",
    )
    return Target(
        f"the key stays, expiring and rotated every {rotation_days} days",
        rotation_days * 86400,
        2,
        [snippet],
        "Store the new key in Secret Manager and hand it to the consumer.",
        deactivate,
        reactivate,
        delete,
    )
