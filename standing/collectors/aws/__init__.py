"""Read-only AWS collector: IAM principals, credentials, policies and trusts -> Inventory.

``collect_aws`` is the only entry point; the stages behind it are separate modules:
``fetch`` (SDK calls only) -> ``normalize`` (pure) -> ``Inventory``, with ``organization``
fanning out over member accounts and ``operations`` declaring every call that may be made.
"""

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
from standing.collectors.aws.operations import OPERATIONS, AwsOperation, read_only_policy
from standing.collectors.aws.organization import scan_organization
from standing.collectors.aws.session import (
    CREDENTIAL_ERRORS,
    AwsScanOptions,
    UndeclaredOperationError,
    install_guard,
    make_session,
    require_credentials,
)
from standing.scanner.errors import UserError
from standing.scanner.model import Inventory, Provider, ScanMeta, merge_inventories

__all__ = [
    "OPERATIONS",
    "AwsOperation",
    "AwsScanOptions",
    "UndeclaredOperationError",
    "collect_aws",
    "read_only_policy",
]


def collect_aws(
    options: AwsScanOptions,
    *,
    session: boto3.Session | None = None,
    now: Callable[[], datetime],
    sleep: Callable[[float], None] = time.sleep,
    progress: Console | None = None,
) -> Inventory:
    """Scan the caller's account, or the whole organization when ``options.organization``.

    ``session`` lets tests and benchmarks pass their own ``boto3.Session``; the read-only
    guard is installed on it either way. Raises ``UserError`` when the caller's credentials
    are missing or rejected; every later failure is a coverage gap in the result.
    """
    started = now()
    if session is None:
        session = make_session(options)
    install_guard(session)
    require_credentials(session, options)
    with _caller_errors(options):
        if options.organization:
            parts = scan_organization(session, options, now=now, sleep=sleep, progress=progress)
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
        raise UserError(
            source, f"rejected by STS ({error.get('Code')}: {error.get('Message')})"
        ) from err
    except (BotocoreConnectionError, ReadTimeoutError) as err:
        endpoint = options.endpoint_url or "the AWS endpoint"
        raise UserError(endpoint, f"cannot connect ({err})") from err
