"""How a collector appears on the command line, so adding a provider touches one module here and no other CLI code.

Each module of this package defines ``COMMAND`` for one collector (``standing.collectors.<name>``);
the CLI builds ``standing collect <name>`` and ``standing scan <name>`` from it. Keep these modules
light: the collector and its SDKs are imported inside ``collect``, not at CLI start-up.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from rich.console import Console

from standing.core.model import Inventory

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


def provider_commands() -> list[ProviderCommand]:
    """Every module of this package that defines ``COMMAND``, in name order."""
    import standing.cli.providers as package

    commands = []
    for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        found = importlib.import_module(f"{package.__name__}.{module.name}")
        commands.append(found.COMMAND)
    return commands
