"""Typed inventory builders for rule tests: real records, only the fields a test cares about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from standing.core.model import (
    ActionUse,
    Credential,
    CredentialKind,
    Grant,
    Identity,
    IdentityKind,
    Inventory,
    Membership,
    PermissionUsage,
    Provider,
    Role,
    ScanMeta,
    Scope,
    ScopeKind,
    Trust,
    TrustKind,
    UsageSource,
    UsageStatus,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ACCOUNT = "111122223333"
SCOPE = f"aws:account:{ACCOUNT}"


def days_ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


def arn(kind: str, name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:{kind}/{name}"


def user(name: str, **fields: Any) -> Identity:
    fields.setdefault("human", False)
    return Identity(
        id=arn("user", name), provider=Provider.AWS, kind=IdentityKind.USER, account=ACCOUNT, name=name, **fields
    )


def role(name: str, **fields: Any) -> Identity:
    fields.setdefault("human", False)
    return Identity(
        id=arn("role", name), provider=Provider.AWS, kind=IdentityKind.ROLE, account=ACCOUNT, name=name, **fields
    )


def group(name: str) -> Identity:
    return Identity(id=arn("group", name), provider=Provider.AWS, kind=IdentityKind.GROUP, account=ACCOUNT, name=name)


def key(
    owner: Identity,
    key_id: str,
    *,
    age: int,
    used: int | None | str = "unknown",
    active: bool = True,
    kind: CredentialKind = CredentialKind.ACCESS_KEY,
) -> Credential:
    """``used``: days since last use, None for never used, "unknown" when the provider can't say."""
    if used == "unknown":
        status, last = UsageStatus.UNKNOWN, None
    elif used is None:
        status, last = UsageStatus.NEVER, None
    else:
        status, last = UsageStatus.USED, days_ago(int(used))
    return Credential(
        id=key_id,
        identity_id=owner.id,
        kind=kind,
        active=active,
        created=days_ago(age),
        last_used=last,
        last_used_status=status,
    )


def policy(name: str, *statements: dict[str, Any]) -> Role:
    return Role(
        id=f"arn:aws:iam::{ACCOUNT}:policy/{name}",
        provider=Provider.AWS,
        name=name,
        account=ACCOUNT,
        documents=[{"Version": "2012-10-17", "Statement": list(statements)}],
    )


def allow(action: Any, resource: Any = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def grant(holder: Identity, pol: Role) -> Grant:
    return Grant(principal_id=holder.id, role_id=pol.id, scope_id=SCOPE)


def trust(
    target: Identity,
    principal: str,
    kind: TrustKind,
    conditions: dict | None = None,
    issuer: str | None = None,
    action: str = "sts:AssumeRole",
) -> Trust:
    return Trust(
        target_id=target.id,
        principal=principal,
        kind=kind,
        actions=[action],
        conditions=conditions or {},
        issuer=issuer,
    )


def inventory(*records: Any) -> Inventory:
    buckets: dict[str, list[Any]] = {
        "identities": [],
        "credentials": [],
        "roles": [],
        "grants": [],
        "memberships": [],
        "trusts": [],
    }
    kinds = {
        Identity: "identities",
        Credential: "credentials",
        Role: "roles",
        Grant: "grants",
        Membership: "memberships",
        Trust: "trusts",
    }
    for record in records:
        buckets[kinds[type(record)]].append(record)
    meta = ScanMeta(tool_version="test", started_at=NOW, finished_at=NOW, providers=[Provider.AWS])
    scope = Scope(id=SCOPE, provider=Provider.AWS, kind=ScopeKind.ACCOUNT, name=ACCOUNT)
    return Inventory(meta=meta, scopes=[scope], **buckets)


def analyzer_usage(who: Identity, *, services: dict[str, int | None], unused: tuple[str, ...] = ()) -> PermissionUsage:
    """An Access Analyzer record as ``usage_from_finding`` writes it: the finding names only the
    idle part, so ``services`` are the namespaces it lists (name -> days since last access, None:
    never) and ``unused`` the actions it lists; a namespace with no action listed is idle whole."""
    listed = {a.split(":", 1)[0] for a in unused}
    return PermissionUsage(
        identity_id=who.id,
        source=UsageSource.AWS_ACCESS_ANALYZER,
        observed_at=NOW,
        window_days=90,
        action_level=bool(unused),
        services=[ActionUse(name=s, last_used=None if d is None else days_ago(d)) for s, d in services.items()],
        unused_actions=sorted({*unused, *(f"{s}:*" for s in services if s not in listed)}),
    )
