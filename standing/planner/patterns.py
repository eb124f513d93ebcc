"""Which just-in-time shape an identity should move to, chosen from evidence.

The order of the questions matters and is the policy: nothing in use -> retire; access an
outside party holds (another account, domain or tenant), or a declared exception (third-party
SaaS, legacy, break-glass) -> compensating controls; an AI workload
-> per-call or per-run credentials; a person -> the human access path; then the consumer
(CI, Kubernetes, cloud compute, elsewhere), with admin reach gated behind approval: for a
pipeline, the CI platform's own approval of the deploy job, never a per-run broker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from standing.core.model import IdentityKind, TrustKind, WorkloadKind
from standing.core.traits import Trait
from standing.planner.ci import PLATFORMS, CiSystem, platform_of_issuer, platform_of_words
from standing.planner.context import PlanContext
from standing.planner.model import TargetPattern as P

if TYPE_CHECKING:
    from standing.planner.providers import PlannerProfile

_SERVICE_WORDS = {"lambda": "lambda", "ecs": "ecs-tasks", "fargate": "ecs-tasks", "ec2": "ec2", "batch": "ecs-tasks"}
_AWS_COMPUTE = ("lambda", "ecs-tasks", "ec2")
_K8S_WORDS = frozenset({"eks", "k8s", "kubernetes", "gke", "aks", "pod"})
_AI_RUNS = frozenset({WorkloadKind.NOTEBOOK, WorkloadKind.TRAINING, WorkloadKind.INFERENCE})


@dataclass(frozen=True)
class Choice:
    pattern: P
    reason: str
    ci: CiSystem | None = None  # for CI patterns
    kubernetes: bool = False  # Azure: a federated credential for a Kubernetes service account, not CI
    service: str | None = None  # lambda | ecs-tasks | ec2, for AWS service roles
    # A CI workload that reaches admin: its everyday role keeps what the pipeline needs, and what
    # made it admin moves to a separate role only the deploy job gets, approved by the platform.
    split_admin: bool = False
    ci_known: bool = True  # False: no tag, name or trust says which CI system; the plan says so


def ci_system(ctx: PlanContext) -> CiSystem | None:
    """The CI platform: from the issuer of a trust the identity has, else from its names and tags."""
    for issuer in sorted(ctx.issuers):
        found = platform_of_issuer(issuer)
        if found:
            return found
    return platform_of_words(ctx.words)


def _is_person(ctx: PlanContext) -> bool:
    identity = ctx.identity
    return (
        identity.human is True or identity.console_access or Trait.USED_BY_PEOPLE in ctx.traits or "people" in ctx.words
    )


def is_ci(ctx: PlanContext) -> bool:
    """A pipeline runs as it: a CI workload, a ``ci`` word, or a trust in a CI platform's tokens."""
    return ctx.workload is WorkloadKind.CI or "ci" in ctx.words or any(platform_of_issuer(i) for i in ctx.issuers)


def _privileged(ctx: PlanContext) -> bool:
    return ctx.admin or Trait.PRIVILEGED in ctx.traits


def _ci_split(ctx: PlanContext, pattern: P, federation: str) -> Choice:
    """A CI workload that reaches admin: never a per-run approval broker, which would stop the pipeline."""
    ci = ci_system(ctx)
    platform = PLATFORMS[ci or CiSystem.GITHUB]
    which = platform.title if ci else "its CI platform (not identified: GitHub Actions is assumed; see placeholders)"
    return Choice(
        pattern,
        f"a CI workload that reaches admin: jobs federate through {which}'s OIDC tokens ({federation}); what "
        "made it admin moves to a separate role only the deploy job can use, approved in the platform, "
        "never by a per-run approval broker that would stop the pipeline",
        ci=ci or CiSystem.GITHUB,
        split_admin=True,
        ci_known=ci is not None,
    )


def choose(ctx: PlanContext, provider: PlannerProfile) -> Choice:
    """The shared questions first; then the provider's own (``PlannerProfile.choose``)."""
    if ctx.unused_only:
        return Choice(
            P.RETIRE,
            "nothing it holds is in use: "
            + ("the identity itself is unused" if ctx.identity_unused else "every live secret is flagged unused"),
        )
    if Trait.THIRD_PARTY in ctx.traits:
        return Choice(
            P.COMPENSATE,
            "an outside party holds this access with its own credentials: nothing here can make it "
            "just-in-time, so it stays, behind compensating controls and a periodic access review",
        )
    if ctx.exception and ctx.secrets:
        return Choice(
            P.COMPENSATE,
            f"tagged as a {ctx.exception} exception: the consumer only accepts "
            "a static credential, so it stays, behind compensating controls",
        )
    if ctx.workload is WorkloadKind.AGENT:
        return Choice(provider.agent_pattern, "an agent: access is evaluated at each tool call, not once per job")
    return provider.choose(ctx)


