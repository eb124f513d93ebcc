"""The AWS collector's entry points; ``__init__`` re-exports them lazily."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

import boto3
from botocore.exceptions import ClientError, NoCredentialsError, ReadTimeoutError
from botocore.exceptions import ConnectionError as BotocoreConnectionError
from rich.console import Console

import standing
from standing.collectors.aws.fetch import fetch_account
from standing.collectors.aws.normalize import normalize_account
from standing.collectors.aws.organization import OrgAccount, scan_one_account, scan_organization
from standing.collectors.aws.refresh import account_scope, refreshed_source_times, replace_account
from standing.collectors.aws.session import (
    CREDENTIAL_ERRORS,
    AwsScanOptions,
    install_guard,
    make_session,
    require_credentials,
)
from standing.collectors.executors import TaskExecutor
from standing.core.errors import UserError
from standing.core.model import Inventory, Provider, ScanMeta, merge_inventories


def collect_aws(
    options: AwsScanOptions,
    *,
    session: boto3.Session | None = None,
    now: Callable[[], datetime],
    sleep: Callable[[float], None] = time.sleep,
    progress: Console | None = None,
    executor: TaskExecutor | None = None,
) -> Inventory:
    """Scan the caller's account, or the whole organization when ``options.organization``.

    ``session`` lets tests and benchmarks pass their own ``boto3.Session``; the read-only
    guard is installed on it either way. ``executor`` runs the per-account tasks of an
    organization scan (default: a thread pool of ``options.max_workers``). Raises
    ``UserError`` when the caller's credentials are missing or rejected; every later
    failure is a coverage gap in the result.
    """
    started = now()
    session = _caller_session(options, session)
    with _caller_errors(options):
        if options.organization:
            parts = scan_organization(session, options, now=now, sleep=sleep, progress=progress, executor=executor)
        else:
            raw = fetch_account(session, options, sleep=sleep)
            parts = [normalize_account(raw, now=started)]
    source_times = {k: v for part in parts for k, v in part.meta.source_times.items()}
    meta = ScanMeta(
        tool_version=standing.__version__,
        started_at=started,
        finished_at=now(),
        providers=[Provider.AWS],
        source_times=source_times,
    )
    return merge_inventories(parts, meta)


def refresh_aws(
    merged: Inventory,
    account_id: str,
    options: AwsScanOptions,
    *,
    source: str,
    session: boto3.Session | None = None,
    now: Callable[[], datetime],
    sleep: Callable[[float], None] = time.sleep,
) -> Inventory:
    """``merged`` (read from ``source``) with one account re-read and swapped in.

    Only that account is read: no ListAccounts, no other account. It is entered as the
    organization scan entered it (the caller's own credentials for the caller's account,
    AssumeRole into ``options.member_role_name`` for any other) and keeps its name and
    place in the organization.
    """
    scope = account_scope(merged, account_id)
    if scope is None:
        raise UserError(source, f"holds no AWS account {account_id} to refresh")
    session = _caller_session(options, session)
    with _caller_errors(options):
        fresh = scan_one_account(
            session,
            options,
            OrgAccount(id=account_id, name=scope.name, state="ACTIVE"),
            parent_scope_id=scope.parent_id,
            now=now(),
            sleep=sleep,
        )
    meta = ScanMeta(
        tool_version=standing.__version__,
        started_at=merged.meta.started_at,
        finished_at=now(),
        providers=merged.meta.providers,
        source_times=refreshed_source_times(merged, fresh, account_id),
    )
    return replace_account(merged, fresh, account_id, meta)


def _caller_session(options: AwsScanOptions, session: boto3.Session | None) -> boto3.Session:
    if session is None:
        session = make_session(options)
    install_guard(session)
    require_credentials(session, options)
    return session


@contextmanager
def _caller_errors(options: AwsScanOptions) -> Iterator[None]:
    """Errors of the caller's own first call (GetCallerIdentity) are the user's to fix."""
    source = f"AWS profile '{options.profile}'" if options.profile else "AWS credentials"
    try:
        yield
    except NoCredentialsError as err:
        raise UserError(source, "no credentials found") from err
    except CREDENTIAL_ERRORS as err:
        # Refreshable credentials (SSO, assume-role profiles) load at the first call.
        raise UserError(source, f"credentials could not be loaded ({err})") from err
    except ClientError as err:
        error = err.response.get("Error", {})
        raise UserError(source, f"rejected by STS ({error.get('Code')}: {error.get('Message')})") from err
    except (BotocoreConnectionError, ReadTimeoutError) as err:
        endpoint = options.endpoint_url or "the AWS endpoint"
        raise UserError(endpoint, f"cannot connect ({err})") from err
