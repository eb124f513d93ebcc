"""The consumer's side of the switch: the workflow, service account or app environment change
that goes in the same pull request as a plan's Terraform, so one review makes a pipeline keyless.

The cloud side (the role, pool provider or federated credential) is only half a migration; the
job or pod must also ask for the new token and stop reading the stored secret. Each change is a
YAML snippet built as data and written by PyYAML's emitter, never by string templates: a hostile
repository or role name is quoted by the emitter and cannot add keys or steps. GitHub evaluates
``${{ ... }}`` inside ``with:`` values and GitLab expands ``$`` in ``variables:``, so a value
carrying either is not written at all but becomes a fill-in. Values the inventory cannot know
(a region, a project number, a repository) are ``REPLACE-WITH-...`` with the reason, never guessed.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from standing.core.model import TrustKind
from standing.core.safe_text import printable
from standing.planner.ci import CiSystem, ci_token
from standing.planner.context import PlanContext
from standing.planner.iac import identity_label
from standing.planner.model import ConsumerChange, ConsumerKind, PolicyKind
from standing.planner.model import TargetPattern as P
from standing.planner.patterns import Choice
from standing.planner.targets import REPLACE, Target, tag

# Pinned the way docs/gate.md pins the actions it shows (major version tags).
AWS_ACTION = "aws-actions/configure-aws-credentials@v4"
GOOGLE_ACTION = "google-github-actions/auth@v2"
AZURE_ACTION = "azure/login@v2"
TOKEN_FILE = "/tmp/web-identity-token"
_CI_PLATFORMS = (CiSystem.GITHUB, CiSystem.GITLAB, CiSystem.CIRCLECI)


class _Values:
    """Collects the fill-ins of one change; refuses values a CI system would evaluate."""

    def __init__(self, known: list[str] | None = None) -> None:
        self.fill_in: list[str] = []
        self.known = known or []  # the plan's own placeholders, whose reasons are reused

    def hole(self, what: str, why: str) -> str:
        value = REPLACE + what
        if not any(f.startswith(value + ":") for f in self.fill_in):
            self.fill_in.append(f"{value}: {why}")
        return value

    def safe(self, value: str, what: str, why: str) -> str:
        """A value from the cloud or a tag, unless it carries an expression or variable the CI would expand."""
        if "$" in value:
            return self.hole(what, f"{why} (the value read carries `$`, which the CI system would expand)")
        for found in re.findall(REPLACE + r"[A-Z0-9-]+(?:/[A-Z][A-Z0-9-]*)?", value):
            if not any(f.startswith(found + ":") for f in self.fill_in):
                own = next((k for k in self.known if k.startswith(found + ":")), None)
                self.fill_in.append(own or f"{found}: {why}")
        return value


def dump(data: Any) -> str:
    """YAML as the emitter writes it: every string quoted as it needs, non-printables escaped."""
    return str(yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=False, width=2**16))


def _trust_subjects(target: Target) -> dict[bool, str]:
    """The subject each OIDC trust of the plan pins, keyed by whether it is the deploy role's."""
    found: dict[bool, str] = {}
    for policy in target.policies:
        if policy.kind is not PolicyKind.TRUST or not policy.name.endswith("-oidc-trust"):
            continue
        for statement in policy.document.get("Statement", []):
            condition = statement.get("Condition", {})
            for block in ("StringEquals", "StringLike"):
                for key, value in condition.get(block, {}).items():
                    if key.endswith(":sub"):
                        found["-deploy-oidc-trust" in policy.name] = str(value)
    return found


def _aws_roles(ctx: PlanContext, target: Target) -> list[tuple[str, str, str]]:
    """(job name, role ARN, subject) for the everyday role and the deploy role the plan creates."""
    subjects = _trust_subjects(target)
    roles = []
    for name in target.new_paths:
        deploy = name.endswith("-deploy")
        if deploy not in subjects:
            continue
        arn = f"arn:aws:iam::{ctx.identity.account}:role/{name}"
        roles.append(("deploy" if deploy else "build", arn, subjects[deploy]))
    return roles


def _github_job(steps: list[dict[str, Any]], subject: str) -> dict[str, Any]:
    job: dict[str, Any] = {"runs-on": "ubuntu-latest"}
    if ":environment:" in subject:
        job["environment"] = subject.rsplit(":environment:", 1)[1]
    elif ":ref:refs/heads/" in subject:
        job["if"] = f"github.ref == 'refs/heads/{subject.rsplit(':ref:refs/heads/', 1)[1]}'"
    job["steps"] = steps
    return job


