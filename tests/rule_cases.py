"""One small typed estate per registered rule: a subject the rule must flag, and a near miss beside it.

The near miss is the closest thing that must stay silent: a key one day younger than the
limit, a trust with its subject pinned, the same role on a narrower scope. ``CASES`` is
keyed by rule id; tests/test_rule_registry.py runs every case through the real engine and
checks that its keys are exactly the registry's ids, so a new rule without a case fails.

Subjects are matched against a finding's ``subject`` or its ``identity``; each estate puts
the positive and the near miss on different identities so the two cannot be confused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from standing.core.model import (
    ActionUse,
    Credential,
    CredentialKind,
    FederationProvider,
    Grant,
    GrantDuration,
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
    ScopePolicy,
    Trust,
    TrustKind,
    UsageSource,
    UsageStatus,
)
from tests.builders import ACCOUNT, NOW, SCOPE, allow, arn, days_ago, grant, key, policy, role, trust, user
from tests.planner.cases import GITHUB, OWNER_GUID, PROJECT, TENANT, sa, sa_key, sp

SUB = "/subscriptions/11111111-aaaa-4aaa-8aaa-111111111111"
RG = f"{SUB}/resourcegroups/rg"
LOCKED_PROJECT = "acme-locked"
FOREIGN_ACCOUNT = "999988887777"
OTHER_ACCOUNT = "444455556666"
SCOPES = [
    Scope(id=SCOPE, provider=Provider.AWS, kind=ScopeKind.ACCOUNT, name=ACCOUNT),
    Scope(id=f"projects/{PROJECT}", provider=Provider.GCP, kind=ScopeKind.PROJECT, name=PROJECT),
    Scope(id=f"projects/{LOCKED_PROJECT}", provider=Provider.GCP, kind=ScopeKind.PROJECT, name=LOCKED_PROJECT),
    Scope(id=SUB, provider=Provider.AZURE, kind=ScopeKind.SUBSCRIPTION, name="prod"),
    Scope(id=RG, provider=Provider.AZURE, kind=ScopeKind.RESOURCE, name="rg", parent_id=SUB),
]
_BUCKETS = {
    Identity: "identities",
    Credential: "credentials",
    Role: "roles",
    Grant: "grants",
    Membership: "memberships",
    Trust: "trusts",
    FederationProvider: "federation",
    ScopePolicy: "scope_policies",
    PermissionUsage: "usage",
}


@dataclass(frozen=True)
class RuleCase:
    """``estate()`` holds ``positive`` (must be flagged) and ``near_miss`` (must not be)."""

    estate: Callable[[], Inventory]
    positive: str
    near_miss: str
    why: str  # what sets the near miss apart
    params: dict[str, Any] = field(default_factory=dict)  # rule parameters, beside enabling the rule


def estate(*records: Any) -> Inventory:
    """An inventory of any typed records, with the scopes of all three clouds; duplicates dropped."""
    buckets: dict[str, list[Any]] = {name: [] for name in _BUCKETS.values()}
    for record in records:
        bucket = buckets[_BUCKETS[type(record)]]
        if record not in bucket:
            bucket.append(record)
    providers = sorted({r.provider for r in buckets["identities"]}, key=str)
    meta = ScanMeta(tool_version="test", started_at=NOW, finished_at=NOW, providers=providers)
    return Inventory(meta=meta, scopes=SCOPES, **buckets)


def holding(identity: Identity, name: str, *statements: dict[str, Any]) -> list[Any]:
    """``identity`` with an AWS policy of ``statements`` attached."""
    pol = policy(name, *statements)
    return [identity, pol, grant(identity, pol)]


def arm_role(guid: str, name: str, actions: list[str] | None = None) -> Role:
    """A built-in Azure role (no actions), or a custom one listing ``actions``."""
    document: dict[str, Any] = {"kind": "arm-role-definition"}
    if actions is not None:
        document |= {"roleType": "CustomRole", "permissions": [{"actions": actions, "notActions": []}]}
    return Role(
        id=f"/providers/microsoft.authorization/roledefinitions/{guid}",
        provider=Provider.AZURE,
        name=name,
        documents=[document],
        provider_managed=actions is None,
    )


def azure_grant(who: Identity, held: Role, scope: str, duration: GrantDuration = GrantDuration.STANDING) -> Grant:
    return Grant(principal_id=who.id, role_id=held.id, scope_id=scope, duration=duration)


def gcp_grant(who: Identity, role_id: str, scope: str = f"projects/{PROJECT}", condition: str | None = None) -> Grant:
    return Grant(principal_id=who.id, role_id=role_id, scope_id=scope, condition=condition)


def gcp_role(role_id: str) -> Role:
    return Role(id=role_id, provider=Provider.GCP, name=role_id, provider_managed=True)


def secret(
    who: Identity,
    key_id: str,
    *,
    age: int = 10,
    lifetime: int | None = None,
    kind: CredentialKind = CredentialKind.CLIENT_SECRET,
    **fields: Any,
) -> Credential:
    """A secret created ``age`` days ago, valid for ``lifetime`` days (None: never expires)."""
    created = days_ago(age)
    expires = None if lifetime is None else created + timedelta(days=lifetime)
    fields.setdefault("active", True)
    return Credential(id=key_id, identity_id=who.id, kind=kind, created=created, expires=expires, **fields)


def federated(who: Identity, cred_id: str) -> Credential:
    return Credential(id=cred_id, identity_id=who.id, kind=CredentialKind.FEDERATED, active=True)


def used(name: str, days: int) -> Identity:
    """A role last used ``days`` ago."""
    return role(name, created=days_ago(400), last_used=days_ago(days), last_used_status=UsageStatus.USED)


def root(account: str) -> Identity:
    return Identity(
        id=f"arn:aws:iam::{account}:root", provider=Provider.AWS, kind=IdentityKind.ROOT, account=account, name="root"
    )


def key_policy(project: str, enforced: bool) -> ScopePolicy:
    return ScopePolicy(
        provider=Provider.GCP,
        scope_id=f"projects/{project}",
        constraint="iam.disableServiceAccountKeyCreation",
        enforced=enforced,
    )


def locked_sa(name: str) -> Identity:
    email = f"{name}@{LOCKED_PROJECT}.iam.gserviceaccount.com"
    return Identity(
        id=email,
        provider=Provider.GCP,
        kind=IdentityKind.SERVICE_ACCOUNT,
        account=LOCKED_PROJECT,
        name=email,
        human=False,
    )


# -- the estates ---------------------------------------------------------------------------------
ADMIN = policy("Admin", allow("*"))
OWNER = arm_role(OWNER_GUID, "Owner")
WILDCARD = arm_role("c0ffee00-0000-4000-8000-000000000001", "Everything", ["*"])
GITHUB_ISSUER = "token.actions.githubusercontent.com"
DEFAULT_COMPUTE = "123456789012-compute@developer.gserviceaccount.com"


def admin_equivalent() -> Inventory:
    deployer, parked = user("deployer"), user("parked-deployer")
    return estate(
        *holding(deployer, "Admin", allow("*")),
        *holding(parked, "Admin", allow("*")),
        key(deployer, "AKIADEPLOYER", age=10, used=1),
        key(parked, "AKIAPARKED", age=10, used=1, active=False),  # a user with no live secret cannot act
    )


def ai_workload() -> Inventory:
    return estate(
        *holding(role("support-ai-agent"), "AnyModel", allow("bedrock:InvokeModel")),
        *holding(
            role("summary-ai-agent"),
            "OneModel",
            allow("bedrock:InvokeModel", "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-v2"),
        ),
    )


def azure_custom_wildcard() -> Inventory:
    standing, eligible = sp("standing-wildcard"), sp("eligible-wildcard")
    return estate(
        WILDCARD,
        standing,
        eligible,
        azure_grant(standing, WILDCARD, RG),
        azure_grant(eligible, WILDCARD, RG, GrantDuration.ELIGIBLE),
    )


def azure_privileged_role() -> Inventory:
    broad, narrow = sp("sub-owner"), sp("rg-owner")
    return estate(OWNER, broad, narrow, azure_grant(broad, OWNER, SUB), azure_grant(narrow, OWNER, RG))


def compromised() -> Inventory:
    leaked, disabled = sa("leaked"), sa("leaked-disabled")
    return estate(
        leaked,
        disabled,
        secret(leaked, "leaked-key", kind=CredentialKind.SA_KEY, compromised="exposed"),
        secret(disabled, "disabled-key", kind=CredentialKind.SA_KEY, compromised="exposed", active=False),
    )


def console_and_keys() -> Inventory:
    both, retired = user("ops-bot", console_access=True), user("old-bot", console_access=True)
    return estate(
        both, retired, key(both, "AKIAOPSBOT", age=10, used=1), key(retired, "AKIAOLDBOT", age=10, active=False)
    )


def dormant_privileged() -> Inventory:
    retired, reader = user("retired-deployer"), user("retired-reader")
    return estate(
        *holding(retired, "Admin", allow("*")),
        key(retired, "AKIARETIRED", age=400, used=200, active=False),  # deactivated: no live credential
        *holding(reader, "ReadOnly", allow("s3:GetObject")),
    )


def expired_secret() -> Inventory:
    lapsed, current = sp("lapsed"), sp("current")
    return estate(
        lapsed,
        current,
        secret(lapsed, "lapsed-secret", age=31, lifetime=30, active=False),  # expired yesterday
        secret(current, "current-secret", age=29, lifetime=30),  # expires tomorrow
    )


def federated_and_secrets() -> Inventory:
    halfway, done = sp("halfway"), sp("migrated")
    return estate(
        halfway,
        done,
        federated(halfway, "halfway-fic"),
        secret(halfway, "halfway-secret", lifetime=90),
        federated(done, "migrated-fic"),
        secret(done, "migrated-secret", lifetime=90, active=False),  # disabled, left for the record
    )


def gcp_basic_role() -> Inventory:
    editor, temporary = sa("editor-sa"), sa("temp-editor")
    return estate(
        gcp_role("roles/editor"),
        editor,
        temporary,
        gcp_grant(editor, "roles/editor"),
        Grant(
            principal_id=temporary.id,
            role_id="roles/editor",
            scope_id=f"projects/{PROJECT}",
            duration=GrantDuration.TIME_BOUND,
            condition='request.time < timestamp("2026-06-02T00:00:00Z")',
        ),
    )


def gcp_default_sa() -> Inventory:
    default = Identity(
        id=DEFAULT_COMPUTE,
        provider=Provider.GCP,
        kind=IdentityKind.SERVICE_ACCOUNT,
        account=PROJECT,
        name=DEFAULT_COMPUTE,
        human=False,
    )
    lookalike = sa("compute")  # a user-made account that only looks like the default one
    return estate(
        gcp_role("roles/editor"),
        default,
        lookalike,
        gcp_grant(default, "roles/editor"),
        gcp_grant(lookalike, "roles/editor"),
    )


def gcp_impersonation() -> Inventory:
    broad, pointed, target = sa("ci-deployer"), sa("ci-runner"), sa("deploy-target")
    token_creator = "roles/iam.serviceAccountTokenCreator"
    return estate(
        gcp_role(token_creator),
        broad,
        pointed,
        target,
        gcp_grant(broad, token_creator),
        gcp_grant(pointed, token_creator, f"projects/{PROJECT}/serviceAccounts/{target.id}"),
    )


def gcp_key_creation() -> Inventory:
    open_project, locked = sa("keyed"), locked_sa("keyed")
    return estate(
        open_project,
        locked,
        sa_key(open_project, "k1"),
        sa_key(locked, "k2"),
        key_policy(PROJECT, enforced=False),
        key_policy(LOCKED_PROJECT, enforced=True),
    )


def identity_unused() -> Inventory:
    return estate(used("dormant", 91), used("quiet", 90))


def identity_without_owner() -> Inventory:
    orphan, owned = sa("orphan"), sa("owned", tags={"acme:owner": "platform"})
    return estate(orphan, owned, sa_key(orphan, "orphan-key"), sa_key(owned, "owned-key"))


def key_too_old() -> Inventory:
    old, due = user("old-key"), user("due-key")
    return estate(old, due, key(old, "AKIAOLD", age=91, used=1), key(due, "AKIADUE", age=90, used=1))


def key_unused() -> Inventory:
    idle, recent = user("idle"), user("recent")
    return estate(idle, recent, key(idle, "AKIAIDLE", age=200, used=46), key(recent, "AKIARECENT", age=200, used=45))


def permissions_unused() -> Inventory:
    idle, recent = role("iam-idle"), role("iam-recent")
    records: list[Any] = []
    for who, days in ((idle, 91), (recent, 89)):
        records += holding(who, f"Deploy-{who.name}", allow(["s3:*", "iam:*"]))
        records.append(
            PermissionUsage(
                identity_id=who.id,
                source=UsageSource.AWS_ACCESS_ADVISOR,
                observed_at=NOW,
                window_days=400,
                services=[ActionUse(name="s3", last_used=days_ago(1)), ActionUse(name="iam", last_used=days_ago(days))],
            )
        )
    return estate(*records)


def long_lived_secret() -> Inventory:
    kept, token = sp("kept-secret"), sp("short-token")
    return estate(
        kept,
        token,
        secret(kept, "kept-secret", age=0, lifetime=2),
        secret(token, "short-token", age=0, lifetime=1),  # valid one day: short-lived
    )


def oidc_unpinned() -> Inventory:
    anyone, pinned = role("gh-any-repo"), role("gh-pinned")
    return estate(
        anyone,
        pinned,
        trust(
            anyone,
            GITHUB.id,
            TrustKind.OIDC,
            {"StringEquals": {f"{GITHUB_ISSUER}:aud": "sts.amazonaws.com"}},
            GITHUB_ISSUER,
        ),
        trust(
            pinned,
            GITHUB.id,
            TrustKind.OIDC,
            {
                "StringEquals": {
                    f"{GITHUB_ISSUER}:aud": "sts.amazonaws.com",
                    f"{GITHUB_ISSUER}:sub": "repo:acme/app:ref:refs/heads/main",
                }
            },
            GITHUB_ISSUER,
        ),
    )


def open_trust() -> Inventory:
    vendor, vetted = role("vendor-audit"), role("vendor-audit-pinned")
    foreign = f"arn:aws:iam::{FOREIGN_ACCOUNT}:root"
    return estate(
        vendor,
        vetted,
        trust(vendor, foreign, TrustKind.ACCOUNT),
        trust(vetted, foreign, TrustKind.ACCOUNT, {"StringEquals": {"sts:ExternalId": "acme-7f3a"}}),
    )


def owner_of_privileged() -> Inventory:
    person = Identity(
        id="person-alice", provider=Provider.AZURE, kind=IdentityKind.USER, account=TENANT, name="alice", human=True
    )
    privileged, modest = sp("sub-owner-app"), sp("rg-owner-app")
    return estate(
        OWNER,
        person,
        privileged,
        modest,
        azure_grant(privileged, OWNER, SUB),
        azure_grant(modest, OWNER, RG),  # write on one resource group: not admin-equivalent
        trust(privileged, person.id, TrustKind.OWNER),
        trust(modest, person.id, TrustKind.OWNER),
    )


def path_to_admin() -> Inventory:
    admin, other = role("admin"), role("other")
    climber, fenced = user("climber"), user("fenced")
    return estate(
        admin,
        other,
        ADMIN,
        grant(admin, ADMIN),
        trust(admin, f"arn:aws:iam::{ACCOUNT}:root", TrustKind.ACCOUNT),
        trust(other, f"arn:aws:iam::{ACCOUNT}:root", TrustKind.ACCOUNT),
        *holding(climber, "AssumeAdmin", allow("sts:AssumeRole", arn("role", "admin"))),
        *holding(fenced, "AssumeOther", allow("sts:AssumeRole", arn("role", "other"))),
        key(climber, "AKIACLIMBER", age=10, used=1),
        key(fenced, "AKIAFENCED", age=10, used=1),
    )


def root_access_key() -> Inventory:
    keyed, deactivated = root(ACCOUNT), root(OTHER_ACCOUNT)
    return estate(
        keyed, deactivated, key(keyed, "AKIAROOT", age=10), key(deactivated, "AKIAROOTOFF", age=10, active=False)
    )


def secret_lifetime() -> Inventory:
    long, allowed = sp("long-secret"), sp("allowed-secret")
    return estate(
        long, allowed, secret(long, "long-secret", lifetime=181), secret(allowed, "allowed-secret", lifetime=180)
    )


def secret_never_expires() -> Inventory:
    forever, dated = sa("forever"), sa("dated")
    return estate(
        forever,
        dated,
        secret(forever, "forever-key", kind=CredentialKind.SA_KEY),
        secret(dated, "dated-key", kind=CredentialKind.SA_KEY, lifetime=3650),
    )


def shared_identity() -> Inventory:
    return estate(
        role("shared-etl", tags={"owner": "payments", "consumer": "fraud"}),
        role("one-team-etl", tags={"owner": "payments", "team": "payments"}),  # one team named twice
    )


def two_active_keys() -> Inventory:
    doubled, rotated = user("doubled"), user("rotated")
    return estate(
        doubled,
        rotated,
        key(doubled, "AKIADOUBLE1", age=10, used=1),
        key(doubled, "AKIADOUBLE2", age=10, used=1),
        key(rotated, "AKIAROTATED1", age=10, used=1),
        key(rotated, "AKIAROTATED2", age=100, used=95, active=False),  # the replaced key, deactivated
    )


PARTNER_TENANT = "0b1c2d3e-4f50-4617-8283-94a5b6c7d8e9"


def third_party_aws() -> Inventory:
    partner, sibling = role("partner-admin"), role("sibling-admin")
    return estate(
        root(OTHER_ACCOUNT),  # a second account this scan covers
        *holding(partner, "Admin", allow("*")),
        *holding(sibling, "Admin", allow("*")),
        trust(
            partner,
            arn("role", "integrator", FOREIGN_ACCOUNT),
            TrustKind.PRINCIPAL,
            {"StringEquals": {"sts:ExternalId": "acme-7f3a"}},
        ),
        trust(
            sibling,
            arn("role", "integrator", OTHER_ACCOUNT),
            TrustKind.PRINCIPAL,
            {"StringEquals": {"sts:ExternalId": "acme-7f3a"}},
        ),
    )


PARTNER_SA = "vendor@partner-proj.iam.gserviceaccount.com"
SIBLING_SA = f"vendor@{LOCKED_PROJECT}.iam.gserviceaccount.com"


def third_party_gcp() -> Inventory:
    return estate(
        gcp_role("roles/editor"),
        Grant(principal_id=PARTNER_SA, role_id="roles/editor", scope_id=f"projects/{PROJECT}"),
        Grant(principal_id=SIBLING_SA, role_id="roles/editor", scope_id=f"projects/{PROJECT}"),
    )


def third_party_azure() -> Inventory:
    vendor, ours = sp("vendor-app"), sp("our-app")
    vendor = vendor.model_copy(update={"tags": {**vendor.tags, "entra.thirdParty": PARTNER_TENANT}})
    return estate(OWNER, vendor, ours, azure_grant(vendor, OWNER, SUB), azure_grant(ours, OWNER, SUB))


AWS_ADMIN_ACCESS = Role(
    id="arn:aws:iam::aws:policy/AdministratorAccess",
    provider=Provider.AWS,
    name="AdministratorAccess",
    documents=[{"Version": "2012-10-17", "Statement": [allow("*")]}],
    provider_managed=True,
)


def privileged_policy() -> Inventory:
    ops = role("ops")
    return estate(
        *holding(role("deployer"), "CustomAdmin", allow("*")),
        ops,
        AWS_ADMIN_ACCESS,
        grant(ops, AWS_ADMIN_ACCESS),
    )


CASES: dict[str, RuleCase] = {
    "admin-equivalent": RuleCase(
        admin_equivalent, arn("user", "deployer"), arn("user", "parked-deployer"), "same admin policy, key inactive"
    ),
    "ai-workload-standing-access": RuleCase(
        ai_workload, arn("role", "support-ai-agent"), arn("role", "summary-ai-agent"), "invokes one named model"
    ),
    "azure-custom-role-wildcard": RuleCase(
        azure_custom_wildcard, sp("standing-wildcard").id, sp("eligible-wildcard").id, "same role, PIM-eligible"
    ),
    "azure-standing-privileged-role": RuleCase(
        azure_privileged_role, sp("sub-owner").id, sp("rg-owner").id, "Owner on a resource group, not the subscription"
    ),
    "compromised-secret-active": RuleCase(compromised, "leaked-key", "disabled-key", "flagged too, but disabled"),
    "console-and-keys": RuleCase(
        console_and_keys, arn("user", "ops-bot"), arn("user", "old-bot"), "its key is inactive"
    ),
    "dormant-privileged-identity": RuleCase(
        dormant_privileged, arn("user", "retired-deployer"), arn("user", "retired-reader"), "no credential, read-only"
    ),
    "expired-secret-present": RuleCase(expired_secret, "lapsed-secret", "current-secret", "expires tomorrow"),
    "federated-and-secrets": RuleCase(
        federated_and_secrets, sp("halfway").id, sp("migrated").id, "its old secret is disabled"
    ),
    "gcp-basic-or-admin-role": RuleCase(
        gcp_basic_role, sa("editor-sa").id, sa("temp-editor").id, "Editor until a request.time condition ends it"
    ),
    "gcp-default-sa-editor": RuleCase(
        gcp_default_sa, DEFAULT_COMPUTE, sa("compute").id, "Editor too, but not a default account"
    ),
    "gcp-impersonation-granted-broadly": RuleCase(
        gcp_impersonation, sa("ci-deployer").id, sa("ci-runner").id, "Token Creator on one service account"
    ),
    "gcp-key-creation-unrestricted": RuleCase(
        gcp_key_creation, sa("keyed").id, locked_sa("keyed").id, "its project enforces the constraint"
    ),
    "identity-unused": RuleCase(
        identity_unused, arn("role", "dormant"), arn("role", "quiet"), "used 90 days ago, the limit itself"
    ),
    "identity-without-owner": RuleCase(
        identity_without_owner, sa("orphan").id, sa("owned").id, "a namespaced owner tag"
    ),
    "key-too-old": RuleCase(key_too_old, "AKIAOLD", "AKIADUE", "90 days old, one day younger"),
    "key-unused": RuleCase(key_unused, "AKIAIDLE", "AKIARECENT", "last used 45 days ago, one day later"),
    "permissions-unused": RuleCase(
        permissions_unused, arn("role", "iam-idle"), arn("role", "iam-recent"), "IAM last used 89 days ago, not 91"
    ),
    "long-lived-secret": RuleCase(long_lived_secret, "kept-secret", "short-token", "valid one day, not two"),
    "oidc-subject-unpinned": RuleCase(
        oidc_unpinned, arn("role", "gh-any-repo"), arn("role", "gh-pinned"), "sub pinned to one repository and branch"
    ),
    "open-trust": RuleCase(
        open_trust, arn("role", "vendor-audit"), arn("role", "vendor-audit-pinned"), "an sts:ExternalId condition"
    ),
    "owner-of-privileged-identity": RuleCase(
        owner_of_privileged, sp("sub-owner-app").id, sp("rg-owner-app").id, "its owned app can only write one group"
    ),
    "path-to-admin": RuleCase(
        path_to_admin, arn("user", "climber"), arn("user", "fenced"), "may assume a role that is not admin"
    ),
    "root-access-key": RuleCase(root_access_key, "AKIAROOT", "AKIAROOTOFF", "the root key is deactivated"),
    "secret-lifetime-too-long": RuleCase(secret_lifetime, "long-secret", "allowed-secret", "180 days, one fewer"),
    "secret-never-expires": RuleCase(secret_never_expires, "forever-key", "dated-key", "an expiry, ten years out"),
    "shared-identity": RuleCase(
        shared_identity, arn("role", "shared-etl"), arn("role", "one-team-etl"), "one team, tagged twice"
    ),
    "privileged-custom-policy": RuleCase(
        privileged_policy,
        f"arn:aws:iam::{ACCOUNT}:policy/CustomAdmin",
        AWS_ADMIN_ACCESS.id,
        "the same '*' on '*', but AWS's own managed policy",
    ),
    "third-party-aws-trust": RuleCase(
        third_party_aws, arn("role", "partner-admin"), arn("role", "sibling-admin"), "the trusted account is scanned"
    ),
    "third-party-azure-app": RuleCase(
        third_party_azure, sp("vendor-app").id, sp("our-app").id, "same Owner grant, but our own tenant's app"
    ),
    "third-party-gcp-binding": RuleCase(
        third_party_gcp, PARTNER_SA, SIBLING_SA, "same Editor binding, but the account's project is scanned"
    ),
    "two-active-keys": RuleCase(two_active_keys, arn("user", "doubled"), arn("user", "rotated"), "second key inactive"),
}
