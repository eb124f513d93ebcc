"""Collectors: one package per source (aws, gcp, azure, iac), each fetch -> normalize -> Inventory.

A collector package imports nothing on load: its public names are handed out by
``lazy_exports``, so the IaC converters and the gate import a ``normalize`` without the cloud
SDK, and the CLI starts without it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(exports: Mapping[str, str]) -> Callable[[str], Any]:
    """A package's ``__getattr__`` (PEP 562): each public name is imported from the module that
    defines it, on first use."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(name)
        return getattr(importlib.import_module(module), name)

    return __getattr__