def _github(jobs: dict[str, dict[str, Any]]) -> str:
    return dump({"permissions": {"id-token": "write", "contents": "read"}, "jobs": jobs})


def _aws_ci(ctx: PlanContext, ci: CiSystem, target: Target) -> ConsumerChange | None:
    v = _Values(target.placeholders)
    roles = [
        (
            job,
            v.safe(arn, "ROLE-ARN", "the new role's ARN"),
            v.safe(subject, "SUBJECT", "the repository or project whose jobs use this identity"),
        )
        for job, arn, subject in _aws_roles(ctx, target)
    ]
    if not roles:
        return None
    label = identity_label(ctx.identity)
    uses = [arn for _, arn, _ in roles]
    subject = roles[0][2]
    if ci is CiSystem.GITHUB:
        region = v.hole("AWS-REGION", "the region the job's AWS calls go to (IAM is global; the action needs one)")
        jobs = {
            job: _github_job([{"uses": AWS_ACTION, "with": {"role-to-assume": arn, "aws-region": region}}], sub)
            for job, arn, sub in roles
        }
        return ConsumerChange(
            kind=ConsumerKind.GITHUB_ACTIONS,
            path=".github/workflows/" + label + ".yml",
            summary="Give the job `id-token: write` and assume the new role with "
            f"{AWS_ACTION}; delete AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the repository's secrets. "
            "The job's ref or environment must match the trust's subject.",
            uses=uses,
            subject=subject,
            snippet=_github(jobs),
            fill_in=v.fill_in,
        )
    if ci is CiSystem.GITLAB:
        gitlab_jobs = {
            job: {
                "id_tokens": {"AWS_ID_TOKEN": {"aud": "https://gitlab.com"}},
                "variables": {"AWS_ROLE_ARN": arn, "AWS_WEB_IDENTITY_TOKEN_FILE": TOKEN_FILE},
                "before_script": ['printf "%s" "$AWS_ID_TOKEN" > "$AWS_WEB_IDENTITY_TOKEN_FILE"'],
                **({"environment": "production"} if job == "deploy" else {}),
            }
            for job, arn, _ in roles
        }
        return ConsumerChange(
            kind=ConsumerKind.GITLAB_CI,
            path=".gitlab-ci.yml",
            summary="Request an id_token with audience https://gitlab.com; the AWS SDK exchanges it "
            "(AssumeRoleWithWebIdentity) through AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE. Remove "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the CI/CD variables.",
            uses=uses,
            subject=subject,
            snippet=dump(gitlab_jobs),
            fill_in=v.fill_in,
        )
    context = f"{label}-oidc"
    circle_jobs = {
        job: {
            "docker": [{"image": "cimg/aws:2024.03"}],
            "environment": {"AWS_ROLE_ARN": arn, "AWS_WEB_IDENTITY_TOKEN_FILE": TOKEN_FILE},
            "steps": ["checkout", {"run": 'printf "%s" "$CIRCLE_OIDC_TOKEN_V2" > "$AWS_WEB_IDENTITY_TOKEN_FILE"'}],
        }
        for job, arn, _ in roles
    }
    return ConsumerChange(
        kind=ConsumerKind.CIRCLECI,
        path=".circleci/config.yml",
        summary=f"CircleCI issues $CIRCLE_OIDC_TOKEN_V2 only to jobs that use a context: create the context "
        f"{context} (it needs no variables) and run the jobs in it; the AWS SDK exchanges the token. Remove the "
        "stored key from the project's environment variables.",
        uses=uses,
        subject=subject,
        snippet=dump(
            {
                "version": 2.1,
                "jobs": circle_jobs,
                "workflows": {label: {"jobs": [{job: {"context": [context]}} for job, _, _ in roles]}},
            }
        ),
        fill_in=v.fill_in,
    )


