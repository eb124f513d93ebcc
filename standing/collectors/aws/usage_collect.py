"""Usage for an already collected AWS inventory: the collector's entry for issue 18.

Separate from ``collect_aws`` because which identities need Access Advisor is decided above
the collectors: under ``--usage flagged`` the scan layer analyses the inventory first and
passes the identities that have a finding (``standing.scan.usage_targets``). The analyzer's
findings are one paged read for the whole account and are always taken when an unused-access
analyzer exists; Access Advisor runs only for the named identities the analyzer did not
cover. Only the caller's account is read (an organization scan's member accounts are not).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3

from standing.collectors.aws.coverage import CoverageLog
from standing.collectors.aws.session import AwsScanOptions, install_guard, make_client, make_session
from standing.collectors.aws.usage import (
    DEFAULT_UNUSED_ACCESS_AGE,
    UsageParseError,
    usage_from_finding,
    usage_from_last_accessed,
)
from standing.collectors.aws.usage_fetch import fetch_access_advisor, fetch_analyzer_usage
from standing.core.errors import UserError
from standing.core.model import IdentityKind, Inventory, PermissionUsage, Provider

ADVISOR_KINDS = frozenset({IdentityKind.USER, IdentityKind.ROLE, IdentityKind.GROUP})


def collect_aws_usage(
    inventory: Inventory,
    options: AwsScanOptions,
    targets: list[str] | None,
    *,
    now: Callable[[], datetime],
    session: boto3.Session | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Inventory:
    """``inventory`` with ``usage`` filled for the caller's account and the reads' coverage.

    ``targets``: identity ids Access Advisor may be asked about (``None``: every user, role
    and group of the account, ``--usage all``).
    """
    session = install_guard(session if session is not None else make_session(options))
    accounts = {i.account for i in inventory.identities if i.provider is Provider.AWS and i.kind is IdentityKind.ROOT}
    account = next(iter(accounts), "") if len(accounts) == 1 else _caller_account(inventory)
    log = CoverageLog(f"aws:{account}")
    observed = now()
    wanted = set(targets) if targets is not None else None
    found = fetch_analyzer_usage(make_client(session, "accessanalyzer", options), log, observed, wanted)
    records: list[PermissionUsage] = list(found.records) if found else []
    covered = {r.identity_id for r in records}
    if found is None:
        arns = [
            i.id
            for i in inventory.identities
            if i.provider is Provider.AWS
            and i.kind in ADVISOR_KINDS
            and i.account == account
            and i.id not in covered
            and (wanted is None or i.id in wanted)
        ]
        records += fetch_access_advisor(make_client(session, "iam", options), log, arns, observed, sleep=sleep)
    return inventory.model_copy(
        update={"usage": [*inventory.usage, *records], "coverage": [*inventory.coverage, *log.entries]}
    )


def _caller_account(inventory: Inventory) -> str:
    scopes = [s.id for s in inventory.scopes if s.id.startswith("aws:account:")]
    return scopes[0].removeprefix("aws:account:") if scopes else ""


def usage_from_exports(paths: list[str], now: datetime) -> list[PermissionUsage]:
    """Records from CLI exports: ``aws accessanalyzer get-finding-v2`` JSON (the finding names
    its identity), or ``ARN=FILE`` for ``aws iam get-service-last-accessed-details`` JSON (the
    report does not). A bad file is a ``UserError`` naming it."""
    import json

    records: list[PermissionUsage] = []
    for spec in paths:
        arn, sep, name = spec.partition("=") if spec.startswith("arn:") else ("", "", spec)
        path = Path(name if sep else spec)
        try:
            data: Any = json.loads(path.read_text(encoding="utf-8"))
            if arn:
                records.append(usage_from_last_accessed(arn, data, now))
            elif isinstance(data, dict) and "findings" in data:
                raise UsageParseError(
                    "is a list-findings-v2 listing, which names no services: export get-finding-v2 per finding"
                )
            else:
                # an exported finding does not carry its analyzer's unusedAccessAge
                record = usage_from_finding(data, DEFAULT_UNUSED_ACCESS_AGE, now)
                if record is not None:
                    records.append(record)
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise UserError(str(path), f"is not a usable AWS usage export: {str(err)[:200]}") from err
    return records
