"""Read-only AWS collector: IAM principals, credentials, policies and trusts -> Inventory.

``collect_aws`` is the entry point (``refresh_aws`` re-reads one account of a merged
organization snapshot); the stages behind it are separate modules:
``fetch`` (SDK calls only) -> ``normalize`` (pure) -> ``Inventory``, with ``organization``
fanning out over member accounts and ``operations`` declaring every call that may be made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from standing.collectors import lazy_exports

if TYPE_CHECKING:  # what __getattr__ hands out, re-exported for the type checker
    from standing.collectors.aws.collect import collect_aws as collect_aws
    from standing.collectors.aws.collect import refresh_aws as refresh_aws
    from standing.collectors.aws.operations import (
        OPERATIONS as OPERATIONS,
    )
    from standing.collectors.aws.operations import (
        AwsOperation as AwsOperation,
    )
    from standing.collectors.aws.operations import (
        read_only_policy as read_only_policy,
    )
    from standing.collectors.aws.session import (
        AwsScanOptions as AwsScanOptions,
    )
    from standing.collectors.aws.session import (
        UndeclaredOperationError as UndeclaredOperationError,
    )

_EXPORTS = {
    "OPERATIONS": "standing.collectors.aws.operations",
    "AwsOperation": "standing.collectors.aws.operations",
    "read_only_policy": "standing.collectors.aws.operations",
    "AwsScanOptions": "standing.collectors.aws.session",
    "UndeclaredOperationError": "standing.collectors.aws.session",
    "collect_aws": "standing.collectors.aws.collect",
    "refresh_aws": "standing.collectors.aws.collect",
}
__all__ = list(_EXPORTS)
__getattr__ = lazy_exports(_EXPORTS)