def _gcp_ci(ctx: PlanContext, ci: CiSystem, target: Target) -> ConsumerChange:
    v = _Values(target.placeholders)
    token = ci_token(ctx, ci, [], deploy=False, aws_audience=False)
    repository = v.safe(token.value, "REPOSITORY", "the repository whose jobs use this identity")
    number = v.hole("PROJECT-NUMBER", "the number (not the id) of the project holding the pool ci-pool")
    provider = f"projects/{number}/locations/global/workloadIdentityPools/ci-pool/providers/{ci.value}"
    account = v.safe(ctx.identity.id, "SERVICE-ACCOUNT", "the service account's email")
    common = {"uses": [provider, account], "subject": repository, "fill_in": v.fill_in}
    if ci is CiSystem.GITHUB:
        step = {"uses": GOOGLE_ACTION, "with": {"workload_identity_provider": provider, "service_account": account}}
        return ConsumerChange(
            kind=ConsumerKind.GITHUB_ACTIONS,
            path=f".github/workflows/{identity_label(ctx.identity)}.yml",
            summary=f"Give the job `id-token: write` and authenticate with {GOOGLE_ACTION} through the pool provider; "
            "delete the key file's secret.",
            snippet=_github({"build": {"runs-on": "ubuntu-latest", "steps": [step]}}),
            **common,
        )
    config = "gcloud iam workload-identity-pools create-cred-config"
    run = (
        f'{config} "{provider}" --service-account="$SERVICE_ACCOUNT" '
        f'--credential-source-file="{TOKEN_FILE}" --output-file=/tmp/gcp-credentials.json'
    )
    env = {"SERVICE_ACCOUNT": account, "GOOGLE_APPLICATION_CREDENTIALS": "/tmp/gcp-credentials.json"}
    if ci is CiSystem.GITLAB:
        job = {
            "id_tokens": {"GCP_ID_TOKEN": {"aud": f"https://iam.googleapis.com/{provider}"}},
            "variables": env,
            "before_script": [f'printf "%s" "$GCP_ID_TOKEN" > "{TOKEN_FILE}"', run],
        }
        return ConsumerChange(
            kind=ConsumerKind.GITLAB_CI,
            path=".gitlab-ci.yml",
            summary="Request an id_token for the pool provider and write a credential configuration from it; "
            "remove the key file from the CI/CD variables.",
            snippet=dump({"build": job}),
            **common,
        )
    return ConsumerChange(
        kind=ConsumerKind.CIRCLECI,
        path=".circleci/config.yml",
        summary="Write $CIRCLE_OIDC_TOKEN_V2 to a file and a credential configuration from it (the job must use "
        "a context for CircleCI to issue the token); remove the key file from the project's variables.",
        snippet=dump(
            {
                "jobs": {
                    "build": {
                        "environment": env,
                        "steps": [{"run": f'printf "%s" "$CIRCLE_OIDC_TOKEN_V2" > "{TOKEN_FILE}"'}, {"run": run}],
                    }
                }
            }
        ),
        **common,
    )


def _azure_ids(ctx: PlanContext, v: _Values) -> tuple[str, str]:
    client = ctx.identity.tags.get("entra.appId") or v.hole("CLIENT-ID", "the application (client) id")
    return v.safe(client, "CLIENT-ID", "the application (client) id"), v.safe(
        ctx.identity.account, "TENANT-ID", "the Entra tenant id"
    )


def _azure_ci(ctx: PlanContext, ci: CiSystem, target: Target) -> ConsumerChange | None:
    if ci is not CiSystem.GITHUB:
        return None
    v = _Values(target.placeholders)
    client, tenant = _azure_ids(ctx, v)
    subscription = next(
        (m.group(1) for scope, _ in ctx.standing_grants if (m := re.match(r"/subscriptions/([^/]+)", scope))), None
    )
    subscription = (
        v.safe(subscription, "SUBSCRIPTION-ID", "the subscription the job works in")
        if subscription
        else (v.hole("SUBSCRIPTION-ID", "the subscription the job works in (none of its grants names one)"))
    )
    subject = next((m.group(1) for m in [re.search(r"subject (\S+)", target.description)] if m), None)
    subject = v.safe(subject or "", "SUBJECT", "the repository whose jobs use this identity") or None
    step = {"uses": AZURE_ACTION, "with": {"client-id": client, "tenant-id": tenant, "subscription-id": subscription}}
    return ConsumerChange(
        kind=ConsumerKind.GITHUB_ACTIONS,
        path=f".github/workflows/{identity_label(ctx.identity)}.yml",
        summary=f"Give the job `id-token: write` and sign in with {AZURE_ACTION} (no client-secret); delete the "
        "client secret from the repository's secrets, then from the app.",
        uses=[client],
        subject=subject,
        snippet=_github({"deploy": _github_job([step], subject or "")}),
        fill_in=v.fill_in,
    )


def _service_account(namespace: str, name: str, annotations: dict[str, str], labels: dict[str, str]) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": namespace}
    if annotations:
        metadata["annotations"] = annotations
    if labels:
        metadata["labels"] = labels
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata}


