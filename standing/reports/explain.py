"""``standing explain IDENTITY``: one identity, everything the scan knows about it.

Reads the graph and the findings; computes nothing new. The compute that runs as the
identity and the hops that take it over come from ``analysis.compute``; the cut of a path to
admin from the evidence of the finding that reports the path. Every cloud-supplied string is
printed as ``Text``, never as markup, and through ``printable`` (``standing.core.safe_text``),
so a name's escape sequences, bidi overrides and newlines are shown, not obeyed.
"""

from __future__ import annotations

from datetime import datetime

from rich.console import Console
from rich.table import Table
from rich.text import Text

from standing.analysis.compute import compute_uses, describe
from standing.analysis.graph import PrivilegeGraph
from standing.analysis.guardrails import cut_hops
from standing.analysis.hops import ADMIN_SINK
from standing.core.errors import UserError
from standing.core.findings import Finding
from standing.core.model import Identity, UsageStatus
from standing.core.safe_text import printable

_MAX_LISTED = 20  # a long tail of indirect paths says "this identity is widely reachable"; the count says it


def find_identity(graph: PrivilegeGraph, wanted: str, source: str) -> Identity:
    """By canonical id, or by name when the name is unique."""
    exact = graph.identity(wanted)
    if exact is not None:
        return exact
    named = sorted((i for i in graph.identities() if i.name == wanted), key=lambda i: i.id)
    if len(named) == 1:
        return named[0]
    if named:
        raise UserError(
            source,
            f"{len(named)} identities are named {wanted!r}; give one id: " + ", ".join(printable(i.id) for i in named),
        )
    raise UserError(source, f"no identity with id or name {wanted!r}")


def _text(text: object, style: str = "") -> Text:
    """Cloud text as one inert terminal line."""
    return Text(printable(text), style=style)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "-"


def _name(graph: PrivilegeGraph, identity_id: str) -> str:
    if identity_id == ADMIN_SINK:
        return "administrator"
    identity = graph.identity(identity_id)
    return identity.name if identity else identity_id


def _compute(console: Console, graph: PrivilegeGraph, identity: Identity) -> None:
    """The compute whose code runs as it, and who can take that compute over (and so run code as it)."""
    uses = compute_uses(graph)
    workloads = uses.running_as(identity.id)
    if not workloads:
        return
    console.print(_text(f"Compute that runs as it ({len(workloads)}):", style="bold"))
    for workload in workloads[:_MAX_LISTED]:
        console.print(_text(f"  {describe(workload)}  {workload.id}"))
    if len(workloads) > _MAX_LISTED:
        console.print(_text(f"  ... and {len(workloads) - _MAX_LISTED} more"))
    takeovers = uses.takeovers_into(identity.id)
    if takeovers:
        console.print(_text(f"Who can take that compute over ({len(takeovers)}):", style="bold"))
        for h in takeovers[:_MAX_LISTED]:
            method = f" [{h.method}]" if h.method else ""
            console.print(_text(f"  {_name(graph, h.source)}{method}: {h.reason}"))
        if len(takeovers) > _MAX_LISTED:
            console.print(_text(f"  ... and {len(takeovers) - _MAX_LISTED} more"))
    else:
        console.print(_text("Who can take that compute over: nobody this scan sees"))


