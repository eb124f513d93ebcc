"""Replace one account inside a merged organization snapshot. Pure: no SDK calls.

A refresh re-reads one account and swaps its records in; every other account's records are
kept exactly as they were read (same values, same order), so the rest of a large
organization is neither re-read nor rewritten.
"""

from __future__ import annotations

from datetime import datetime

from standing.collectors.aws.guardrails import GUARDRAIL_OPERATIONS, placed
from standing.collectors.aws.normalize import account_scope_id
from standing.core.model import Inventory, Provider, ScanMeta, Scope, merge_inventories

# Read once per organization scan with the caller's account as their scope: they describe
# the organization, not the caller's account, and stay when that account is refreshed.
ORGANIZATION_OPERATIONS = frozenset(
    {"organizations:DescribeOrganization", "organizations:ListAccounts"} | set(GUARDRAIL_OPERATIONS)
)


def account_scope(inventory: Inventory, account_id: str) -> Scope | None:
    scope_id = account_scope_id(account_id)
    return next((scope for scope in inventory.scopes if scope.id == scope_id), None)


def replace_account(merged: Inventory, fresh: Inventory, account_id: str, meta: ScanMeta) -> Inventory:
    """``merged`` without anything ``account_id`` contributed, plus ``fresh`` (that account
    re-read). AWS managed policies are shared by every account and kept once."""
    scope_id = account_scope_id(account_id)
    owned = {identity.id for identity in merged.identities if identity.account == account_id}
    kept = Inventory(
        meta=merged.meta,
        identities=[i for i in merged.identities if i.account != account_id],
        credentials=[c for c in merged.credentials if c.identity_id not in owned],
        roles=[r for r in merged.roles if r.account != account_id],
        scopes=[s for s in merged.scopes if s.id != scope_id],
        grants=[g for g in merged.grants if g.principal_id not in owned and g.scope_id != scope_id],
        memberships=[m for m in merged.memberships if m.member_id not in owned and m.group_id not in owned],
        trusts=[t for t in merged.trusts if t.target_id not in owned],
        federation=[f for f in merged.federation if f.account != account_id],
        scope_policies=[p for p in merged.scope_policies if p.scope_id != scope_id],
        workloads=[w for w in merged.workloads if w.provider is not Provider.AWS or w.account != account_id],
        guardrails=merged.guardrails,
        coverage=[c for c in merged.coverage if c.scope != account_id or c.operation in ORGANIZATION_OPERATIONS],
    )
    return merge_inventories([kept, placed(fresh, account_scope(merged, account_id))], meta)


def refreshed_source_times(merged: Inventory, fresh: Inventory, account_id: str) -> dict[str, datetime]:
    """The merged source times with the account's own replaced by the fresh read's."""
    prefix = f"aws:{account_id}:"
    times = {k: v for k, v in merged.meta.source_times.items() if not k.startswith(prefix)}
    times.update(fresh.meta.source_times)
    return times
