"""Azure targets: federated credentials, managed identities and PIM instead of secrets and standing roles."""

from __future__ import annotations

import shlex

from standing.planner.ci import PLATFORMS, CiSystem, ci_token
from standing.planner.ci import azure_subject as ci_subject
from standing.planner.context import PlanContext
from standing.planner.iac import identity_label, render
from standing.planner.model import AgenticControls, AgenticMode, TerraformProvider
from standing.planner.model import TargetPattern as P
from standing.planner.patterns import Choice
from standing.planner.targets import Target, placeholder, tag

AZUREAD = [TerraformProvider.AZUREAD]
AZURERM = [TerraformProvider.AZURERM]


_AZURE_SWITCH = {
    CiSystem.GITHUB: "Log in with the app's client id and tenant id using the CI job's OIDC token (azure/login "
    "with `id-token: write` on GitHub); delete the secret from CI.",
    CiSystem.GITLAB: "Request an id_token with aud api://AzureADTokenExchange and `az login --service-principal "
    "--federated-token`; delete the secret from CI variables.",
    CiSystem.CIRCLECI: "Log in with `az login --service-principal --federated-token $CIRCLE_OIDC_TOKEN_V2`; delete the "
    "secret from the project's environment variables.",
    CiSystem.JENKINS: "Add an OpenID Connect id token credential with audience api://AzureADTokenExchange and log in "
    "with `az login --service-principal --federated-token`; delete the secret from Jenkins.",
    CiSystem.BITBUCKET: "Set `oidc: true` on the step and log in with `az login --service-principal --federated-token "
    "$BITBUCKET_STEP_OIDC_TOKEN`; delete the secret from the repository variables.",
    CiSystem.AZURE_DEVOPS: "Convert the Azure service connection to workload identity federation (its issuer and subject "
    "are shown on the connection; newer ones use the Microsoft Entra issuer); delete the secret.",
}


def _app_object_id(ctx: PlanContext) -> str:
    return ctx.identity.tags.get("entra.applicationObjectId") or ctx.identity.id


def _old(ctx: PlanContext) -> tuple[str, str, str]:
    app = shlex.quote(_app_object_id(ctx))  # from a tag when the export names it: one shell word
    if ctx.secrets:
        keys = ", ".join(c.id for c in ctx.secrets)
        return (
            f"Let no consumer use secret(s) {keys}: remove them from the app's configuration first, then "
            f"`az ad app credential delete --id {app} --key-id KEY` (a secret cannot be paused; the watch "
            "window before this step is the safety).",
            f"Add a new secret (`az ad app credential reset --id {app} --append`) and hand it to the consumer.",
            "Confirm no secret remains: `az ad app credential list --id " + app + "`.",
        )
    return (
        "Remove the active role assignment(s) (`az role assignment delete`), keeping a copy.",
        "Re-create the saved assignment(s) (`az role assignment create`).",
        "Nothing more to delete: the eligible assignment replaces it.",
    )


