"""CI platforms as a cloud sees them: who issues the job's OIDC token, what its subject says,
and where the platform itself approves a deploy.

A CI identity must never be planned onto a per-run human approval broker: a pipeline runs
unattended, and a broker in front of every run stops it. Instead each job federates with its
platform's OIDC token, and the only approval is the platform's own protected environment, on
the deploy job alone. This module is that knowledge, one ``CiPlatform`` per platform, and the
token (issuer, audience, subject) an everyday job and a deploy job present. Values the
inventory cannot know (a repository, a Jenkins URL, a workspace UUID) are read from tags, else
left as listed ``REPLACE-WITH-...`` placeholders.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from standing.core.model import TrustKind
from standing.planner.context import PlanContext
from standing.planner.targets import placeholder, tag

GITHUB_HOST = "token.actions.githubusercontent.com"


class CiSystem(StrEnum):
    """The CI platforms whose OIDC tokens a plan can trust. Values name trusts and pool providers."""

    GITHUB = "github"
    GITLAB = "gitlab"
    CIRCLECI = "circleci"
    JENKINS = "jenkins"
    BITBUCKET = "bitbucket"
    AZURE_DEVOPS = "azure-devops"


@dataclass(frozen=True)
class CiPlatform:
    key: CiSystem
    title: str
    approval: str  # where the platform approves the deploy job, before its token is issued
    # Whether a deploy job's token subject differs from every other job's: if not, the cloud
    # cannot tell the deploy job apart and the platform's protection of the ref carries the weight.
    deploy_subject_distinct: bool


PLATFORMS: dict[CiSystem, CiPlatform] = {
    p.key: p
    for p in (
        CiPlatform(
            CiSystem.GITHUB,
            "GitHub Actions",
            "a GitHub environment `production` with required reviewers (and deployment branches limited to main)",
            True,
        ),
        CiPlatform(
            CiSystem.GITLAB,
            "GitLab CI/CD",
            "a GitLab protected environment `production` with deployment approvals, deployable only from "
            "the protected branch main",
            False,
        ),
        CiPlatform(
            CiSystem.CIRCLECI,
            "CircleCI",
            "a `type: approval` job before the deploy job, and a restricted context that only the deploy "
            "job uses (its security group approves)",
            False,
        ),
        CiPlatform(
            CiSystem.JENKINS,
            "Jenkins (OpenID Connect Provider plugin)",
            "a separate deploy job whose pipeline waits on an `input` step with a `submitter` group; the "
            "id token's subject is the job's URL, so only that job can use the deploy role",
            True,
        ),
        CiPlatform(
            CiSystem.BITBUCKET,
            "Bitbucket Pipelines",
            "a deployment environment `Production` with deployment permissions (admins or named users "
            "only) on the deploy step",
            True,
        ),
        CiPlatform(
            CiSystem.AZURE_DEVOPS,
            "Azure Pipelines",
            "an Azure Pipelines environment (or the deploy service connection) with an Approvals check "
            "on the deploy stage",
            True,
        ),
    )
}

# Issuer URL fragments that name a platform; Jenkins is self-hosted, so its issuer is any
# URL ending in the plugin's ``/oidc`` on a host that says jenkins.
ISSUER_HOSTS = {
    GITHUB_HOST: CiSystem.GITHUB,
    "gitlab.com": CiSystem.GITLAB,
    "oidc.circleci.com": CiSystem.CIRCLECI,
    "api.bitbucket.org": CiSystem.BITBUCKET,
    "vstoken.dev.azure.com": CiSystem.AZURE_DEVOPS,
}
WORDS = {
    "github": CiSystem.GITHUB,
    "gha": CiSystem.GITHUB,
    "gitlab": CiSystem.GITLAB,
    "circleci": CiSystem.CIRCLECI,
    "jenkins": CiSystem.JENKINS,
    "bitbucket": CiSystem.BITBUCKET,
    "azuredevops": CiSystem.AZURE_DEVOPS,
    "azdo": CiSystem.AZURE_DEVOPS,
    "vsts": CiSystem.AZURE_DEVOPS,
}


def platform_of_issuer(issuer: str) -> CiSystem | None:
    text = issuer.removeprefix("https://")
    for host, key in ISSUER_HOSTS.items():
        if text.startswith(host):
            return key
    if "jenkins" in text and text.rstrip("/").endswith("/oidc"):
        return CiSystem.JENKINS
    return None


def platform_of_words(words: frozenset[str]) -> CiSystem | None:
    for word, key in WORDS.items():
        if word in words:
            return key
    if {"azure", "devops"} <= words:
        return CiSystem.AZURE_DEVOPS
    return None


@dataclass(frozen=True)
class CiToken:
    """What one job's OIDC token says, as a cloud must check it."""

    issuer_url: str  # https://...
    audience: str  # the audience to require in AWS (the job requests it)
    subject: str  # exact, or with a trailing ``*`` where a part changes every run (a step id)
    claim: str  # the GCP attribute expression naming the repository or project
    value: str  # what that claim must equal

    @property
    def host(self) -> str:
        """The issuer as IAM names an OIDC provider (no scheme)."""
        return self.issuer_url.removeprefix("https://").rstrip("/")