def aws_choice(ctx: PlanContext) -> Choice:
    identity = ctx.identity
    if ctx.workload in _AI_RUNS:
        return Choice(
            P.AWS_RUN_SCOPED_ROLE, f"a {ctx.workload.value} workload: grants tied to each run and gone when it ends"
        )
    if _is_person(ctx):
        return Choice(
            P.AWS_IDENTITY_CENTER,
            "a person uses this identity (console access or a people "
            "path): people get Identity Center sessions with time-bound elevation",
        )
    oidc_trust = any(t.kind is TrustKind.OIDC for t in ctx.trusts)
    ci = ci_system(ctx)
    if is_ci(ctx) and _privileged(ctx):
        return _ci_split(ctx, P.AWS_CI_OIDC_ROLE, "AssumeRoleWithWebIdentity")
    if is_ci(ctx) and (ctx.secrets or oidc_trust) and ci:
        return Choice(
            P.AWS_CI_OIDC_ROLE,
            f"a {ci} CI consumer: its OIDC token, with an exact audience and subject, replaces the stored key",
            ci=ci,
        )
    if ctx.words & _K8S_WORDS or any(i.startswith("oidc.eks.") for i in ctx.issuers):
        return Choice(P.AWS_EKS_POD_ROLE, "runs in Kubernetes (EKS): the pod gets a role through EKS Pod Identity")
    if Trait.OPEN_TO_ACCOUNTS in ctx.traits and identity.kind is IdentityKind.ROLE:
        return Choice(
            P.AWS_PINNED_CROSS_ACCOUNT,
            "its trust admits a whole account or anyone: trust one named principal with an external id instead",
        )
    if ctx.admin or Trait.PRIVILEGED in ctx.traits:
        return Choice(
            P.AWS_ADMIN_ON_REQUEST,
            "reaches admin: the privilege moves to a role assumed only on an approved request, with a session policy",
        )
    service = next((s for s in _AWS_COMPUTE if s in ctx.services), None) or next(
        (svc for word, svc in _SERVICE_WORDS.items() if word in ctx.words), None
    )
    if service:
        return Choice(
            P.AWS_SERVICE_ROLE,
            f"runs on {service}: the service delivers short-lived role credentials to it",
            service=service,
        )
    return Choice(
        P.AWS_ROLES_ANYWHERE,
        "no sign it runs on AWS compute, CI or Kubernetes: it runs "
        "elsewhere, so it exchanges an X.509 certificate for short sessions (IAM Roles Anywhere)",
    )


def gcp_choice(ctx: PlanContext) -> Choice:
    if Trait.BROAD_IMPERSONATION in ctx.traits and Trait.PRIVILEGED_ROLE not in ctx.traits:
        return Choice(
            P.GCP_IMPERSONATION,
            "impersonates every account in a scope: it gets a time-bound "
            "token-creator grant on the one account it needs, for short-lived tokens",
        )
    if _privileged(ctx) and is_ci(ctx):
        return _ci_split(ctx, P.GCP_WORKLOAD_IDENTITY_FEDERATION, "workload identity federation")
    if Trait.PRIVILEGED in ctx.traits or ctx.admin:
        return Choice(
            P.GCP_PAM_ENTITLEMENT,
            "holds a privileged role: it becomes a Privileged Access "
            "Manager entitlement granted for a bounded time on approved request",
        )
    if _is_person(ctx):
        return Choice(
            P.GCP_IMPERSONATION,
            "used by people or impersonated broadly: one named principal impersonates it for short-lived tokens",
        )
    if ctx.words & _K8S_WORDS or ctx.workload in _AI_RUNS or ctx.workload is WorkloadKind.APP:
        return Choice(
            P.GCP_ATTACHED_SERVICE_ACCOUNT,
            "runs on Google compute: attach the account to the "
            "workload (GKE workload identity) instead of giving it a key",
        )
    ci = ci_system(ctx)
    return Choice(
        P.GCP_WORKLOAD_IDENTITY_FEDERATION,
        "runs outside Google" + (f" ({ci} CI)" if ci else "") + ": it exchanges its own OIDC token through a "
        "workload identity pool",
        ci=ci or CiSystem.GITHUB,
    )


def azure_choice(ctx: PlanContext) -> Choice:
    if _privileged(ctx) and is_ci(ctx) and not ctx.words & _K8S_WORDS:
        return _ci_split(ctx, P.AZURE_FEDERATED_CREDENTIAL, "a federated identity credential")
    if Trait.PRIVILEGED in ctx.traits or ctx.admin:
        return Choice(
            P.AZURE_PIM_ELIGIBLE,
            "holds a privileged role standing: it becomes a PIM-eligible "
            "assignment with a maximum activation time, justification and approval",
        )
    ci = ci_system(ctx)
    kubernetes = bool(ctx.words & _K8S_WORDS)
    if kubernetes or ci or is_ci(ctx):
        return Choice(
            P.AZURE_FEDERATED_CREDENTIAL,
            "runs in CI or Kubernetes: a federated identity "
            "credential trusts its OIDC token instead of a client secret",
            ci=None if kubernetes else ci or CiSystem.GITHUB,
            kubernetes=kubernetes,
        )
    return Choice(P.AZURE_MANAGED_IDENTITY, "runs on Azure: a managed identity has no secret to hold")
