"""``standing collect azure`` / ``standing scan azure``: flags and the call into the collector."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from standing.cli.providers import ProviderCommand, click_options
from standing.core.extras import require_extra
from standing.core.model import Inventory

_AUTH = ("default", "managed-identity", "workload-identity", "cli", "environment")
_FILE = click.Path(dir_okay=False, path_type=Path)

azure_options = click_options(
    click.option(
        "--auth",
        type=click.Choice(_AUTH),
        default="default",
        show_default=True,
        help="Scanner credential: DefaultAzureCredential, or one keyless/explicit source.",
    ),
    click.option("--tenant-id", help="Tenant to scan (default: the credential's tenant)."),
    click.option("--client-id", help="Client id of the scanner's managed or workload identity."),
    click.option(
        "--subscription",
        "subscriptions",
        multiple=True,
        help="Only these subscription ids (repeatable; default: every readable one).",
    ),
    click.option(
        "--max-workers",
        default=8,
        show_default=True,
        type=click.IntRange(1, 64),
        help="Scopes and objects read at once.",
    ),
    click.option(
        "--no-sign-in-activity", is_flag=True, help="Skip the beta sign-in reports (they need Entra ID P1/P2)."
    ),
    click.option(
        "--arm-endpoint",
        default="https://management.azure.com",
        show_default=True,
        help="ARM base URL (sovereign clouds; http only on loopback, for emulators and tests).",
    ),
    click.option(
        "--graph-endpoint",
        default="https://graph.microsoft.com",
        show_default=True,
        help="Microsoft Graph base URL (sovereign clouds; http only on loopback, for emulators and tests).",
    ),
    click.option("--from-sp-list", type=_FILE, help="Offline: `az ad sp list --all` JSON."),
    click.option("--from-app-list", type=_FILE, help="Offline: `az ad app list --all` JSON."),
    click.option(
        "--from-role-assignments",
        type=_FILE,
        multiple=True,
        help="Offline: `az role assignment list --all --include-inherited` JSON (repeatable).",
    ),
    click.option(
        "--from-role-definitions", type=_FILE, help="Offline: `az role definition list` JSON (judges custom roles)."
    ),
    click.option(
        "--from-app-owners",
        type=_FILE,
        help='Offline: app owners, one JSON object {"<app object id>": `az ad app owner list '
        "--id <app object id>`, ...} (docs/azure.md: the loop that writes it).",
    ),
    click.option(
        "--from-federated-credentials",
        type=_FILE,
        help='Offline: federated credentials, one JSON object {"<app object id>": `az ad app '
        "federated-credential list --id <app object id>`, ...} (docs/azure.md: the loop).",
    ),
    click.option(
        "--from-app-role-assignments",
        type=_FILE,
        help='Offline: Graph application permissions: `az rest --url "https://graph.microsoft.com/'
        "v1.0/servicePrincipals/$(az ad sp show --id 00000003-0000-0000-c000-000000000000 "
        '--query id -o tsv)/appRoleAssignedTo?\\$top=999"`.',
    ),
    click.option(
        "--from-group-members",
        type=_FILE,
        help='Offline: members of groups holding Azure roles, one JSON object {"<group id>": '
        "`az rest --url https://graph.microsoft.com/v1.0/groups/<group id>/transitiveMembers`, "
        "...}.",
    ),
    click.option(
        "--from-role-assignment-schedules",
        type=_FILE,
        multiple=True,
        help='Offline: PIM active schedules at a scope (repeatable): `az rest --url "https://'
        "management.azure.com/subscriptions/<id>/providers/Microsoft.Authorization/"
        'roleAssignmentSchedules?api-version=2020-10-01"`; tells time-bound assignments.',
    ),
    click.option(
        "--from-role-eligibility-schedules",
        type=_FILE,
        multiple=True,
        help='Offline: PIM eligible schedules at a scope (repeatable): `az rest --url "https://'
        "management.azure.com/subscriptions/<id>/providers/Microsoft.Authorization/"
        'roleEligibilitySchedules?api-version=2020-10-01"`.',
    ),
    click.option(
        "--from-directory-role-assignments",
        type=_FILE,
        help='Offline: Entra directory roles: `az rest --url "https://graph.microsoft.com/v1.0/'
        'roleManagement/directory/roleAssignments?\\$expand=principal"`.',
    ),
    click.option(
        "--from-directory-role-definitions",
        type=_FILE,
        help="Offline: `az rest --url https://graph.microsoft.com/v1.0/roleManagement/directory/roleDefinitions`.",
    ),
    click.option(
        "--from-directory-role-instances",
        type=_FILE,
        help="Offline: Entra PIM active assignments: `az rest --url https://graph.microsoft.com/v1.0/"
        "roleManagement/directory/roleAssignmentScheduleInstances`.",
    ),
    click.option(
        "--from-directory-role-eligibility",
        type=_FILE,
        help="Offline: Entra PIM eligibility: `az rest --url https://graph.microsoft.com/v1.0/"
        "roleManagement/directory/roleEligibilitySchedules`.",
    ),
    click.option(
        "--from-managed-identities", type=_FILE, help="Offline: user-assigned managed identities: `az identity list`."
    ),
    click.option(
        "--from-identity-federated-credentials",
        type=_FILE,
        help='Offline: managed identities\' federated credentials, one JSON object {"<identity resource id>": '
        "`az identity federated-credential list --identity-name <name> --resource-group <group>`, ...}.",
    ),
    click.option(
        "--from-sign-in-activity",
        type=_FILE,
        help="Offline: `az rest --url https://graph.microsoft.com/beta/reports/servicePrincipalSignInActivities`.",
    ),
    click.option(
        "--from-credential-sign-in-activity",
        type=_FILE,
        help="Offline: `az rest --url https://graph.microsoft.com/beta/reports/appCredentialSignInActivities`.",
    ),
    click.option(
        "--from-recommendations",
        type=_FILE,
        help="Offline: Entra's recommendations with their impacted resources, `az rest --url "
        '"https://graph.microsoft.com/beta/directory/recommendations?$expand=impactedResources"`.',
    ),
    click.option(
        "--from-workloads",
        type=_FILE,
        help="Offline: compute that runs as managed identities, what `az graph query --first 1000 -q <query>` "
        "prints for the query in docs/workloads.md (several pages merged into one JSON array).",
    ),
)
_EXTRAS = (
    "from_directory_role_assignments",
    "from_directory_role_definitions",
    "from_directory_role_instances",
    "from_directory_role_eligibility",
    "from_managed_identities",
    "from_identity_federated_credentials",
    "from_sign_in_activity",
    "from_credential_sign_in_activity",
    "from_workloads",
    "from_recommendations",
    "from_role_definitions",
    "from_app_owners",
    "from_federated_credentials",
    "from_app_role_assignments",
    "from_group_members",
    "from_role_assignment_schedules",
    "from_role_eligibility_schedules",
)


def collect(params: dict[str, Any], now: Callable[[], datetime], progress: Console) -> Inventory:
    from standing.core.errors import UserError

    as_of = params.get("as_of")  # `scan` measures expiry as of --as-of, like every age
    offline = [params["from_sp_list"], params["from_app_list"], params["from_role_assignments"]]
    if any(offline) or any(params.get(k) for k in _EXTRAS):
        if not all(offline):
            raise UserError(
                "standing scan azure",
                "offline import needs --from-sp-list, --from-app-list and --from-role-assignments",
            )
        from standing.collectors.azure.importer import Extras, import_azure

        extras = Extras(
            app_owners=params["from_app_owners"],
            federated_credentials=params["from_federated_credentials"],
            app_role_assignments=params["from_app_role_assignments"],
            group_members=params["from_group_members"],
            assignment_schedules=tuple(params["from_role_assignment_schedules"]),
            eligibility_schedules=tuple(params["from_role_eligibility_schedules"]),
            directory_role_assignments=params["from_directory_role_assignments"],
            directory_role_definitions=params["from_directory_role_definitions"],
            directory_role_instances=params["from_directory_role_instances"],
            directory_role_eligibility=params["from_directory_role_eligibility"],
            managed_identities=params["from_managed_identities"],
            identity_federated_credentials=params["from_identity_federated_credentials"],
            sign_in_activity=params["from_sign_in_activity"],
            credential_sign_in_activity=params["from_credential_sign_in_activity"],
            workloads=params["from_workloads"],
            recommendations=params["from_recommendations"],
        )
        return import_azure(
            sp_list=params["from_sp_list"],
            app_list=params["from_app_list"],
            role_assignments=list(params["from_role_assignments"]),
            role_definitions=params["from_role_definitions"],
            tenant_id=params["tenant_id"],
            extras=extras,
            now=now,
            as_of=as_of,
        )
    # The offline import above needs no SDK; the live scan does.
    require_extra("azure scan", "azure", _SDK_MODULES)
    from standing.collectors.azure import AzureScanOptions, collect_azure
    from standing.collectors.azure.clients import check_endpoint

    options = AzureScanOptions(
        auth=params["auth"],
        tenant_id=params["tenant_id"],
        client_id=params["client_id"],
        arm_endpoint=check_endpoint("--arm-endpoint", params["arm_endpoint"]),
        graph_endpoint=check_endpoint("--graph-endpoint", params["graph_endpoint"]),
        subscriptions=tuple(params["subscriptions"]),
        max_workers=params["max_workers"],
        sign_in_activity=not params["no_sign_in_activity"],
    )
    return collect_azure(options, now=now, as_of=as_of, progress=progress)


def permissions() -> dict[str, Any]:
    """A custom ARM role and the Graph application permissions, from the declared reads."""
    from standing.collectors.azure.operations import arm_actions, graph_permissions

    return {
        "azure_role_definition": {
            "Name": "standing-reader",
            "IsCustom": True,
            "Description": "Read-only access for the standing scanner",
            "Actions": arm_actions(),
            "NotActions": [],
            "DataActions": [],
            "AssignableScopes": ["/providers/Microsoft.Management/managementGroups/<tenant-root-group-id>"],
        },
        "graph_application_permissions": graph_permissions(),
    }


_SDK_MODULES = (
    "azure.core",
    "azure.identity",
    "azure.mgmt.authorization",
    "azure.mgmt.managementgroups",
    "azure.mgmt.msi",
    "azure.mgmt.resource.subscriptions",
)

COMMAND = ProviderCommand(
    name="azure",
    summary="Azure (Entra ID and ARM) identities, credentials, owners and role grants (read-only calls)",
    options=azure_options,
    collect=collect,
    permissions=permissions,
)
