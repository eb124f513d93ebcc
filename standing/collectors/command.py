"""How a collector appears on the command line, so adding a provider touches no CLI code.

Each provider package may hold a ``command`` module defining ``COMMAND``; the CLI builds
``standing collect <name>`` and ``standing scan <name>`` from it. Keep that module light:
the provider's SDKs are imported inside ``collect``, not at CLI start-up.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, TypeVar

from rich.console import Console

from standing.scanner.errors import UserError
from standing.scanner.model import Inventory

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class ProviderCommand:
    name: str
    summary: str
    options: Callable[[F], F]  # adds the provider's collection flags to a click command
    collect: Callable[[dict[str, Any], Callable[[], datetime], Console], Inventory]
    # The least privilege the scanner needs, generated from the operations it declares.
    permissions: Callable[[], dict[str, Any]] | None = None


def click_options(*options: Callable[[F], F]) -> Callable[[F], F]:
    """Stack click options in the order written."""

    def apply(func: F) -> F:
        for option in reversed(options):
            func = option(func)
        return func

    return apply


def require_extra(source: str, extra: str, modules: tuple[str, ...]) -> None:
    """A live scan whose SDKs are not installed: one line saying which extra to install."""
    missing = [m for m in modules if not _importable(m)]
    if missing:
        raise UserError(
            source, f"needs the {extra} extra: pip install 'standing[{extra}]' (missing {', '.join(missing)})"
        )


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def provider_commands() -> list[ProviderCommand]:
    import standing.collectors as package

    commands = []
    for module in pkgutil.iter_modules(package.__path__):
        if not module.ispkg:
            continue
        try:
            found = importlib.import_module(f"{package.__name__}.{module.name}.command")
        except ModuleNotFoundError as exc:
            if exc.name != f"{package.__name__}.{module.name}.command":
                raise
            continue
        commands.append(found.COMMAND)
    return commands