def _repository(ctx: PlanContext, holes: list[str]) -> str:
    """From a tag; else the organisation a wildcard GitHub subject (``repo:acme/*``) or a tag names."""
    found = tag(ctx, "repository", "repo", "github-repository", "gitlab-project")
    if found:
        return found
    subjects = [s.value for t in ctx.trusts if t.kind is TrustKind.OIDC for s in t.condition.subjects]
    exact = next((m.group(1) for s in subjects if (m := re.match(r"repo:([^/*:]+/[^/*:]+):", s))), None)
    if exact:
        return exact
    org = next((m.group(1) for s in subjects if (m := re.match(r"repo:([^/*:]+)/", s))), None)
    org = org or tag(ctx, "org", "github-org")
    if org:
        return f"{org}/" + _hole(holes, "REPOSITORY", "the repository whose jobs use this identity")
    return _hole(holes, "ORG/REPOSITORY", "the repository whose jobs use this identity")


def pinned_subjects(ctx: PlanContext, issuer_host: str) -> list[str]:
    """Exact subjects the identity's trusts in this issuer already pin: kept, never widened."""
    return [
        s.value
        for t in ctx.trusts
        if t.kind is TrustKind.OIDC and (t.issuer or "").removeprefix("https://").rstrip("/") == issuer_host
        for s in t.condition.subjects
        if "*" not in s.value
    ]


def _hole(holes: list[str], what: str, why: str) -> str:
    """A placeholder, listed once even when several parts of a plan use it."""
    value = "REPLACE-WITH-" + what
    if any(h.startswith(value + ":") for h in holes):
        return value
    return placeholder(holes, what, why)