def _kubernetes(ctx: PlanContext, choice: Choice, target: Target) -> list[ConsumerChange]:
    v = _Values(target.placeholders)
    sub = next(
        (
            s.value
            for t in ctx.trusts
            for s in t.condition.subjects
            if t.kind is TrustKind.OIDC and s.value.startswith("system:serviceaccount:")
        ),
        "",
    )
    parts = sub.split(":")[2:]
    namespace = parts[0] if len(parts) == 2 else tag(ctx, "namespace") or v.hole("NAMESPACE", "the pod's namespace")
    name = (
        parts[1]
        if len(parts) == 2
        else tag(ctx, "service-account") or v.hole("KSA", "the pod's Kubernetes service account")
    )
    namespace = v.safe(namespace, "NAMESPACE", "the pod's namespace")
    name = v.safe(name, "KSA", "the pod's Kubernetes service account")
    pod: dict[str, Any] = {"spec": {"template": {"spec": {"serviceAccountName": name}}}}
    if choice.pattern is P.AWS_EKS_POD_ROLE:
        role = v.safe(
            f"arn:aws:iam::{ctx.identity.account}:role/{(target.new_paths or [ctx.identity.name[:57] + '-jit'])[0]}",
            "ROLE-ARN",
            "the new role's ARN",
        )
        docs = [_service_account(namespace, name, {}, {}), pod]
        summary = (
            "EKS Pod Identity: the Terraform's pod identity association binds the role to this service account, "
            "so it needs no annotation; run the pods as it and delete the key from their secret and env."
        )
        uses = [role]
    elif choice.pattern is P.GCP_ATTACHED_SERVICE_ACCOUNT:
        email = v.safe(ctx.identity.id, "SERVICE-ACCOUNT", "the Google service account's email")
        docs = [_service_account(namespace, name, {"iam.gke.io/gcp-service-account": email}, {}), pod]
        summary = (
            "GKE workload identity: annotate the Kubernetes service account, run the pods as it, delete the key file."
        )
        uses = [email]
    else:
        client, tenant = _azure_ids(ctx, v)
        label = {"azure.workload.identity/use": "true"}
        pod["spec"]["template"]["metadata"] = {"labels": label}
        docs = [_service_account(namespace, name, {"azure.workload.identity/client-id": client}, {}), pod]
        summary = (
            "Azure workload identity: annotate the service account with the client id and label the pods; the "
            "webhook injects AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE."
        )
        uses = [client]
    changes = [
        ConsumerChange(
            kind=ConsumerKind.KUBERNETES,
            path=f"k8s/{identity_label(ctx.identity)}.yaml",
            summary=summary,
            uses=uses,
            subject=f"system:serviceaccount:{namespace}:{name}",
            snippet="---\n".join(dump(d) for d in docs),
            fill_in=v.fill_in,
        )
    ]
    if choice.pattern is P.AZURE_FEDERATED_CREDENTIAL:
        client, tenant = _azure_ids(ctx, _Values())
        changes.append(
            ConsumerChange(
                kind=ConsumerKind.APP_ENVIRONMENT,
                path="the app's configuration",
                summary="The client's environment for a federated credential: set these (the webhook does in a "
                "labelled pod) and delete AZURE_CLIENT_SECRET from the app's config and its secret store.",
                uses=[client],
                snippet=dump(
                    {
                        "env": {
                            "AZURE_CLIENT_ID": client,
                            "AZURE_TENANT_ID": tenant,
                            "AZURE_FEDERATED_TOKEN_FILE": "/var/run/secrets/azure/tokens/azure-identity-token",
                        },
                        "remove": ["AZURE_CLIENT_SECRET"],
                    }
                ),
                fill_in=v.fill_in,
            )
        )
    return changes


def consumer_changes(ctx: PlanContext, choice: Choice, target: Target) -> list[ConsumerChange]:
    """The consumer's half of a migration plan, or nothing where no consumer config is ours to write."""
    pattern = choice.pattern
    if pattern in (P.AWS_EKS_POD_ROLE, P.GCP_ATTACHED_SERVICE_ACCOUNT) or (
        pattern is P.AZURE_FEDERATED_CREDENTIAL and choice.kubernetes
    ):
        return _kubernetes(ctx, choice, target)
    ci = choice.ci or CiSystem.GITHUB
    if ci not in _CI_PLATFORMS:
        return []
    change = None
    if pattern is P.AWS_CI_OIDC_ROLE:
        change = _aws_ci(ctx, ci, target)
    elif pattern is P.GCP_WORKLOAD_IDENTITY_FEDERATION:
        change = _gcp_ci(ctx, ci, target)
    elif pattern is P.AZURE_FEDERATED_CREDENTIAL:
        change = _azure_ci(ctx, ci, target)
    if change is None:
        return []
    if not choice.ci_known:
        unknown = (
            "CI platform: no tag, name or trust says which CI system runs this identity; this snippet is for "
            f"{printable(ci.value)}: write your platform's equivalent"
        )
        change = change.model_copy(update={"fill_in": [*change.fill_in, unknown]})
    return [change]
