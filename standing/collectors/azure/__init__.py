"""Read-only Azure collector: Entra applications, service principals, managed identities,
their credentials and owners; ARM and Graph grants (PIM-aware) -> Inventory.

``collect_azure`` (live, through the Azure SDKs) and ``import_azure`` (``az`` exports)
live in ``collector.py`` and ``importer.py``. They are loaded on first use, so the CLI starts (and offline
imports work) without the ``azure`` extra installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from standing.collectors import lazy_exports

if TYPE_CHECKING:  # what __getattr__ hands out, re-exported for the type checker
    from standing.collectors.azure.clients import AzureScanOptions as AzureScanOptions
    from standing.collectors.azure.collector import collect_azure as collect_azure
    from standing.collectors.azure.importer import import_azure as import_azure

_EXPORTS = {
    "AzureScanOptions": "standing.collectors.azure.clients",
    "collect_azure": "standing.collectors.azure.collector",
    "import_azure": "standing.collectors.azure.importer",
}
__all__ = list(_EXPORTS)
__getattr__ = lazy_exports(_EXPORTS)
