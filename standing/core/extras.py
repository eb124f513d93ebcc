"""Optional extras: a feature whose packages are not installed says which extra to install."""

from __future__ import annotations

import importlib.util

from standing.core.errors import UserError


def require_extra(source: str, extra: str, modules: tuple[str, ...]) -> None:
    """A live scan whose SDKs are not installed: one line saying which extra to install."""
    missing = [m for m in modules if not _importable(m)]
    if missing:
        raise UserError(
            source, f"needs the {extra} extra: pip install 'standing-nhi[{extra}]' (missing {', '.join(missing)})"
        )


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False
