"""Azure targets: federated credentials, managed identities and PIM instead of secrets and standing roles."""

from __future__ import annotations

from standing.planner.context import PlanContext
from standing.planner.iac import identity_label, render
from standing.planner.model import AgenticControls, AgenticMode, TerraformProvider
from standing.planner.model import TargetPattern as P
from standing.planner.patterns import Choice
from standing.planner.targets import Target, ci_token, placeholder, tag

AZUREAD = [TerraformProvider.AZUREAD]
AZURERM = [TerraformProvider.AZURERM]


def _app_object_id(ctx: PlanContext) -> str:
    return ctx.identity.tags.get("entra.applicationObjectId") or ctx.identity.id


def _old(ctx: PlanContext) -> tuple[str, str, str]:
    app = _app_object_id(ctx)
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
        if choice.ci == "kubernetes":
            issuer = "https://" + placeholder(holes, "AKS-OIDC-ISSUER", "the cluster's OIDC issuer URL") + "/"
            namespace = tag(ctx, "namespace") or placeholder(holes, "NAMESPACE", "the pod's namespace")
            ksa = tag(ctx, "service-account") or placeholder(holes, "KSA", "the pod's Kubernetes service account")
            subject = f"system:serviceaccount:{namespace}:{ksa}"
            switch = "Enable workload identity on the pod (azure.workload.identity/use label); remove the secret."
        else:
            token = ci_token(ctx, choice.ci or "github", holes)
            issuer, subject = token.issuer_url, token.subject
            switch = (
                "Log in with the app's client id and tenant id using the CI job's OIDC token (azure/login "
                "with `id-token: write` on GitHub); delete the secret from CI."
            )
        return target(
            "azure-federated-credential",
            AZUREAD,
            3600,
            f"federated identity credential on the app for issuer {issuer} and subject {subject}",
            switch,
            2,
            application_object_id=_app_object_id(ctx),
            credential_name="standing-jit",
            issuer_url=issuer,
            subject=subject,
        )
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
