"""``standing collect aws`` / ``standing scan aws``: flags and the call into the collector."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

import click
from rich.console import Console

from standing.collectors.command import ProviderCommand, click_options
from standing.scanner.model import Inventory

aws_options = click_options(
    click.option("--profile", help="AWS profile (default: boto3's credential chain)."),
    click.option("--region", help="Region for API calls (IAM is global)."),
    click.option("--endpoint-url",
                 help="Send every AWS call here (an AWS-compatible endpoint such as moto)."),
    click.option("--organization", "--org", "organization", is_flag=True,
                 help="Scan every active account of the AWS Organization."),
    click.option("--member-role", default="standing-readonly", show_default=True,
                 help="Read-only role assumed in each member account with --organization."),
    click.option("--external-id", help="sts:ExternalId for the member role."),
    click.option("--max-workers", default=8, show_default=True, type=click.IntRange(1, 64),
                 help="Accounts scanned at once."),
    click.option("--no-key-ids", is_flag=True,
                 help="Skip ListAccessKeys per key holder (fewer calls; keys named by slot, not id)."),
)


def collect(params: dict[str, Any], now: Callable[[], datetime], progress: Console) -> Inventory:
    from standing.collectors.aws import AwsScanOptions, collect_aws

    options = AwsScanOptions(
        profile=params["profile"],
        region=params["region"],
        endpoint_url=params["endpoint_url"],
        organization=params["organization"],
        member_role_name=params["member_role"],
        external_id=params["external_id"],
        max_workers=params["max_workers"],
        resolve_key_ids=not params["no_key_ids"],
    )
    return collect_aws(options, now=now, progress=progress)


def permissions() -> dict[str, Any]:
    """The IAM policy for the scanner's role: exactly the operations the collector declares."""
    from standing.collectors.aws.operations import read_only_policy

    return read_only_policy()


COMMAND = ProviderCommand(
    name="aws",
    summary="AWS identities, credentials, policies and trusts (read-only calls)",
    options=aws_options,
    collect=collect,
    permissions=permissions,
)