def ci_token(ctx: PlanContext, ci: CiSystem, holes: list[str], *, deploy: bool, aws_audience: bool = True) -> CiToken:
    """The token of an everyday job (``deploy=False``) or of the deploy job alone (``deploy=True``).

    ``aws_audience``: GitHub's audience for AWS is ``sts.amazonaws.com``; GCP and Azure set their own.
    """
    if ci is CiSystem.GITLAB:
        project = _repository(ctx, holes)
        return CiToken(
            "https://gitlab.com",
            "https://gitlab.com",
            f"project_path:{project}:ref_type:branch:ref:main",
            "assertion.project_path",
            project,
        )
    if ci is CiSystem.CIRCLECI:
        org = tag(ctx, "circleci-org-id") or _hole(holes, "ORG-ID", "the CircleCI organisation id")
        project = tag(ctx, "circleci-project-id") or _hole(holes, "PROJECT-ID", "the CircleCI project id")
        return CiToken(
            f"https://oidc.circleci.com/org/{org}",
            org,
            f"org/{org}/project/{project}/user/*",
            "assertion['oidc.circleci.com/project-id']",
            project,
        )
    if ci is CiSystem.JENKINS:
        base = (tag(ctx, "jenkins-url") or "https://" + _hole(holes, "JENKINS-HOST", "your Jenkins host")).rstrip("/")
        if not base.startswith("https://"):
            base = "https://" + base.removeprefix("http://")
        job = tag(ctx, "jenkins-job", "job") or _hole(holes, "JOB", "the Jenkins job that uses this identity")
        if deploy:
            job = tag(ctx, "jenkins-deploy-job") or f"{job}-deploy"
        return CiToken(f"{base}/oidc", "sts.amazonaws.com", f"{base}/job/{job}/", "assertion.sub", f"{base}/job/{job}/")
    if ci is CiSystem.BITBUCKET:
        workspace = tag(ctx, "bitbucket-workspace", "workspace") or _hole(holes, "WORKSPACE", "the Bitbucket workspace")
        workspace_uuid = tag(ctx, "bitbucket-workspace-uuid") or _hole(
            holes, "WORKSPACE-UUID", "the workspace UUID (Repository settings > OpenID Connect)"
        )
        repo = tag(ctx, "bitbucket-repository-uuid") or _hole(
            holes, "REPOSITORY-UUID", "the repository UUID, in braces"
        )
        environment = ""
        if deploy:
            environment = tag(ctx, "bitbucket-environment-uuid") or _hole(
                holes, "ENVIRONMENT-UUID", "the Production deployment environment's UUID, in braces"
            )
        return CiToken(
            f"https://api.bitbucket.org/2.0/workspaces/{workspace}/pipelines-config/identity/oidc",
            f"ari:cloud:bitbucket::workspace/{workspace_uuid}",
            f"{repo}{environment}:*",  # the step's UUID follows and changes every run
            "assertion.repositoryUuid",
            repo,
        )
    if ci is CiSystem.AZURE_DEVOPS:
        org_id = tag(ctx, "azure-devops-org-id") or _hole(holes, "ADO-ORG-ID", "the Azure DevOps organization id")
        org = tag(ctx, "azure-devops-org") or _hole(holes, "ADO-ORG", "the Azure DevOps organization name")
        project = tag(ctx, "azure-devops-project") or _hole(holes, "ADO-PROJECT", "the Azure DevOps project")
        pipeline = tag(ctx, "azure-devops-pipeline", "pipeline") or _hole(
            holes, "ADO-PIPELINE", "the pipeline that uses this identity"
        )
        if deploy:
            pipeline = tag(ctx, "azure-devops-deploy-pipeline") or f"{pipeline}-deploy"
        return CiToken(
            f"https://vstoken.dev.azure.com/{org_id}",
            "api://AzureADTokenExchange",
            f"p://{org}/{project}/{pipeline}",
            "assertion.sub",
            f"p://{org}/{project}/{pipeline}",
        )
    repository = _repository(ctx, holes)
    subject = f"repo:{repository}:environment:production" if deploy else f"repo:{repository}:ref:refs/heads/main"
    return CiToken(
        f"https://{GITHUB_HOST}",
        "sts.amazonaws.com" if aws_audience else f"https://github.com/{repository.split('/', 1)[0]}",
        subject,
        "assertion.repository",
        repository,
    )


def azure_subject(ctx: PlanContext, ci: CiSystem, token: CiToken, holes: list[str], *, deploy: bool) -> str:
    """An Entra federated credential matches the subject exactly: no wildcard, and Azure DevOps names
    its service connection (``sc://``) rather than the pipeline."""
    if ci is CiSystem.AZURE_DEVOPS:
        org, project = token.subject.removeprefix("p://").split("/")[:2]
        connection = tag(ctx, "azure-devops-service-connection") or _hole(
            holes, "ADO-SERVICE-CONNECTION", "the Azure service connection the pipeline uses"
        )
        return f"sc://{org}/{project}/{connection}" + ("-deploy" if deploy else "")
    if ci is CiSystem.CIRCLECI:
        user = _hole(holes, "USER-ID", "the CircleCI user whose jobs run (subjects match exactly)")
        return token.subject.replace("user/*", f"user/{user}")
    if ci is CiSystem.BITBUCKET:
        step = _hole(holes, "STEP-UUID", "the step UUID (Entra matches subjects exactly)")
        return token.subject.replace(":*", f":{step}")
    return token.subject
