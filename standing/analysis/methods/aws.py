"""AWS escalation methods (see standing.analysis.methods)."""

from __future__ import annotations

from standing.analysis.methods import EscalationMethod

METHODS: tuple[EscalationMethod, ...] = ()
