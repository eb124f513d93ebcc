"""Read-only GCP collector: service accounts, keys, IAM policies, federation, key policy -> Inventory.

Two entry points share one ``normalize``: ``collect_gcp`` reads the APIs (``fetch``), and
``import_gcp`` reads the files teams hand over (``importer``). ``operations`` declares every
API method the collector may call.

The package imports nothing on load: the IaC converters and the gate import ``normalize``
without the cloud SDK, and the CLI starts without it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what __getattr__ hands out, for the type checker
    from standing.collectors.gcp.collect import collect_gcp, default_credentials, import_gcp, token_credentials
    from standing.collectors.gcp.fetch import GcpScanOptions
    from standing.collectors.gcp.importer import ImportFiles
    from standing.collectors.gcp.operations import OPERATIONS, READ_ONLY_ROLES

__all__ = [
    "OPERATIONS",
    "READ_ONLY_ROLES",
    "GcpScanOptions",
    "ImportFiles",
    "collect_gcp",
    "import_gcp",
    "default_credentials",
    "token_credentials",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("standing.collectors.gcp.collect"), name)
    raise AttributeError(name)
