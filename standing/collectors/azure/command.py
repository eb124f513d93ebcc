"""``standing collect azure`` / ``standing scan azure``: flags and the call into the collector."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import click
from rich.console import Console

from standing.collectors.command import ProviderCommand, click_options
from standing.scanner.model import Inventory

_AUTH = ("default", "managed-identity", "workload-identity", "cli", "environment")
_FILE = click.Path(dir_okay=False, path_type=Path)

azure_options = click_options(
    click.option("--auth", type=click.Choice(_AUTH), default="default", show_default=True,
                 help="Scanner credential: DefaultAzureCredential, or one keyless/explicit source."),
    click.option("--tenant-id", help="Tenant to scan (default: the credential's tenant)."),
    click.option("--client-id", help="Client id of the scanner's managed or workload identity."),
    click.option("--subscription", "subscriptions", multiple=True,
                 help="Only these subscription ids (repeatable; default: every readable one)."),
    click.option("--max-workers", default=8, show_default=True, type=click.IntRange(1, 64),
                 help="Scopes and objects read at once."),
    click.option("--no-sign-in-activity", is_flag=True,
                 help="Skip the beta sign-in reports (they need Entra ID P1/P2)."),
    click.option("--arm-endpoint", default="https://management.azure.com", show_default=True,
                 help="ARM base URL (sovereign clouds; http only on loopback, for emulators and tests)."),
    click.option("--graph-endpoint", default="https://graph.microsoft.com", show_default=True,
                 help="Microsoft Graph base URL (sovereign clouds; http only on loopback, for emulators and tests)."),
    click.option("--from-sp-list", type=_FILE, help="Offline: `az ad sp list --all` JSON."),
    click.option("--from-app-list", type=_FILE, help="Offline: `az ad app list --all` JSON."),
    click.option("--from-role-assignments", type=_FILE, multiple=True,
                 help="Offline: `az role assignment list --all --include-inherited` JSON (repeatable)."),
    click.option("--from-role-definitions", type=_FILE,
                 help="Offline: `az role definition list` JSON (judges custom roles)."),
)


def collect(params: dict[str, Any], now: Callable[[], datetime], progress: Console) -> Inventory:
    from standing.scanner.errors import UserError

    as_of = params.get("as_of")  # `scan` measures expiry as of --as-of, like every age
    offline = [params["from_sp_list"], params["from_app_list"], params["from_role_assignments"]]
    if any(offline):
        if not all(offline):
            raise UserError("standing scan azure",
                            "offline import needs --from-sp-list, --from-app-list and --from-role-assignments")
        from standing.collectors.azure import import_azure

        return import_azure(sp_list=params["from_sp_list"], app_list=params["from_app_list"],
                            role_assignments=list(params["from_role_assignments"]),
                            role_definitions=params["from_role_definitions"],
                            tenant_id=params["tenant_id"], now=now, as_of=as_of)
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


COMMAND = ProviderCommand(
    name="azure",
    summary="Azure (Entra ID and ARM) identities, credentials, owners and role grants (read-only calls)",
    options=azure_options,
    collect=collect,
)
