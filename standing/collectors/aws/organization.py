"""Organization fan-out: list member accounts, assume a read-only role in each, scan them all.

Accounts are scanned concurrently, each as one task on an executor (``collectors.executors``:
a thread pool, or a Dask cluster); one account failing (role missing, AssumeRole denied,
endpoint down, task overrun) becomes a coverage gap for that account and the others go on.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import boto3
from botocore.exceptions import ClientError, ReadTimeoutError
from botocore.exceptions import ConnectionError as BotocoreConnectionError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

import standing
from standing.collectors.aws.fetch import CoverageLog, client_error_entry, fetch_account
from standing.collectors.aws.guardrails import guardrail_records
from standing.collectors.aws.normalize import account_scope_id, normalize_account
from standing.collectors.aws.operations import operation
from standing.collectors.aws.session import (
    AwsScanOptions,
    UndeclaredOperationError,
    make_client,
    make_session,
    region_for,
    session_from_credentials,
)
from standing.collectors.executors import TaskExecutor, TaskFailed, ThreadExecutor
from standing.core.model import (
    CoverageEntry,
    CoverageStatus,
    Inventory,
    Provider,
    ScanMeta,
    Scope,
    ScopeKind,
)

ROLE_SESSION_NAME = "standing-scan"
# The coverage operation of an account whose task failed or overran every attempt.
TASK_OPERATION = "task:scan-account"
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
        return cast(list[dict[str, Any]], paginator.paginate().build_full_result().get("Accounts", []))

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
    described = log.attempt(operation("organizations", "DescribeOrganization"), organizations.describe_organization)
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
    executor: TaskExecutor | None = None,
) -> list[Inventory]:
    """Per-account inventories (plus one for the organization itself), sorted by account id.

    The organization is listed here, with the caller's session; each active account is
    then one task on ``executor`` (a thread pool by default). The caller's own account is
    scanned with the caller's credentials, every other one through ``AssumeRole`` into
    ``options.member_role_name``.
    """
    sts = make_client(session, "sts", options)
    caller_account, partition = _caller_identity(sts)
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
    parent_id = org_scope.id if org_scope is not None else None
    started = now()
    tasks = [
        AccountTask(
            account=account,
            caller_account=caller_account,
            partition=partition,
            parent_scope_id=parent_id,
            now=started,
        )
        for account in accounts
        if account.state == _ACTIVE
    ]
    if executor is None:
        executor = ThreadExecutor(max_workers=options.max_workers)
    # In this process the caller's session is shared; a remote worker builds its own.
    local = CallerSession(session=session, sts=sts) if executor.in_process else None
    scanner = AccountScan(options=options, sleep=sleep, local=local)
    parts: list[Inventory] = []
    with _progress_bar(progress, len(tasks)) as advance:
        for task, result in executor.run(scanner, tasks, fatal=(UndeclaredOperationError,)):
            if isinstance(result, TaskFailed):
                result = _failed(task, _task_failure_entry(task.account.id, result))
            parts.append(result)
            advance()
    parts.sort(key=lambda part: part.scopes[0].id)
    guardrails, tree = guardrail_records(organizations, log, org_scope)
    org_part = Inventory(
        meta=_meta(now()),
        scopes=([org_scope] if org_scope is not None else []) + tree,
        guardrails=guardrails,
        coverage=log.entries,
    )
    return [org_part, *parts]


def scan_one_account(
    session: boto3.Session,
    options: AwsScanOptions,
    account: OrgAccount,
    *,
    parent_scope_id: str | None,
    now: datetime,
    sleep: Callable[[float], None],
) -> Inventory:
    """One account of an organization, entered as a full scan would (used by refresh)."""
    sts = make_client(session, "sts", options)
    caller_account, partition = _caller_identity(sts)
    task = AccountTask(
        account=account,
        caller_account=caller_account,
        partition=partition,
        parent_scope_id=parent_scope_id,
        now=now,
    )
    scanner = AccountScan(options=options, sleep=sleep, local=CallerSession(session=session, sts=sts))
    return scanner(task)


def _caller_identity(sts: Any) -> tuple[str, str]:
    """The caller's account id and partition."""
    caller = sts.get_caller_identity()
    return str(caller["Account"]), str(caller["Arn"]).split(":")[1]


