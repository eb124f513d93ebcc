"""``plans.json``: the versioned plans document, and where it and ``plans.md`` are written.

Bump ``PLANS_VERSION`` on any change a consumer could notice.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from standing.analysis.risk import RiskModel
from standing.core.findings import Finding
from standing.core.json_out import model_json, model_json_chunks
from standing.core.safe_text import json_text
from standing.core.stream_out import atomic_stream
from standing.planner.builder import build_plans
from standing.planner.model import Plan, PlansDocument
from standing.planner.progress import completed_since, previous_plans
from standing.planner.roadmap import build_roadmap


def plan_estate(
    model: RiskModel, findings: list[Finding], *, generated_at: datetime, previous: list[Plan] | None = None
) -> PlansDocument:
    """Plans from the analysis's own risk model (its graph, hops and blast radii), not a second one."""
    from standing import __version__

    plans = build_plans(model, findings)
    return PlansDocument(
        tool_version=__version__,
        generated_at=generated_at,
        as_of=model.now,
        plans=plans,
        roadmap=build_roadmap(model, plans),
        completed=completed_since(previous or [], plans, model.graph),
    )


def plans_json(document: PlansDocument) -> str:
    return json_text(model_json(document, indent=2)) + "\n"


def write_plans(document: PlansDocument, output_dir: Path) -> list[Path]:
    from standing.planner.markdown import write_markdown

    json_path, md_path = output_dir / "plans.json", output_dir / "plans.md"
    # A plan at a time, as ``plans_json`` and ``render_markdown`` would write them whole.
    with atomic_stream(json_path) as out:
        for chunk in model_json_chunks(document, "plans", indent=2):
            out.write(json_text(chunk))
        out.write("\n")
    with atomic_stream(md_path) as out:
        write_markdown(document, out)
    return [json_path, md_path]


def write_scan_plans(
    model: RiskModel, findings: list[Finding], output_dir: Path, *, generated_at: datetime
) -> tuple[PlansDocument, list[Path]]:
    """A scan's plans beside its findings, marking what the previous scan's plans got done."""
    document = plan_estate(model, findings, generated_at=generated_at, previous=previous_plans(output_dir))
    return document, write_plans(document, output_dir)
