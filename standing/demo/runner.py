"""``standing demo``: the real collector and analysis against a seeded local moto server.

Nothing is faked past the wire: boto3 talks HTTP to moto's server exactly as it would to
AWS through ``--endpoint-url``, so the demo exercises the same code as a live scan.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from rich.console import Console

from standing.core.errors import UserError
from standing.rules.config import ScanConfig
from standing.scan import ScanResult, scan_inventory

DEMO_REGION = "us-east-1"
DEMO_CREDENTIAL = "testing"  # moto accepts any key pair; never the user's own credentials


def run_demo(
    *, output_dir: Path, now: datetime, progress: Console | None = None, formats: tuple[str, ...] = ()
) -> ScanResult:
    try:
        import boto3

        from standing.demo.estate import DEMO_ESTATE, seed_estate, start_moto_server
        from standing.demo.usage import demo_usage
    except ImportError as exc:
        raise UserError(
            "standing demo", f"needs the demo extra ({exc.name} is missing): pip install 'standing-nhi[demo]'"
        ) from None
    from standing.collectors.aws import AwsScanOptions, collect_aws

    status = progress.status("Starting a local moto server and seeding the demo estate...") if progress else None
    if status:
        status.start()
    try:
        with start_moto_server() as server:
            seed_estate(DEMO_ESTATE, endpoint_url=server.endpoint_url, now=now)
            if status:
                status.update(f"Scanning the demo account through {server.endpoint_url} ...")
            session = boto3.Session(
                aws_access_key_id=DEMO_CREDENTIAL,
                aws_secret_access_key=DEMO_CREDENTIAL,
                region_name=DEMO_REGION,
            )
            options = AwsScanOptions(endpoint_url=server.endpoint_url, region=DEMO_REGION, regions=(DEMO_REGION,))
            inventory = collect_aws(options, session=session, now=lambda: now)
        # What a user without the usage permissions passes as --usage-from: the roles' Access
        # Advisor reports, read by the collector's own parser (moto answers no usage API).
        inventory = inventory.model_copy(update={"usage": demo_usage(DEMO_ESTATE, now)})
    finally:
        if status:
            status.stop()
    return scan_inventory(inventory, ScanConfig(), as_of=now, generated_at=now, output_dir=output_dir, formats=formats)
