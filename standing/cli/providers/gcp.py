"""``standing collect gcp`` / ``standing scan gcp``: flags and the call into the collector.

For emulators and tests only: ``--api-endpoint`` sends every REST and discovery call to one
base URL and ``--grpc-endpoint`` sends the IAM admin API to an insecure gRPC server; with an
endpoint override (and only then) a bearer token may come from ``STANDING_GCP_TEST_TOKEN``
instead of Application Default Credentials. Production endpoints always use ADC.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from standing.cli.providers import ProviderCommand, click_options
from standing.core.extras import require_extra
from standing.core.model import Inventory

TEST_TOKEN_ENV = "STANDING_GCP_TEST_TOKEN"

_file = click.Path(dir_okay=False, exists=True, path_type=Path)

gcp_options = click_options(
    click.option("--organization", help="Organization id (123 or organizations/123): everything beneath it."),
    click.option("--folder", "folders", multiple=True, help="Folder id: everything beneath it (repeatable)."),
    click.option("--project", "projects", multiple=True, help="Project id (repeatable)."),
    click.option(
        "--impersonate-service-account",
        "impersonate",
        help="Scanner service account to impersonate from ADC (no key file needed).",
    ),
    click.option(
        "--max-workers", default=8, show_default=True, type=click.IntRange(1, 64), help="Projects read at once."
    ),
    click.option(
        "--usage",
        type=click.Choice(["none", "all"]),
        default="all",
        show_default=True,
        help="What each service account used of its roles: the IAM Recommender's role recommendations, one "
        "listing per project, folder and organization (all), or none.",
    ),
    click.option("--api-endpoint", hidden=True, help="Emulators/tests: base URL for every REST call."),
    click.option("--grpc-endpoint", hidden=True, help="Emulators/tests: insecure host:port for the IAM admin API."),
    click.option(
        "--from-asset-search",
        multiple=True,
        type=_file,
        help="Offline: `gcloud asset search-all-iam-policies --format=json` output.",
    ),
    click.option(
        "--from-asset-export",
        multiple=True,
        type=_file,
        help="Offline: Cloud Asset export with --content-type=iam-policy (JSON lines).",
    ),
    click.option(
        "--from-service-accounts",
        multiple=True,
        type=_file,
        help="Offline: `gcloud iam service-accounts list --format=json` output.",
    ),
    click.option(
        "--from-keys",
        multiple=True,
        type=_file,
        help="Offline: `gcloud iam service-accounts keys list --format=json` output.",
    ),
    click.option(
        "--from-activity",
        multiple=True,
        type=_file,
        help="Offline: `gcloud policy-intelligence query-activity --format=json` output.",
    ),
    click.option(
        "--from-wif-providers",
        multiple=True,
        type=_file,
        help="Offline: `gcloud iam workload-identity-pools providers list --format=json` output.",
    ),
    click.option(
        "--from-org-policy",
        multiple=True,
        type=_file,
        help="Offline: `gcloud org-policies describe CONSTRAINT --effective --format=json` output.",
    ),
    click.option(
        "--from-custom-roles",
        multiple=True,
        type=_file,
        help="Offline: `gcloud iam roles describe ROLE --project=P --format=json` output, one role or a JSON list "
        "(`gcloud iam roles list` omits the permissions).",
    ),
    click.option(
        "--from-compute-instances",
        multiple=True,
        type=_file,
        help="Offline: `gcloud compute instances list --format=json` output.",
    ),
    click.option(
        "--from-run-services",
        multiple=True,
        type=_file,
        help="Offline: `gcloud run services list --format=json` output.",
    ),
    click.option(
        "--from-functions",
        multiple=True,
        type=_file,
        help="Offline: `gcloud functions list --format=json` output.",
    ),
    click.option(
        "--from-container-clusters",
        multiple=True,
        type=_file,
        help="Offline: `gcloud container clusters list --format=json` output.",
    ),
    click.option(
        "--from-recommendations",
        multiple=True,
        type=_file,
        help="Offline: `gcloud recommender recommendations list --recommender=google.iam.policy.Recommender "
        "--project=P --location=global --format=json` output (what each service account used).",
    ),
)

_IMPORT_FLAGS = (
    "from_asset_search",
    "from_asset_export",
    "from_service_accounts",
    "from_keys",
    "from_activity",
    "from_wif_providers",
    "from_org_policy",
    "from_custom_roles",
    "from_compute_instances",
    "from_run_services",
    "from_functions",
    "from_container_clusters",
    "from_recommendations",
)


_SDK_MODULES = (
    "google.cloud.iam_admin_v1",
    "google.cloud.resourcemanager_v3",
    "google.cloud.orgpolicy_v2",
    "google.cloud.recommender_v1",
    "googleapiclient.discovery",
)


def collect(params: dict[str, Any], now: Callable[[], datetime], progress: Console) -> Inventory:
    from standing.collectors.gcp import ImportFiles, collect_gcp, default_credentials, import_gcp, token_credentials
    from standing.collectors.gcp.fetch import GcpScanOptions
    from standing.core.errors import UserError

    if any(params[flag] for flag in _IMPORT_FLAGS):
        if params["organization"] or params["folders"] or params["projects"]:
            raise UserError("gcp scan", "--from-* files and live scope flags cannot be combined")
        return import_gcp(ImportFiles(**{flag[len("from_") :]: tuple(params[flag]) for flag in _IMPORT_FLAGS}), now=now)
    require_extra("gcp scan", "gcp", _SDK_MODULES)  # the offline import above needs no SDK
    options = GcpScanOptions(
        organization=params["organization"],
        folders=tuple(params["folders"]),
        projects=tuple(params["projects"]),
        impersonate=params["impersonate"],
        max_workers=params["max_workers"],
        api_endpoint=params["api_endpoint"],
        grpc_endpoint=params["grpc_endpoint"],
        usage=params["usage"] != "none",
    )
    token = os.environ.get(TEST_TOKEN_ENV)
    if token and (options.api_endpoint or options.grpc_endpoint):
        credentials: Any = token_credentials(token)
    else:
        credentials = default_credentials(options.impersonate)
    return collect_gcp(options, credentials=credentials, now=now, progress=progress)


def permissions() -> dict[str, Any]:
    """Predefined read-only roles that cover every method the collector declares."""
    from standing.collectors.gcp.operations import READ_ONLY_ROLES

    return {
        "grant_to_the_scanner": "on the organization, or on each folder or project scanned",
        "roles": list(READ_ONLY_ROLES),
    }


COMMAND = ProviderCommand(
    name="gcp",
    summary="GCP service accounts, keys, IAM policies and federation (read-only calls, or exported files)",
    options=gcp_options,
    collect=collect,
    permissions=permissions,
)
