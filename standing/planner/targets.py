"""What the new path is for one pattern: its description, TTL, effort, IaC and policies.

Provider modules (``aws_targets``, ``gcp_targets``, ``azure_targets``) fill a ``Target``;
the builder turns it into steps and a plan. Values the inventory cannot know (a repository
name, a CA certificate) are never guessed silently: they appear as ``REPLACE-WITH-...``
and are listed in ``placeholders``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from standing.planner.context import PlanContext
from standing.planner.model import AgenticControls, AwsPolicyDocument, IacSnippet

REPLACE = "REPLACE-WITH-"


@dataclass
class Target:
    description: str
    ttl_seconds: int | None
    effort: int
    iac: list[IacSnippet]
    switch: str
    deactivate: str
    reactivate: str
    delete: str
    policies: list[AwsPolicyDocument] = field(default_factory=list)
    placeholders: list[str] = field(default_factory=list)
    agentic: AgenticControls | None = None
    # Names of the new roles or principals whose use verifies the plan, when not the default
    # ``<name>-jit`` (a CI plan split into an everyday and a deploy role names both).
    new_paths: list[str] = field(default_factory=list)


def tag(ctx: PlanContext, *keys: str) -> str | None:
    tags = {k.lower(): v for k, v in ctx.identity.tags.items()}
    return next((tags[k] for k in keys if tags.get(k)), None)


def placeholder(target_placeholders: list[str], what: str, why: str) -> str:
    """A stand-in value, recorded so the plan says what must be filled in."""
    value = REPLACE + what
    target_placeholders.append(f"{value}: {why}")
    return value