def render_explanation(console: Console, graph: PrivilegeGraph, identity: Identity, findings: list[Finding]) -> None:
    privilege = graph.privilege_of(identity.id)
    console.print(Text.assemble((printable(identity.name), "bold"), f"  {printable(identity.id)}"))
    facts = [
        f"{identity.provider.value} {identity.kind.value} in {identity.account}",
        f"workload kind: {identity.workload.value}",
        "used by a person"
        if identity.human
        else ("used by a workload" if identity.human is False else "person or workload: unknown"),
        f"created {_when(identity.created)}",
        f"no use recorded in the last {identity.usage_window_days} days (the window the provider keeps)"
        if identity.last_used_status is UsageStatus.NOT_IN_WINDOW
        else f"last used {_when(identity.last_used)} ({identity.last_used_status.value})",
    ]
    if identity.disabled:
        facts.append("DISABLED")
    live = compute_uses(graph).live_running_as(identity.id)
    if live and identity.last_used_status is not UsageStatus.USED:
        # What identity-unused does not call unused: no use on record, but live compute runs as it.
        facts.append(f"serves {describe(live[0])}" + (f" and {len(live) - 1} more" if len(live) > 1 else ""))
    console.print(_text(", ".join(facts)))
    if identity.tags:
        console.print(_text("tags: " + ", ".join(f"{k}={v}" for k, v in sorted(identity.tags.items()))))
    console.print(
        _text(
            f"privilege: {privilege.level.label}"
            + (f" ({'; '.join(privilege.evidence)})" if privilege.evidence else "")
        )
    )

    creds = graph.credentials_of(identity.id)
    if creds:
        table = Table(title="Credentials", title_justify="left")
        for column in ("Id", "Kind", "Active", "Created", "Expires", "Last used"):
            table.add_column(column, overflow="fold")
        for c in sorted(creds, key=lambda c: c.id):
            table.add_row(
                _text(c.id),
                c.kind.value + ("" if c.user_managed else " (provider-managed: not a standing secret)"),
                "yes" if c.active else "no",
                _when(c.created),
                _when(c.expires) if c.expires else "never",
                f"{_when(c.last_used)} ({c.last_used_status.value})"
                + (
                    f"; {c.reported_unused.source}: unused {c.reported_unused.window_days} days"
                    if c.reported_unused
                    else ""
                ),
            )
        console.print(table)

    grants = graph.grants_of(identity.id)
    if grants:
        table = Table(title="Grants (direct and through groups)", title_justify="left")
        for column in ("Role or policy", "Scope", "Held by", "Duration"):
            table.add_column(column, overflow="fold")
        for g in sorted(grants, key=lambda g: (g.role_id, g.scope_id)):
            role = graph.role(g.role_id)
            duration = g.duration.value + (f" until {_when(g.expires)}" if g.expires else "")
            table.add_row(
                _text(role.name if role else g.role_id),
                _text(g.scope_id),
                _text(_name(graph, g.principal_id)),
                duration,
            )
        console.print(table)

    _compute(console, graph, identity)
    incoming = [h for h in graph.escalation_hops if h.target == identity.id]
    trusts = graph.trusts_into(identity.id)
    lapsed = graph.lapsed_trusts_into(identity.id)
    if trusts or incoming or lapsed:
        console.print(_text("Who can become it:", style="bold"))
        for t in trusts:
            cond = " (with conditions)" if t.condition.conditional else ""
            console.print(_text(f"  trust: {t.kind.value} {t.principal}{cond}"))
        for t in lapsed:
            console.print(
                _text(f"  trust: {t.kind.value} {t.principal} (lapsed: its time condition can never hold again)")
            )
        for h in incoming:
            console.print(_text(f"  {_name(graph, h.source)} by {h.kind.value}: {h.reason}"))
    indirect = {source: path for source, path in graph.who_can_reach(identity.id).items() if len(path) > 1}
    if indirect:
        console.print(_text(f"Who can reach it through others ({len(indirect)}):", style="bold"))
        for source, path in list(indirect.items())[:_MAX_LISTED]:
            console.print(
                _text(
                    "  "
                    + " -> ".join([_name(graph, source)] + [_name(graph, h.target) for h in path])
                    + " ("
                    + ", ".join(h.kind.value for h in path)
                    + ")"
                )
            )
        if len(indirect) > _MAX_LISTED:
            console.print(_text(f"  ... and {len(indirect) - _MAX_LISTED} more"))
    outgoing = [h for h in graph.escalation_hops if h.source == identity.id]
    if outgoing:
        console.print(_text("What it can become:", style="bold"))
        for h in outgoing:
            console.print(_text(f"  {_name(graph, h.target)} by {h.kind.value}: {h.reason}"))
    stopped = cut_hops(graph, identity.id)
    if stopped:
        console.print(_text("Stopped by a guardrail:", style="bold"))
        for stop in stopped:
            console.print(_text(f"  {_name(graph, stop.hop.target)}: {stop.describe()}"))
    to_admin = graph.paths_to_admin.get(identity.id)
    if to_admin:
        console.print(
            _text(
                "Path to admin: " + " -> ".join([identity.name] + [_name(graph, h.target) for h in to_admin]),
                style="bold red",
            )
        )
        # The cut is in the evidence of the finding that reports the path (whichever carries one).
        path_cut = next(
            (f.evidence["cut"] for f in findings if f.identity == identity.id and "cut" in f.evidence), None
        )
        if isinstance(path_cut, dict):
            console.print(_text(f"Cut it now: {path_cut.get('summary')} ({path_cut.get('why_this_hop')})"))

    # Findings about a policy it holds (a customer policy granting admin) are its findings too.
    held = {g.role_id for g in graph.grants_of(identity.id)}
    mine = [f for f in findings if f.identity == identity.id or f.identity in held]
    if mine:
        table = Table(title="Findings", title_justify="left")
        for column in ("Severity", "Risk", "Rule", "Why"):
            table.add_column(column, overflow="fold")
        for f in mine:
            table.add_row(f.severity.value, str(f.risk or "-"), f.rule_id, _text(f.message))
        console.print(table)
    else:
        console.print(_text("No findings.", style="green"))
