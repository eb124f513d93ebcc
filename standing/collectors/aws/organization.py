"""Organization fan-out: list member accounts, assume a read-only role in each, scan them all.

Accounts are scanned concurrently; one account failing (role missing, AssumeRole denied,
endpoint down) becomes a coverage gap for that account and the others go on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError, ReadTimeoutError
from botocore.exceptions import ConnectionError as BotocoreConnectionError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

import standing
from standing.collectors.aws.fetch import CoverageLog, client_error_entry, fetch_account
from standing.collectors.aws.normalize import account_scope_id, normalize_account
from standing.collectors.aws.operations import operation
from standing.collectors.aws.session import (
    AwsScanOptions,
    make_client,
    region_for,
    session_from_credentials,
)
from standing.scanner.model import (
    CoverageEntry,
    CoverageStatus,
    Inventory,
    Provider,
    ScanMeta,
    Scope,
    ScopeKind,
)

ROLE_SESSION_NAME = "standing-scan"
_ACTIVE = "ACTIVE"


@dataclass(frozen=True, kw_only=True)
class OrgAccount:
    """A member account as ListAccounts reports it."""

    id: str
    name: str | None
    state: str
    """``State`` (newer) or ``Status`` (older API versions), e.g. ``"ACTIVE"``."""


def list_org_accounts(organizations: Any, log: CoverageLog) -> list[OrgAccount] | None:
    """Every account of the organization, or ``None`` (recorded in ``log``) if unreadable."""

    def call() -> list[dict[str, Any]]:
        paginator = organizations.get_paginator("list_accounts")
        return paginator.paginate().build_full_result().get("Accounts", [])

    listed = log.attempt(operation("organizations", "ListAccounts"), call)
    if listed is None:
        return None
    return [
        OrgAccount(
            id=str(item["Id"]),
            name=item.get("Name"),
            state=str(item.get("State") or item.get("Status") or "UNKNOWN"),
        )
        for item in listed
    ]


def organization_scope(organizations: Any, log: CoverageLog) -> Scope | None:
    described = log.attempt(
        operation("organizations", "DescribeOrganization"), organizations.describe_organization
    )
    if described is None:
        return None
    org_id = str(described["Organization"]["Id"])
    return Scope(
        id=f"aws:organization:{org_id}",
        provider=Provider.AWS,
        kind=ScopeKind.ORGANIZATION,
        name=org_id,
    )


def scan_organization(
    session: boto3.Session,
    options: AwsScanOptions,
    *,
    now: Callable[[], datetime],
    sleep: Callable[[float], None],
    progress: Console | None = None,
) -> list[Inventory]:
    """Per-account inventories (plus one for the organization itself), sorted by account id.

    The caller's own account is scanned with the caller's session; every other active
    account through ``AssumeRole`` into ``options.member_role_name``.
    """
    sts = make_client(session, "sts", options)
    caller = sts.get_caller_identity()
    caller_account = str(caller["Account"])
    partition = str(caller["Arn"]).split(":")[1]
    organizations = make_client(session, "organizations", options)
    log = CoverageLog(caller_account)
    org_scope = organization_scope(organizations, log)
    accounts = list_org_accounts(organizations, log)
    if accounts is None:
        accounts = [OrgAccount(id=caller_account, name=None, state=_ACTIVE)]
    elif caller_account not in {a.id for a in accounts}:
        accounts.append(OrgAccount(id=caller_account, name=None, state=_ACTIVE))

    skip_op = operation("sts", "AssumeRole")
    for account in accounts:
        if account.state != _ACTIVE:
            log.entries.append(
                CoverageEntry(
                    provider=Provider.AWS,
                    scope=account.id,
                    operation=skip_op.action,
                    status=CoverageStatus.SKIPPED,
                    detail=f"account state {account.state}",
                )
            )
    active = [a for a in accounts if a.state == _ACTIVE]
    parent_id = org_scope.id if org_scope is not None else None
    scanner = _AccountScanner(
        caller_session=session,
        caller_account=caller_account,
        sts=sts,
        partition=partition,
        options=options,
        now=now,
        sleep=sleep,
        parent_scope_id=parent_id,
    )
    parts: list[Inventory] = []
    with _progress_bar(progress, len(active)) as advance:
        with ThreadPoolExecutor(max_workers=max(1, options.max_workers)) as pool:
            futures = [pool.submit(scanner.scan, account) for account in active]
            for future in as_completed(futures):
                parts.append(future.result())
                advance()
    parts.sort(key=lambda part: part.scopes[0].id)
    org_part = Inventory(
        meta=_meta(now()),
        scopes=[org_scope] if org_scope is not None else [],
        coverage=log.entries,
    )
    return [org_part, *parts]


@dataclass(frozen=True, kw_only=True)
class _AccountScanner:
    caller_session: boto3.Session
    caller_account: str
    sts: Any
    partition: str
    options: AwsScanOptions
    now: Callable[[], datetime]
    sleep: Callable[[float], None]
    parent_scope_id: str | None

    def scan(self, account: OrgAccount) -> Inventory:
        """One account's inventory, or its scope plus the gap that stopped the scan."""
        if account.id == self.caller_account:
            session = self.caller_session
        else:
            assumed = self._assume(account)
            if isinstance(assumed, CoverageEntry):
                return self._failed(account, assumed)
            session = assumed
        try:
            raw = fetch_account(session, self.options, sleep=self.sleep)
        except ClientError as err:
            entry = client_error_entry(operation("sts", "GetCallerIdentity"), account.id, err)
            return self._failed(account, entry)
        except (BotocoreConnectionError, ReadTimeoutError) as err:
            return self._failed(account, _connection_entry("GetCallerIdentity", account.id, err))
        return normalize_account(
            raw, now=self.now(), account_name=account.name, parent_scope_id=self.parent_scope_id
        )

    def _assume(self, account: OrgAccount) -> boto3.Session | CoverageEntry:
        role_arn = f"arn:{self.partition}:iam::{account.id}:role/{self.options.member_role_name}"
        params: dict[str, str] = {"RoleArn": role_arn, "RoleSessionName": ROLE_SESSION_NAME}
        if self.options.external_id:
            params["ExternalId"] = self.options.external_id
        try:
            response = self.sts.assume_role(**params)
        except ClientError as err:
            return client_error_entry(operation("sts", "AssumeRole"), account.id, err)
        except (BotocoreConnectionError, ReadTimeoutError) as err:
            return _connection_entry("AssumeRole", account.id, err)
        # The secret goes straight into the session and is not kept anywhere else.
        return session_from_credentials(
            response["Credentials"], region=region_for(self.caller_session, self.options)
        )

    def _failed(self, account: OrgAccount, entry: CoverageEntry) -> Inventory:
        scope = Scope(
            id=account_scope_id(account.id),
            provider=Provider.AWS,
            kind=ScopeKind.ACCOUNT,
            name=account.name or account.id,
            parent_id=self.parent_scope_id,
        )
        return Inventory(meta=_meta(self.now()), scopes=[scope], coverage=[entry])


def _connection_entry(api: str, scope: str, err: Exception) -> CoverageEntry:
    return CoverageEntry(
        provider=Provider.AWS,
        scope=scope,
        operation=operation("sts", api).action,
        status=CoverageStatus.FAILED,
        detail=f"{type(err).__name__}: {err}",
    )


def _meta(at: datetime) -> ScanMeta:
    return ScanMeta(
        tool_version=standing.__version__,
        started_at=at,
        finished_at=at,
        providers=[Provider.AWS],
    )


@contextmanager
def _progress_bar(console: Console | None, total: int) -> Iterator[Callable[[], None]]:
    """A rich bar on ``console`` that advances once per account; a no-op without a console."""
    if console is None:
        yield lambda: None
        return
    columns = (
        TextColumn("scanning AWS accounts"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("accounts", total=total)
        yield lambda: bar.advance(task)
