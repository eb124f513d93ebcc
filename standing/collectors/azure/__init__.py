"""Read-only Azure collector: Entra applications, service principals, managed identities,
their credentials and owners; ARM and Graph grants (PIM-aware) -> Inventory.

``collect_azure`` (live, through the Azure SDKs) and ``import_azure`` (``az`` exports)
live in ``collector.py`` and ``importer.py``. They are loaded on first use, so the CLI starts (and offline
imports work) without the ``azure`` extra installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what __getattr__ hands out, for the type checker
    from standing.collectors.azure.clients import AzureScanOptions
    from standing.collectors.azure.collector import collect_azure
    from standing.collectors.azure.importer import import_azure

__all__ = ["AzureScanOptions", "collect_azure", "import_azure"]


def __getattr__(name: str) -> Any:
    if name == "collect_azure":
        from standing.collectors.azure.collector import collect_azure

        return collect_azure
    if name == "import_azure":
        from standing.collectors.azure.importer import import_azure

        return import_azure
    if name == "AzureScanOptions":
        from standing.collectors.azure.clients import AzureScanOptions

        return AzureScanOptions
    raise AttributeError(name)
