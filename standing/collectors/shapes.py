"""What the offline imports of every cloud share when they check an export's shape before use.

Each cloud's ``shapes`` module names the fields its importer reads; the strictness of those
models and the reading of a date field (in the normalizer's own dialect, and within the range
the inventory can hold) are the same for all of them, so they are written once here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict


class ExportShape(BaseModel):
    """Strict types for the fields read; every other field passes through unchecked."""

    model_config = ConfigDict(extra="allow", strict=True, populate_by_name=True)


def date_text(parse: Callable[[str], datetime | None], dialect: str) -> Callable[[str], str]:
    """A validator for a date field: readable by the normalizer's ``parse``, and convertible to UTC."""

    def check(value: str) -> str:
        try:
            parsed = parse(value)
            if parsed is not None:
                parsed.astimezone(UTC)  # what the inventory does with it; out of range near year 1 or 9999
        except ValueError:
            raise ValueError(f"{value[:40]!r} is not a date ({dialect})") from None
        except OverflowError:
            raise ValueError(f"{value[:40]!r} is outside the supported range of dates") from None
        return value

    return check
