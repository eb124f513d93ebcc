"""Following a discovery client's page tokens: shared by every REST listing the collector makes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def pages(request: Any, next_page: Callable[[Any, Any], Any], field: str) -> list[dict[str, Any]]:
    """Every item of ``field`` over all pages; ``next_page`` is the client's ``*_next``."""
    items: list[dict[str, Any]] = []
    while request is not None:
        response = request.execute()
        items.extend(response.get(field, []))
        request = next_page(request, response)
    return items
