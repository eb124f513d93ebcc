"""The GCP collector's entry points; ``__init__`` re-exports them lazily."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from rich.console import Console

from standing.collectors.gcp.fetch import GcpClients, GcpScanOptions, fetch_estate
from standing.collectors.gcp.importer import ImportFiles, load_files
from standing.collectors.gcp.normalize import normalize_estate
from standing.core.errors import UserError
from standing.core.model import CoverageEntry, CoverageStatus, Inventory, Provider

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"


def default_credentials(impersonate: str | None = None) -> Any:
    """Application Default Credentials, optionally impersonating a scanner service account."""
    import google.auth
    from google.auth import impersonated_credentials
    from google.auth.exceptions import DefaultCredentialsError

    try:
        credentials, _ = google.auth.default(scopes=[CLOUD_PLATFORM])
    except DefaultCredentialsError as err:
        raise UserError(
            "Application Default Credentials", f"none found; run `gcloud auth application-default login` ({err})"
        ) from err
    if impersonate:
        credentials = impersonated_credentials.Credentials(
            source_credentials=credentials, target_principal=impersonate, target_scopes=[CLOUD_PLATFORM]
        )
    return credentials


def token_credentials(token: str) -> Any:
    """A bare bearer token: for emulators and recorded-wire tests on loopback endpoints only."""
    from google.oauth2.credentials import Credentials

    return Credentials(token=token)


def collect_gcp(
    options: GcpScanOptions, *, credentials: Any, now: Callable[[], datetime], progress: Console | None = None
) -> Inventory:
    """Scan the organization, folders and projects named in ``options``.

    A 403 on a project or API becomes a coverage entry; the scan goes on.
    """
    if not (options.organization or options.folders or options.projects):
        raise UserError("gcp scan", "name a scope: --organization, --folder or --project")
    started = now()
    with _connection_errors(options):
        raw = fetch_estate(GcpClients(credentials, options), options, progress)
    inventory = normalize_estate(raw, now=started)
    return inventory.model_copy(update={"meta": inventory.meta.model_copy(update={"finished_at": now()})})


@contextmanager
def _connection_errors(options: GcpScanOptions) -> Iterator[None]:
    """No token, no network: the user's to fix, in one line. API errors are coverage, not these."""
    import httplib2
    from google.auth.exceptions import GoogleAuthError, RefreshError

    try:
        yield
    except RefreshError as err:
        raise UserError("GCP credentials", f"could not obtain an access token ({_first_line(err)})") from None
    except (OSError, httplib2.HttpLib2Error, GoogleAuthError) as err:
        # requests' ConnectionError is an OSError
        raise UserError(options.api_endpoint or "Google APIs", f"cannot connect ({_first_line(err)})") from None


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0][:300]


def import_gcp(files: ImportFiles, *, now: Callable[[], datetime]) -> Inventory:
    """The same inventory from gcloud / Cloud Asset Inventory JSON files; files that name no
    service account are a gap, never a clean scan."""
    inventory = normalize_estate(load_files(files), now=now())
    if inventory.identities:
        return inventory
    return inventory.model_copy(update={"coverage": [*inventory.coverage, NO_IDENTITY]})


NO_IDENTITY = CoverageEntry(
    provider=Provider.GCP,
    scope="import",
    operation="import:identities",
    status=CoverageStatus.SKIPPED,
    detail="the imported files name no service account: nothing was judged",
)
