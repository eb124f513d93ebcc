"""``standing collect aws`` / ``standing scan aws``: flags and the call into the collector."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from standing.cli.common import FiniteFloatRange
from standing.cli.providers import ProviderCommand, click_options
from standing.collectors.executors import (
    DEFAULT_RETRIES,
    DEFAULT_TIME_LIMIT,
    EXECUTORS,
    TaskLimits,
    open_executor,
)
from standing.core.errors import UserError
from standing.core.model import CoverageEntry, CoverageStatus, Inventory, Provider

_file = click.Path(dir_okay=False, exists=True, path_type=Path)
# Offline import (standing/collectors/aws/importer.py): one account from `aws iam` CLI exports.
_import_options = (
    click.option(
        "--from-authorization-details",
        multiple=True,
        type=_file,
        help="Offline: `aws iam get-account-authorization-details` JSON; the merged output, or repeat per page.",
    ),
    click.option(
        "--from-credential-report",
        type=_file,
        help="Offline: `aws iam get-credential-report` JSON, or the CSV decoded from its Content.",
    ),
    click.option(
        "--from-access-keys",
        multiple=True,
        type=_file,
        help="Offline: `aws iam list-access-keys --user-name USER` JSON, repeatable (key ids; without them keys "
        "are named by report slot, as with --no-key-ids).",
    ),
    click.option("--from-oidc-providers", type=_file, help="Offline: `aws iam list-open-id-connect-providers` JSON."),
    click.option(
        "--from-oidc-provider",
        multiple=True,
        metavar="[ARN=]FILE",
        help="Offline: `aws iam get-open-id-connect-provider` JSON per provider, repeatable; without ARN= the "
        "provider is named by the file's Url.",
    ),
    click.option("--from-saml-providers", type=_file, help="Offline: `aws iam list-saml-providers` JSON."),
)
_IMPORT_FLAGS = (
    "from_authorization_details",
    "from_credential_report",
    "from_access_keys",
    "from_oidc_providers",
    "from_oidc_provider",
    "from_saml_providers",
)

aws_options = click_options(
    click.option("--profile", help="AWS profile (default: boto3's credential chain)."),
    click.option(
        "--region",
        "regions",
        multiple=True,
        help="Region whose workloads (compute) are read; repeatable. Default (or 'all'): every region "
        "the account has enabled; the regions left out are listed as such. IAM is global and read once.",
    ),
    click.option("--endpoint-url", help="Send every AWS call here (an AWS-compatible endpoint such as moto)."),
    click.option(
        "--organization",
        "--org",
        "organization",
        is_flag=True,
        help="Scan every active account of the AWS Organization.",
    ),
    click.option(
        "--member-role",
        default="standing-readonly",
        show_default=True,
        help="Read-only role assumed in each member account with --organization.",
    ),
    click.option("--external-id", help="sts:ExternalId for the member role."),
    click.option(
        "--max-workers", default=8, show_default=True, type=click.IntRange(1, 64), help="Accounts scanned at once."
    ),
    click.option(
        "--no-key-ids",
        is_flag=True,
        help="Skip ListAccessKeys per key holder (fewer calls; keys named by slot, not id).",
    ),
    click.option(
        "--no-workloads",
        is_flag=True,
        help="Skip the compute (workloads) reads: IAM only, no regional calls.",
    ),
    click.option(
        "--executor",
        type=click.Choice(EXECUTORS),
        default="thread",
        show_default=True,
        help="Where member accounts are scanned: a thread pool here, or a Dask cluster (needs the dask extra).",
    ),
    click.option(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler for --executor dask, e.g. tcp://scheduler:8786 "
        "(default: a local cluster on this machine).",
    ),
    click.option(
        "--task-timeout",
        type=FiniteFloatRange(min=1, max=7 * 24 * 3600),  # a week: beyond it, a wait overflows
        default=DEFAULT_TIME_LIMIT,
        show_default=True,
        help="Seconds one account may take before the attempt is abandoned.",
    ),
    click.option(
        "--task-retries",
        type=click.IntRange(0, 10),
        default=DEFAULT_RETRIES,
        show_default=True,
        help="Further attempts for an account whose scan failed or overran.",
    ),
    click.option(
        "--usage",
        type=click.Choice(["none", "flagged", "all"]),
        default="flagged",
        show_default=True,
        help="What each identity used of its grants: Access Analyzer's unused-access findings when an "
        "analyzer exists, else Access Advisor for the identities with a finding (flagged) or all (all).",
    ),
    click.option(
        "--usage-from",
        multiple=True,
        metavar="FILE",
        help="Usage from a CLI export instead of live: 'aws accessanalyzer get-finding-v2' JSON, or "
        "ARN=FILE for 'aws iam get-service-last-accessed-details' JSON; repeatable.",
    ),
    click.option(
        "--refresh-account",
        metavar="ACCOUNT_ID",
        help="Re-read only this account and replace it inside --refresh-snapshot.",
    ),
    click.option(
        "--refresh-snapshot",
        type=click.Path(dir_okay=False, path_type=Path),
        metavar="FILE",
        help="Merged organization snapshot in which --refresh-account is replaced.",
    ),
    *_import_options,
)


def collect(params: dict[str, Any], now: Callable[[], datetime], progress: Console) -> Inventory:
    refresh, snapshot = params["refresh_account"], params["refresh_snapshot"]
    if (refresh is None) != (snapshot is None):
        raise UserError(
            "--refresh-account", "needs --refresh-snapshot FILE, and --refresh-snapshot needs --refresh-account"
        )
    options = _options(params)
    from standing.collectors.aws.usage_collect import usage_from_exports

    exported = usage_from_exports(list(params.get("usage_from") or []), now())  # a bad file stops before any call
    if any(params.get(flag) for flag in _IMPORT_FLAGS):
        return _import(params, exported, now)
    if refresh is not None:
        return _refresh(options, refresh, snapshot, now)
    if params["executor"] == "dask" and not params["organization"]:
        raise UserError("--executor dask", "fans out the accounts of --organization; add it")
    limits = TaskLimits(time_limit=params["task_timeout"], retries=params["task_retries"])
    with open_executor(
        params["executor"], scheduler=params["scheduler"], max_workers=params["max_workers"], limits=limits
    ) as executor:
        from standing.collectors.aws import collect_aws

        inventory = collect_aws(options, now=now, progress=progress, executor=executor)
    if exported:
        return inventory.model_copy(update={"usage": [*inventory.usage, *exported]})
    return _with_usage(inventory, options, params, now)


def _import(params: dict[str, Any], exported: list[Any], now: Callable[[], datetime]) -> Inventory:
    """One account from exported files: no call is made, so no live-only flag applies."""
    from standing.collectors.aws.importer import ImportFiles, import_aws, usage_not_imported

    for flag in ("organization", "refresh_account", "profile", "endpoint_url", "external_id"):
        if params.get(flag):
            raise UserError(
                "aws scan", f"--{flag.replace('_', '-')} reads live; it cannot be combined with --from-* files"
            )
    files = ImportFiles(
        authorization_details=tuple(params["from_authorization_details"]),
        credential_report=params["from_credential_report"],
        access_keys=tuple(params["from_access_keys"]),
        oidc_providers=params["from_oidc_providers"],
        oidc_provider=tuple(params["from_oidc_provider"]),
        saml_providers=params["from_saml_providers"],
        workloads_left_out=params["no_workloads"],
    )
    inventory = import_aws(files, now=now)
    if exported:
        return inventory.model_copy(update={"usage": [*inventory.usage, *exported]})
    if (params.get("usage") or "flagged") == "none":
        return inventory  # as live: --usage none reads nothing and says nothing
    return inventory.model_copy(update={"coverage": [*inventory.coverage, usage_not_imported(inventory)]})


def _with_usage(inventory: Inventory, options: Any, params: dict[str, Any], now: Callable[[], datetime]) -> Inventory:
    """collect -> (analyse, for ``flagged``) -> usage; the scan then analyses the result."""
    from standing.collectors.aws.usage_collect import collect_aws_usage

    mode = params.get("usage") or "flagged"
    if mode == "none":
        return inventory
    if params.get("organization"):
        # Access Advisor answers for the caller's own account only; member accounts would need
        # their own sessions. Said, never silently skipped.
        left_out = CoverageEntry(
            provider=Provider.AWS,
            scope="aws:organization",
            operation="iam:GenerateServiceLastAccessedDetails",
            status=CoverageStatus.SCOPED,
            detail="usage is not read under --organization (yet): scan an account alone, or pass --usage-from",
        )
        return inventory.model_copy(update={"coverage": [*inventory.coverage, left_out]})
    targets = None
    if mode == "flagged":
        from standing.rules.config import load_config
        from standing.scan import usage_targets

        # the same as-of the scan's own analysis uses, or the flagged set is another day's
        as_of = params.get("as_of") or now()
        targets = usage_targets(inventory, load_config(params.get("config_path")), as_of=as_of)
    return collect_aws_usage(inventory, options, targets, now=now)


def _refresh(options: Any, account_id: str, snapshot: Path, now: Callable[[], datetime]) -> Inventory:
    from standing.collectors.aws import refresh_aws
    from standing.core.snapshot import read_snapshot

    return refresh_aws(read_snapshot(snapshot), account_id, options, source=str(snapshot), now=now)


def _options(params: dict[str, Any]) -> Any:
    from standing.collectors.aws import AwsScanOptions

    return AwsScanOptions(
        profile=params["profile"],
        region=next((r for r in params["regions"] if r != "all"), None),
        regions=tuple(dict.fromkeys(params["regions"])),
        endpoint_url=params["endpoint_url"],
        organization=params["organization"],
        member_role_name=params["member_role"],
        external_id=params["external_id"],
        max_workers=params["max_workers"],
        resolve_key_ids=not params["no_key_ids"],
        workloads=not params["no_workloads"],
    )


def permissions() -> dict[str, Any]:
    """The IAM policy for the scanner's role: exactly the operations the collector declares."""
    from standing.collectors.aws.operations import read_only_policy

    return read_only_policy()


COMMAND = ProviderCommand(
    name="aws",
    summary="AWS identities, credentials, policies, trusts and workloads (read-only calls, or exported files)",
    options=aws_options,
    collect=collect,
    permissions=permissions,
)