@dataclass(frozen=True, kw_only=True)
class AccountTask:
    """One account to scan: plain data, so it can travel to a worker in another process."""

    account: OrgAccount
    caller_account: str
    partition: str
    parent_scope_id: str | None
    now: datetime


@dataclass(frozen=True, kw_only=True)
class CallerSession:
    """The caller's session and STS client, shared by the threads of this process only."""

    session: boto3.Session
    sts: Any

    def __reduce__(self) -> Any:
        raise TypeError("a boto3 session must not leave its process; workers build their own")


@dataclass(frozen=True, kw_only=True)
class AccountScan:
    """Scans one account wherever the executor runs it.

    With ``local`` (thread pool) it uses the caller's session. Without it (a Dask worker)
    it builds its own guarded session from ``options.profile`` or the worker's default
    credential chain, so only names and ids are ever sent to a worker, never credentials.
    """

    options: AwsScanOptions
    sleep: Callable[[float], None] = time.sleep
    local: CallerSession | None = None

    def __call__(self, task: AccountTask) -> Inventory:
        """One account's inventory, or its scope plus the gap that stopped the scan."""
        caller = self.local or _worker_caller(self.options)
        account = task.account
        if account.id == task.caller_account:
            session = caller.session
        else:
            assumed = self._assume(caller, task)
            if isinstance(assumed, CoverageEntry):
                return _failed(task, assumed)
            session = assumed
        try:
            raw = fetch_account(session, self.options, sleep=self.sleep)
        except ClientError as err:
            entry = client_error_entry(operation("sts", "GetCallerIdentity"), account.id, err)
            return _failed(task, entry)
        except (BotocoreConnectionError, ReadTimeoutError) as err:
            return _failed(task, _connection_entry("GetCallerIdentity", account.id, err))
        return normalize_account(raw, now=task.now, account_name=account.name, parent_scope_id=task.parent_scope_id)

    def _assume(self, caller: CallerSession, task: AccountTask) -> boto3.Session | CoverageEntry:
        account_id = task.account.id
        role_arn = f"arn:{task.partition}:iam::{account_id}:role/{self.options.member_role_name}"
        params: dict[str, str] = {"RoleArn": role_arn, "RoleSessionName": ROLE_SESSION_NAME}
        if self.options.external_id:
            params["ExternalId"] = self.options.external_id
        try:
            response = caller.sts.assume_role(**params)
        except ClientError as err:
            return client_error_entry(operation("sts", "AssumeRole"), account_id, err)
        except (BotocoreConnectionError, ReadTimeoutError) as err:
            return _connection_entry("AssumeRole", account_id, err)
        # The secret goes straight into the session and is not kept anywhere else.
        return session_from_credentials(response["Credentials"], region=region_for(caller.session, self.options))


@functools.lru_cache(maxsize=4)
def _worker_caller(options: AwsScanOptions) -> CallerSession:
    """The caller's session on a worker, built from the worker's own credential chain once
    per process and shared by its threads, as the thread pool shares the caller's."""
    with _WORKER_CALLER_LOCK:  # boto3 sessions are not safe to build clients from concurrently
        session = make_session(options)
        return CallerSession(session=session, sts=make_client(session, "sts", options))


_WORKER_CALLER_LOCK = threading.Lock()


def _failed(task: AccountTask, entry: CoverageEntry) -> Inventory:
    scope = Scope(
        id=account_scope_id(task.account.id),
        provider=Provider.AWS,
        kind=ScopeKind.ACCOUNT,
        name=task.account.name or task.account.id,
        parent_id=task.parent_scope_id,
    )
    return Inventory(meta=_meta(task.now), scopes=[scope], coverage=[entry])


def _task_failure_entry(account_id: str, failure: TaskFailed) -> CoverageEntry:
    return CoverageEntry(
        provider=Provider.AWS,
        scope=account_id,
        operation=TASK_OPERATION,
        status=CoverageStatus.FAILED,
        detail=failure.describe(),
    )


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
