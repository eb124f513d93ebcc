"""Constants and helpers shared by the AWS collector tests (importable, unlike conftest)."""

from __future__ import annotations

from datetime import UTC, datetime

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
REGION = "us-east-1"
ACCT = "123456789012"  # moto's default account


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def fixed_now() -> datetime:
    return NOW


def no_sleep(seconds: float) -> None:
    del seconds
