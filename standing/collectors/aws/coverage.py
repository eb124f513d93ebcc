"""How each AWS call went, per account: a denied, throttled or failed call becomes a
``CoverageEntry`` naming it, and the scan goes on. Shared by every fetch module."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from botocore.exceptions import ClientError, ReadTimeoutError
from botocore.exceptions import ConnectionError as BotocoreConnectionError
from botocore.parsers import ResponseParserError

from standing.collectors.aws.operations import AwsOperation
from standing.core.model import CoverageEntry, CoverageStatus, Provider

T = TypeVar("T")

_DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})
_THROTTLED_CODES = frozenset({"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"})


def coverage_status(error_code: str) -> CoverageStatus:
    """How a botocore error code reads in the coverage report."""
    if error_code in _DENIED_CODES:
        return CoverageStatus.DENIED
    if error_code in _THROTTLED_CODES:
        return CoverageStatus.THROTTLED
    return CoverageStatus.FAILED


def client_error_entry(op: AwsOperation, scope: str, err: ClientError) -> CoverageEntry:
    error = err.response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    message = str(error.get("Message", ""))
    return CoverageEntry(
        provider=Provider.AWS,
        scope=scope,
        operation=op.action,
        status=coverage_status(code),
        detail=f"{code}: {message}" if message else code,
    )


class CoverageLog:
    """Runs one operation at a time and records how it went, for one scope (account)."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        self.entries: list[CoverageEntry] = []

    def record(self, op: AwsOperation, status: CoverageStatus, detail: str | None = None) -> None:
        self.entries.append(
            CoverageEntry(
                provider=Provider.AWS,
                scope=self.scope,
                operation=op.action,
                status=status,
                detail=detail,
            )
        )

    def attempt(self, op: AwsOperation, call: Callable[[], T], *, record_ok: bool = True) -> T | None:
        """``call()``'s result, or ``None`` after recording why it failed."""
        try:
            result = call()
        except ClientError as err:
            self.entries.append(client_error_entry(op, self.scope, err))
            return None
        except (BotocoreConnectionError, ReadTimeoutError) as err:
            # botocore's message names the endpoint and the cause; it never holds credentials.
            self.record(op, CoverageStatus.FAILED, f"{type(err).__name__}: {err}")
            return None
        except ResponseParserError as err:
            # An answer not in AWS's wire format (a proxy's error page, an emulator's 500): the
            # call is missed like a failed one, never a crash; the body is cut, not echoed whole.
            self.record(op, CoverageStatus.FAILED, f"the answer was not in AWS's wire format: {str(err)[:160]}")
            return None
        if record_ok:
            self.record(op, CoverageStatus.OK)
        return result
