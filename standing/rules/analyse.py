"""An estate analysed: graph, rules, risk. The half of every scan that writes nothing.

Shared by scans, the demo, ``explain``, ``plan``, the gate and its IaC changes, so that a
live scan, a scan of its snapshot and a gate's verdict cannot diverge.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from standing.analysis.graph import PrivilegeGraph
from standing.analysis.risk import RiskModel, enrich
from standing.core.findings import Exposure, Finding
from standing.core.model import Inventory
from standing.rules.config import ScanConfig
from standing.rules.registry import run_rules, traits_of


@dataclass(frozen=True)
class Analysis:
    findings: list[Finding]
    exposure: Exposure
    model: RiskModel  # its graph and cached hops serve the planner too: an estate is analysed once


@contextmanager
def long_lived_heap() -> Iterator[None]:
    """Keep Python's cycle collector off the inventory while it is analysed.

    An estate is millions of long-lived records, and analysis allocates millions of small
    objects (hops, verdicts, findings) that form almost no cycles. Left alone, the collector
    re-scans the whole inventory at every full collection: a fifth of the analysis time of a
    100,000-identity estate. Freezing what exists and collecting less often removes that.
    """
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(threshold[0], 100_000), threshold[1], max(threshold[2], 100))
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def analyse_estate(inventory: Inventory, config: ScanConfig, *, as_of: datetime) -> Analysis:
    with long_lived_heap():
        graph = PrivilegeGraph(inventory, as_of=as_of)
        model = RiskModel(graph, as_of, usage_window_days=_usage_window(config))
        return Analysis(
            enrich(run_rules(graph, config.rules, as_of), model, traits_of=traits_of), model.exposure(), model
        )


def _usage_window(config: ScanConfig) -> int:
    setting = config.rules.get("permissions-unused")
    return int(getattr(setting.params, "unused_days", 90)) if setting is not None else 90


def analyse(inventory: Inventory, config: ScanConfig, *, as_of: datetime) -> list[Finding]:
    return analyse_estate(inventory, config, as_of=as_of).findings
