"""The cut in a plan: the change that breaks an identity's path to admin today, as Terraform.

The choice of hop and the Deny or trust edit are ``standing.analysis.cuts``; this module
turns them into the plan's ``PathCut`` and a Terraform file. An identity that cannot move to
just-in-time yet (compensating controls) gets the cut as a control to put in place now; every
other plan carries it too, as the step to take before the migration ends.
"""

from __future__ import annotations

from standing.analysis.cuts import Cut, CutKind, cut_path
from standing.analysis.graph import PrivilegeGraph
from standing.core.model import Identity, IdentityKind, Provider
from standing.planner.iac import identity_label, render
from standing.planner.model import CutChange, IacSnippet, PathCut, TerraformProvider

_AWS_HOLDER = {
    IdentityKind.USER: ("aws_iam_user_policy", "user"),
    IdentityKind.ROLE: ("aws_iam_role_policy", "role"),
}


def path_cut(graph: PrivilegeGraph, identity: Identity) -> Cut | None:
    path = graph.paths_to_admin.get(identity.id)
    return cut_path(graph, path) if path else None


def as_plan_cut(cut: Cut) -> PathCut:
    return PathCut(
        change=CutChange(cut.kind.value),
        summary=cut.summary,
        hop=cut.hop.as_evidence(),
        why_this_hop=cut.why,
        policy=cut.deny_document(),
        deny_rules=[{k: v for k, v in rule.items() if k != "project"} for rule in cut.statements]
        if cut.kind is CutKind.GCP_DENY
        else [],
        trust_of=cut.trust_target,
    )


def _trust_command(graph: PrivilegeGraph, cut: Cut) -> tuple[str, str]:
    """Where the trust lives on the target, and the provider's command that edits it."""
    target = graph.identity(cut.trust_target or "")
    source = cut.source
    if target is None or target.provider is Provider.AWS:
        name = target.name if target else cut.target_name
        return "trust policy (assume_role_policy)", f"aws iam update-assume-role-policy --role-name {name} ..."
    if target.provider is Provider.GCP:
        return (
            "IAM policy (the binding that names it)",
            f"gcloud iam service-accounts remove-iam-policy-binding {target.id} --member=serviceAccount:{source.id} "
            "--role=ROLE",
        )
    return "owners or role assignments", f"az ad app owner remove --id {target.id} --owner-object-id {source.id}"


def cut_terraform(graph: PrivilegeGraph, cut: Cut) -> IacSnippet:
    source = cut.source
    label = identity_label(source)
    filename = f"cut-{label}.tf"
    comment = f"cut: {cut.summary}"
    if cut.kind is CutKind.DENY and source.kind in _AWS_HOLDER:
        resource, attach = _AWS_HOLDER[source.kind]
        return render(
            "cut-aws",
            [TerraformProvider.AWS],
            filename,
            comment=comment,
            label=label,
            resource=resource,
            attach=attach,
            holder=source.name,
            policy=cut.deny_document(),
        )
    if cut.kind is CutKind.GCP_DENY:
        return render(
            "cut-gcp",
            [TerraformProvider.GOOGLE],
            filename,
            comment=comment,
            label=label,
            project=cut.statements[0]["project"],
            rules=cut.statements,
        )
    where, command = _trust_command(graph, cut)
    target = graph.identity(cut.trust_target or "")
    providers = {
        Provider.AWS: [TerraformProvider.AWS],
        Provider.GCP: [TerraformProvider.GOOGLE],
        Provider.AZURE: [TerraformProvider.AZUREAD],
    }
    return render(
        "cut-trust",
        providers[target.provider if target else Provider.AWS],
        filename,
        comment=comment,
        target=target.name if target else cut.target_name,
        principal=source.name,
        where=where,
        command=command,
    )
