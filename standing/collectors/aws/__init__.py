"""Read-only AWS collector: IAM principals, credentials, policies and trusts -> Inventory.

``collect_aws`` is the entry point (``refresh_aws`` re-reads one account of a merged
organization snapshot); the stages behind it are separate modules:
``fetch`` (SDK calls only) -> ``normalize`` (pure) -> ``Inventory``, with ``organization``
fanning out over member accounts and ``operations`` declaring every call that may be made.

The package imports nothing on load: the IaC converters and the gate import ``normalize``
without the cloud SDK, and the CLI starts without it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what __getattr__ hands out, for the type checker
    from standing.collectors.aws.collect import collect_aws, refresh_aws
    from standing.collectors.aws.operations import OPERATIONS, AwsOperation, read_only_policy
    from standing.collectors.aws.session import AwsScanOptions, UndeclaredOperationError

__all__ = [
    "OPERATIONS",
    "AwsOperation",
    "AwsScanOptions",
    "UndeclaredOperationError",
    "collect_aws",
    "refresh_aws",
    "read_only_policy",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("standing.collectors.aws.collect"), name)
    raise AttributeError(name)