def azure_target(ctx: PlanContext, choice: Choice) -> Target:
    identity = ctx.identity
    holes: list[str] = []
    deactivate, reactivate, delete = _old(ctx)
    name = identity_label(identity)
    comment = f"standing plan for {identity.id}: {choice.pattern.value}"
    pattern = choice.pattern
    grants = [{"scope": scope, "role": role} for scope, role in ctx.standing_grants]

    def target(
        template: str,
        providers: list[TerraformProvider],
        ttl: int,
        description: str,
        switch: str,
        effort: int,
        **values: object,
    ) -> Target:
        snippet = render(template, providers, f"{name}.tf", label=name, ttl=ttl, comment=comment, **values)
        return Target(description, ttl, effort, [snippet], switch, deactivate, reactivate, delete, placeholders=holes)

    if pattern is P.AZURE_FEDERATED_CREDENTIAL:
        if choice.kubernetes:
            issuer = "https://" + placeholder(holes, "AKS-OIDC-ISSUER", "the cluster's OIDC issuer URL") + "/"
            namespace = tag(ctx, "namespace") or placeholder(holes, "NAMESPACE", "the pod's namespace")
            ksa = tag(ctx, "service-account") or placeholder(holes, "KSA", "the pod's Kubernetes service account")
            subject = f"system:serviceaccount:{namespace}:{ksa}"
            switch = "Enable workload identity on the pod (azure.workload.identity/use label); remove the secret."
        else:
            ci = choice.ci or CiSystem.GITHUB
            # an Entra credential matches one exact subject: a GitHub job in the `production` environment,
            # unless an admin's deploy job gets its own app below (then the everyday job's branch)
            token = ci_token(
                ctx, ci, holes, deploy=ci is CiSystem.GITHUB and not choice.split_admin, aws_audience=False
            )
            issuer = token.issuer_url
            subject = ci_subject(ctx, ci, token, holes, deploy=False)
            switch = _AZURE_SWITCH[ci]
        values: dict[str, object] = {
            "application_object_id": _app_object_id(ctx),
            "credential_name": "standing-jit",
            "issuer_url": issuer,
            "subject": subject,
            "everyday": True,
            "deploy": None,
        }
        description = f"federated identity credential on the app for issuer {issuer} and subject {subject}"
        providers = AZUREAD
        if choice.split_admin and not choice.kubernetes:
            ci = choice.ci or CiSystem.GITHUB
            platform = PLATFORMS[ci]
            if not choice.ci_known:
                holes.append(
                    "REPLACE-WITH-CI-PLATFORM: no tag, name or trust says which CI system runs this identity; the "
                    "plan uses GitHub Actions' issuer and subject: use your platform's"
                )
            deploy_token = ci_token(ctx, ci, holes, deploy=True, aws_audience=False)
            deploy_subject = ci_subject(ctx, ci, deploy_token, holes, deploy=True)
            # what made it admin; if no single role explains it, nothing stays with the everyday identity
            moved = sorted({(scope, role) for scope, role in ctx.standing_grants if role in ctx.admin_parts}) or sorted(
                set(ctx.standing_grants)
            )
            kept = [g for g in ctx.standing_grants if g not in moved]
            deploy_name = f"{identity.name}-deploy"
            values["everyday"] = bool(kept)
            values["deploy"] = {
                "display_name": deploy_name,
                "issuer_url": deploy_token.issuer_url,
                "subject": deploy_subject,
                "grants": [{"scope": scope, "role": role} for scope, role in moved if scope.startswith("/")],
                "by_hand": [f"{role} on {scope}" for scope, role in moved if not scope.startswith("/")],
            }
            roles = ", ".join(role.rsplit("/", 1)[-1] for _, role in moved) or "its privileged roles"
            description = (
                (description + "; " if kept else "")
                + f"app {deploy_name} holding what made it admin ({roles}), usable only by the deploy job's token "
                f"(subject {deploy_subject}), approved through {platform.approval}"
            )
            switch += (
                f" Remove the privileged assignment(s) ({roles}) from {identity.name}. Only the deploy job, behind "
                f"{platform.approval}, logs in as {deploy_name}; no job waits on a per-run approval."
            )
            providers = [TerraformProvider.AZUREAD, TerraformProvider.AZURERM]
        return target("azure-federated-credential", providers, 3600, description, switch, 2, **values)
    if pattern is P.AZURE_MANAGED_IDENTITY:
        return target(
            "azure-managed-identity",
            AZURERM,
            86400,
            f"user-assigned managed identity {identity.name}-mi with the app's role assignments",
            "Attach the managed identity to the workload (App Service, VM, Function, AKS) and use "
            "DefaultAzureCredential; remove the secret.",
            2,
            identity_name=f"{identity.name}-mi",
            grants=grants,
        )
    if pattern is P.AZURE_PIM_ELIGIBLE:
        return target(
            "azure-pim-eligible",
            AZURERM,
            3600,
            "PIM-eligible assignment(s) replacing the active one(s): one-hour activation, justification, approval",
            "Activate the role through PIM (portal, or the roleAssignmentScheduleRequests API) before privileged work.",
            2,
            grants=grants,
            principal_id=identity.id,
            justification="standing plan: privileged role made eligible",
        )
    if pattern is P.AZURE_AGENT_PER_RESOURCE:
        result = target(
            "azure-agent-per-resource",
            AZURERM,
            900,
            f"managed identity {identity.name}-mi with roles only on the resources its tools touch, tokens per resource",
            "Run the agent with the managed identity; its broker requests a token per resource per call.",
            4,
            identity_name=f"{identity.name}-mi",
        )
        result.agentic = AgenticControls(
            mode=AgenticMode.PER_CALL,
            fail_closed=True,
            mechanism=(
                "a token per resource (audience) per tool call from the managed identity; the broker refuses the "
                "call when the resource has no assignment"
            ),
        )
        return result
    raise ValueError(f"not an Azure migration pattern: {pattern}")


def azure_retire(ctx: PlanContext) -> Target:
    deactivate, reactivate, delete = _old(ctx)
    holes: list[str] = []
    client_id = ctx.identity.tags.get("entra.appId") or placeholder(holes, "CLIENT-ID", "the application (client) id")
    snippet = render(
        "retire-azure",
        AZUREAD,
        f"{identity_label(ctx.identity)}.tf",
        label=identity_label(ctx.identity),
        object_id=ctx.identity.id,
        client_id=client_id,
        comment=f"standing plan for {ctx.identity.id}: retire",
    )
    return Target(
        "nothing: the unused service principal or secrets are deleted",
        None,
        1,
        [snippet],
        "Nothing to switch: nothing uses it.",
        "Disable sign-in for the service principal (the Terraform above) and " + deactivate[0].lower() + deactivate[1:],
        reactivate,
        delete,
        placeholders=holes,
    )


def azure_compensate(ctx: PlanContext, rotation_days: int) -> Target:
    deactivate, reactivate, delete = _old(ctx)
    holes = [f"var.{identity_label(ctx.identity)}_rotation_marker: changed by the rotation pipeline"]
    snippet = render(
        "compensate-azure",
        AZUREAD,
        f"{identity_label(ctx.identity)}.tf",
        label=identity_label(ctx.identity),
        application_object_id=_app_object_id(ctx),
        rotation_days=rotation_days,
        comment=f"standing plan for {ctx.identity.id}: compensate",
    )
    return Target(
        f"the secret stays, rotated every {rotation_days} days by automation",
        rotation_days * 86400,
        2,
        [snippet],
        "Store the new secret in Key Vault; the consumer reads it from there.",
        deactivate,
        reactivate,
        delete,
        placeholders=holes,
    )
