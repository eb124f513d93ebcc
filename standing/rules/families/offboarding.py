"""Workload identities nobody uses any more, and nobody owns."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from standing.analysis.compute import compute_uses, describe, is_live
from standing.analysis.graph import PrivilegeGraph
from standing.analysis.privilege import PrivilegeLevel
from standing.core.facts import idleness, is_nhi, window_words
from standing.core.findings import Severity
from standing.core.model import Identity, TrustKind, Workload
from standing.core.traits import Trait
from standing.rules.engine import Hit, Rule


class IdentityUnused(Rule):
    """A workload identity that has not been used for months, or never was.

    Dead identities keep their grants and trusts: whoever can still assume or impersonate
    them inherits standing access nobody is watching. Identities holding long-lived secrets
    are judged by ``key-unused`` instead; identities whose use the provider cannot report
    are not judged. Where the provider keeps use only for a window (AWS: a role's last use for
    the trailing 400 days), no use on record on an identity older than the window is idleness
    of the window's length, and the finding names the window.

    Compute that runs as the identity (``Inventory.workloads``) counts as use the provider
    may not have recorded: an identity with no use on record that live compute runs as (a
    Lambda function, a running instance) is not called unused, since deleting it would break
    that compute. An identity whose recorded last use is old is still flagged, naming the
    compute that has not called the cloud since. Stopped, terminated or failed compute runs
    nothing now and does not count; the finding names it, since restarting it needs the identity.
    """

    id = "identity-unused"
    title = "Workload identity unused"
    severity = Severity.LOW
    traits = frozenset({Trait.UNUSED})

    class Params(BaseModel):
        model_config = ConfigDict(frozen=True, extra="forbid")
        unused_days: int = Field(default=90, ge=1, description="days without use before an identity is dead")
        grace_days: int = Field(default=30, ge=0, description="age a never-used identity may reach")

    def evaluate(self, graph: PrivilegeGraph, params: Params, now: datetime) -> Iterable[Hit]:
        uses = compute_uses(graph)
        for identity in graph.identities():
            if not is_nhi(identity) or identity.disabled or graph.standing_secrets_of(identity.id):
                continue
            idle = idleness(identity, now, unused_days=params.unused_days, grace_days=params.grace_days)
            if idle is None:
                continue
            workloads = uses.running_as(identity.id)
            live = [w for w in workloads if is_live(w)]
            if live and (idle.never or idle.window is not None):
                continue  # no use on record, but live compute runs as it: it serves that compute
            compute = {"compute": [describe(w) for w in workloads]} if workloads else {}
            serves = _serves(workloads, live)
            if idle.window is not None:
                yield Hit(
                    identity=identity,
                    message=f"{identity.name}: {window_words(idle, identity.provider)} (limit {params.unused_days})"
                    + serves,
                    evidence={
                        "no_use_recorded_days": idle.days,
                        "usage_window_days": idle.window,
                        "created": identity.created.isoformat() if identity.created else None,
                        **compute,
                    },
                )
            elif idle.never:
                yield Hit(
                    identity=identity,
                    message=f"{identity.name} has never been used in {idle.days} days" + serves,
                    evidence={"created": idle.since.isoformat(), "age_days": idle.days, **compute},
                )
            else:
                yield Hit(
                    identity=identity,
                    message=f"{identity.name} was last used {idle.days} days ago (limit {params.unused_days})" + serves,
                    evidence={"last_used": idle.since.isoformat(), "idle_days": idle.days, **compute},
                )


def _serves(workloads: list[Workload], live: list[Workload]) -> str:
    """What the message adds about compute that runs as an identity flagged unused."""
    if live:
        return (
            f"; {describe(live[0])} runs as it"
            + (f" (and {len(live) - 1} more)" if len(live) > 1 else "")
            + (" but has not called the cloud since")
        )
    if workloads:
        return f"; it serves only stopped compute ({describe(workloads[0])}), which needs it to start again"
    return ""


class IdentityWithoutOwner(Rule):
    """A workload identity holding standing access that no person or team is recorded as owning.

    When its secret leaks or its job is retired, nobody is called and nobody offboards it.
    Ownership is read from the identity's owner field, from its tags (``owner_tags``; keys
    match case-insensitively, also as the last part of a namespaced key such as
    ``acme:owner``), and from the people who own an Azure application. Record an owner
    (a team, not a person who may leave) on every workload identity that keeps access.

    Off by default, because tagging conventions differ: enable it and name your keys with
    ``[rules.identity-without-owner]`` ``enabled = true`` ``owner_tags = [...]``.
    """

    id = "identity-without-owner"
    title = "Workload identity without an owner"
    severity = Severity.LOW
    enabled_by_default = False

    class Params(BaseModel):
        model_config = ConfigDict(frozen=True, extra="forbid")
        owner_tags: list[str] = Field(
            default=["owner", "owners", "team", "contact", "maintainer"], description="tag keys that name an owner"
        )

    def evaluate(self, graph: PrivilegeGraph, params: Params, now: datetime) -> Iterable[Hit]:
        keys = {k.lower() for k in params.owner_tags}
        for identity in graph.identities():
            if not is_nhi(identity) or identity.disabled or _owned(graph, identity, keys):
                continue
            secrets = graph.standing_secrets_of(identity.id)
            level = graph.privilege_of(identity.id).level
            if not secrets and level < PrivilegeLevel.WRITE:
                continue  # nothing standing to answer for
            holds = [f"{len(secrets)} standing secret(s)"] if secrets else []
            if level >= PrivilegeLevel.WRITE:
                holds.append(f"{level.label} privilege")
            yield Hit(
                identity=identity,
                message=f"{identity.name} holds {' and '.join(holds)} and has no recorded owner",
                evidence={"owner_tags_looked_for": sorted(keys), "holds": holds},
            )


def _owned(graph: PrivilegeGraph, identity: Identity, keys: set[str]) -> bool:
    if identity.owner:
        return True
    for key, value in identity.tags.items():
        name = key.lower()
        if value.strip() and (name in keys or name.replace("/", ":").replace(".", ":").rsplit(":", 1)[-1] in keys):
            return True
    return any(
        t.kind is TrustKind.OWNER and (owner := graph.identity(t.principal)) is not None and owner.human
        for t in graph.trusts_into(identity.id)
    )
