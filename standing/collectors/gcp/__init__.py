"""Read-only GCP collector: service accounts, keys, IAM policies, federation, key policy -> Inventory.

Two entry points share one ``normalize``: ``collect_gcp`` reads the APIs (``fetch``), and
``import_gcp`` reads the files teams hand over (``importer``). ``operations`` declares every
API method the collector may call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from standing.collectors import lazy_exports

if TYPE_CHECKING:  # what __getattr__ hands out, re-exported for the type checker
    from standing.collectors.gcp.collect import (
        collect_gcp as collect_gcp,
    )
    from standing.collectors.gcp.collect import (
        default_credentials as default_credentials,
    )
    from standing.collectors.gcp.collect import (
        import_gcp as import_gcp,
    )
    from standing.collectors.gcp.collect import (
        token_credentials as token_credentials,
    )
    from standing.collectors.gcp.fetch import GcpScanOptions as GcpScanOptions
    from standing.collectors.gcp.importer import ImportFiles as ImportFiles
    from standing.collectors.gcp.operations import OPERATIONS as OPERATIONS
    from standing.collectors.gcp.operations import READ_ONLY_ROLES as READ_ONLY_ROLES

_EXPORTS = {
    "OPERATIONS": "standing.collectors.gcp.operations",
    "READ_ONLY_ROLES": "standing.collectors.gcp.operations",
    "GcpScanOptions": "standing.collectors.gcp.fetch",
    "ImportFiles": "standing.collectors.gcp.importer",
    "collect_gcp": "standing.collectors.gcp.collect",
    "import_gcp": "standing.collectors.gcp.collect",
    "default_credentials": "standing.collectors.gcp.collect",
    "token_credentials": "standing.collectors.gcp.collect",
}
__all__ = list(_EXPORTS)
__getattr__ = lazy_exports(_EXPORTS)
