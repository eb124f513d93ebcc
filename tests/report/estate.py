"""A small estate for the report tests: a path to admin, hostile names, a coverage gap, a history.

The names are what an attacker who can name a cloud identity would try: markup that runs when
written as HTML, a ``</script>`` that would end an embedded data block, a spreadsheet formula.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from standing.core.model import (
    ComputeKind,
    CoverageEntry,
    CoverageStatus,
    Credential,
    CredentialKind,
    Identity,
    IdentityKind,
    Provider,
    TrustKind,
    Workload,
)
from standing.rules.config import ScanConfig
from standing.scan import ScanResult, scan_inventory
from tests.builders import ACCOUNT, NOW, allow, arn, days_ago, grant, inventory, key, policy, role, trust, user

HOSTILE_NAME = "<img src=x onerror=alert(1)>"
SCRIPT_BREAKER = "x</script><script>alert(2)</script><!--\u2028"
FORMULA_NAME = '=HYPERLINK("http://evil.example")'
GAP_DETAIL = "<b>AccessDenied</b> for iam:GetAccountAuthorizationDetails"
# A function running as the admin role, whose code the hostile user can replace
COMPUTE_NAME = "<svg onload=alert(3)>billing-sync"
COMPUTE_REGION = "eu-west-1"
OPS_ROLE = "acme-ops"
EARLIER = NOW - timedelta(days=30)
GCP_PROJECT = "data-prod"
FILLERS = 60  # old keys: more findings than one page of the table holds


def estate(*, fillers: int = FILLERS, with_gap: bool = True):
    admin, ops = role("acme-admin"), role(OPS_ROLE)
    admin_policy = policy("Admin", allow("*"))
    hostile = user(HOSTILE_NAME)
    function_arn = f"arn:aws:lambda:{COMPUTE_REGION}:{ACCOUNT}:function:billing-sync"
    assume = policy(
        "AssumeAdmin",
        allow("sts:AssumeRole", arn("role", "acme-admin")),
        allow("lambda:UpdateFunctionCode", function_arn),
    )
    breaker = user(SCRIPT_BREAKER)
    formula = user(FORMULA_NAME)
    records = [
        admin,
        admin_policy,
        grant(admin, admin_policy),
        trust(admin, f"arn:aws:iam::{ACCOUNT}:root", TrustKind.ACCOUNT),
        # the near miss of the function: an admin role no compute runs as
        ops,
        grant(ops, admin_policy),
        trust(ops, f"arn:aws:iam::{ACCOUNT}:root", TrustKind.ACCOUNT),
        hostile,
        assume,
        grant(hostile, assume),
        key(hostile, "AKIAHOSTILE", age=400, used=1),
        breaker,
        key(breaker, "AKIABREAKER", age=800, used=None),
        formula,
        key(formula, "AKIAFORMULA", age=200, used=3),
    ]
    etl = Identity(
        id=f"projects/{GCP_PROJECT}/serviceAccounts/etl@{GCP_PROJECT}.iam.gserviceaccount.com",
        provider=Provider.GCP,
        kind=IdentityKind.SERVICE_ACCOUNT,
        account=GCP_PROJECT,
        name=f"etl@{GCP_PROJECT}.iam.gserviceaccount.com",
        human=False,
    )
    records += [
        etl,
        Credential(
            id=f"{etl.id}/keys/k1", identity_id=etl.id, kind=CredentialKind.SA_KEY, active=True, created=days_ago(45)
        ),
    ]
    for i in range(fillers):
        filler = user(f"svc-batch-{i:02d}")
        records += [filler, key(filler, f"AKIAFILL{i:02d}", age=100 + i, used=1)]
    inv = inventory(*records)
    function = Workload(
        id=function_arn,
        provider=Provider.AWS,
        kind=ComputeKind.LAMBDA_FUNCTION,
        name=COMPUTE_NAME,
        account=ACCOUNT,
        region=COMPUTE_REGION,
        identity_ids=[admin.id],
        state="Active",
    )
    inv = inv.model_copy(update={"workloads": [function]})
    inv = inv.model_copy(update={"meta": inv.meta.model_copy(update={"providers": [Provider.AWS, Provider.GCP]})})
    if with_gap:
        gap = CoverageEntry(
            provider=Provider.AWS,
            scope=f"aws:account:{ACCOUNT}",
            operation="iam:ListAccessKeys",
            status=CoverageStatus.DENIED,
            detail=GAP_DETAIL,
        )
        inv = inv.model_copy(update={"coverage": [gap]})
    return inv


def scan_into(directory: Path, *, earlier: bool = False) -> ScanResult:
    """A scan's --output-dir; the earlier scan had more old keys (the trend goes down)."""
    as_of = EARLIER if earlier else NOW
    inv = estate(fillers=FILLERS + 60 if earlier else FILLERS)
    return scan_inventory(inv, ScanConfig(), as_of=as_of, generated_at=as_of, output_dir=directory)
