"""Entry points of the read-only Azure collector: Entra applications, service principals, managed identities,
their credentials and owners; ARM and Graph grants (PIM-aware) -> Inventory.

``collect_azure`` reads through the Azure SDKs (``fetch.py``) into a ``RawTenant`` that the
pure ``normalize.py`` turns into an inventory; ``importer.import_azure`` does the same from
``az`` exports. ``operations.py`` declares every read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from azure.core.credentials import TokenCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError
from rich.console import Console

import standing
from standing.collectors.azure.clients import (
    AzureScanOptions,
    ClientFactory,
    StaticTokenCredential,
    UndeclaredRequestError,
    make_credential,
)
from standing.collectors.azure.fetch import fetch_tenant, first_call
from standing.collectors.azure.normalize import normalize_tenant
from standing.collectors.azure.operations import OPERATIONS, AzureOperation
from standing.collectors.azure.raw import RawTenant
from standing.core.errors import UserError
from standing.core.model import Inventory, Provider, ScanMeta

__all__ = [
    "OPERATIONS",
    "AzureOperation",
    "AzureScanOptions",
    "RawTenant",
    "StaticTokenCredential",
    "UndeclaredRequestError",
    "collect_azure",
]


def collect_azure(
    options: AzureScanOptions,
    *,
    credential: TokenCredential | None = None,
    now: Callable[[], datetime],
    as_of: datetime | None = None,
    sleep: Callable[[float], None] = time.sleep,
    progress: Console | None = None,
) -> Inventory:
    """Scan the tenant the credential belongs to, and every subscription it can read.

    ``as_of`` (default: ``now()``) decides which secrets count as expired. Raises
    ``UserError`` when no token can be had or the first call is refused; every later
    failure is a coverage gap in the result.
    """
    started = now()
    factory = ClientFactory(credential or make_credential(options), options, sleep)
    tenant_id = _tenant_id(factory, options)
    raw = fetch_tenant(factory, tenant_id=tenant_id, progress=progress)
    meta = ScanMeta(
        tool_version=standing.__version__, started_at=started, finished_at=now(), providers=[Provider.AZURE]
    )
    return normalize_tenant(raw, now=as_of or started, meta=meta)


def _tenant_id(factory: ClientFactory, options: AzureScanOptions) -> str:
    """The first call, Graph ``/organization``: its errors are the user's to fix."""
    graph = factory.graph(connect_retries=1)
    try:
        orgs = first_call(graph)
    except ClientAuthenticationError as err:
        if err.response is None:  # the credential itself could not produce a token
            raise UserError("Azure credentials", f"no token ({_first_line(err)})") from err
        raise UserError("Microsoft Graph", f"rejected the credentials ({_first_line(err)})") from err
    except HttpResponseError as err:
        if options.tenant_id and err.status_code == 403:
            return options.tenant_id
        raise UserError("Microsoft Graph", f"refused the first call ({err.status_code}: {_first_line(err)})") from err
    except ServiceRequestError as err:
        raise UserError(options.graph_endpoint, f"cannot connect ({_first_line(err)})") from err
    finally:
        graph.close()
    if not orgs:
        if options.tenant_id:
            return options.tenant_id
        raise UserError("Microsoft Graph", "/organization returned no tenant; pass --tenant-id")
    return str(orgs[0]["id"]).lower()


def _first_line(err: Exception) -> str:
    text = str(getattr(err, "message", None) or err).strip()
    return text.splitlines()[0] if text else type(err).__name__
