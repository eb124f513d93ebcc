"""Declarative description of an AWS estate, and the findings a scan of it must produce.

Plain frozen dataclasses with no cloud dependency: the seeder (``standing.demo.seeder``)
turns an ``EstateSpec`` into IAM objects in moto, and tests compare what the scanner reports
with ``EstateSpec.expected_findings()``.

Dates are relative ("created 200 days ago") so one spec can be seeded against any clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

DEFAULT_ACCOUNT_ID = "123456789012"
AWS_MANAGED_POLICY_PREFIX = "arn:aws:iam::aws:policy/"

PolicyDocument = dict[str, Any]


class RuleId(StrEnum):
    """Ids of the rules an estate can expect. Members compare equal to their plain strings."""

    KEY_TOO_OLD = "key-too-old"
    KEY_UNUSED = "key-unused"
    TWO_ACTIVE_KEYS = "two-active-keys"
    ROOT_ACCESS_KEY = "root-access-key"  # moto has no root user; listed so the vocabulary is whole
    ADMIN_EQUIVALENT = "admin-equivalent"
    OPEN_TRUST = "open-trust"
    OIDC_SUBJECT_UNPINNED = "oidc-subject-unpinned"
    CONSOLE_AND_KEYS = "console-and-keys"
    PATH_TO_ADMIN = "path-to-admin"
    AI_WORKLOAD_STANDING_ACCESS = "ai-workload-standing-access"
    SHARED_IDENTITY = "shared-identity"
    IDENTITY_UNUSED = "identity-unused"
    LONG_LIVED_SECRET = "long-lived-secret"
    THIRD_PARTY_AWS_TRUST = "third-party-aws-trust"
    PRIVILEGED_CUSTOM_POLICY = "privileged-custom-policy"  # about the policy itself: its ARN is the subject
    DORMANT_PRIVILEGED_IDENTITY = "dormant-privileged-identity"
    PERMISSIONS_UNUSED = "permissions-unused"


# The scanner's default thresholds, in days. Only ``expected_key_rules`` reads them; the
# estates keep their key ages well away from them so a scanner's ">" versus ">=" or a clock
# a few seconds off cannot flip a result.
KEY_MAX_AGE_DAYS = 90
KEY_UNUSED_DAYS = 45
KEY_GRACE_DAYS = 7

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_NAME = re.compile(r"^[\w+=,.@-]{1,128}$")


def _check_name(kind: str, name: str) -> None:
    if not _NAME.match(name):
        raise ValueError(f"{kind} name {name!r} is not a valid IAM name")


def _check_path(kind: str, name: str, path: str) -> None:
    if not (path.startswith("/") and path.endswith("/")):
        raise ValueError(f"{kind} {name!r}: path {path!r} must start and end with '/'")


def _check_expect(kind: str, name: str, expect: frozenset[str]) -> None:
    known = {rule.value for rule in RuleId}
    unknown = sorted(set(expect) - known)
    if unknown:
        raise ValueError(f"{kind} {name!r}: unknown rule ids {unknown}")


@dataclass(frozen=True, kw_only=True)
class KeySpec:
    """An access key, dated relative to the seeding clock."""

    age_days: int
    last_used_days_ago: int | None = None
    """None means the key has never been used."""
    active: bool = True

    def __post_init__(self) -> None:
        if self.age_days < 0:
            raise ValueError(f"key age_days must be >= 0, got {self.age_days}")
        if self.last_used_days_ago is not None and not (0 <= self.last_used_days_ago <= self.age_days):
            raise ValueError(
                f"key last_used_days_ago={self.last_used_days_ago} must lie between 0 and "
                f"age_days={self.age_days}: a key cannot be used before it exists"
            )


@dataclass(frozen=True, kw_only=True)
class PolicySpec:
    """A customer-managed policy; identities attach it by name."""

    name: str
    document: PolicyDocument
    expect: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        _check_name("policy", self.name)
        _check_expect("policy", self.name, self.expect)


@dataclass(frozen=True, kw_only=True)
class GroupSpec:
    name: str
    managed_policies: tuple[str, ...] = ()
    """Customer-managed policy names, or AWS managed policy ARNs."""
    inline_policies: tuple[tuple[str, PolicyDocument], ...] = ()

    def __post_init__(self) -> None:
        _check_name("group", self.name)


@dataclass(frozen=True, kw_only=True)
class UserSpec:
    name: str
    path: str = "/"
    keys: tuple[KeySpec, ...] = ()
    console_password: bool = False
    managed_policies: tuple[str, ...] = ()
    """Customer-managed policy names, or AWS managed policy ARNs."""
    inline_policies: tuple[tuple[str, PolicyDocument], ...] = ()
    groups: tuple[str, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()
    expect: frozenset[str] = frozenset()
    """Rule ids the scanner must report for this user or its keys, and no others."""

    def __post_init__(self) -> None:
        _check_name("user", self.name)
        _check_path("user", self.name, self.path)
        if len(self.keys) > 2:
            raise ValueError(f"user {self.name!r}: IAM allows at most 2 access keys")
        _check_expect("user", self.name, self.expect)

    def arn(self, account_id: str) -> str:
        return f"arn:aws:iam::{account_id}:user{self.path}{self.name}"


@dataclass(frozen=True, kw_only=True)
class RoleSpec:
    name: str
    trust_policy: PolicyDocument
    path: str = "/"
    managed_policies: tuple[str, ...] = ()
    """Customer-managed policy names, or AWS managed policy ARNs."""
    inline_policies: tuple[tuple[str, PolicyDocument], ...] = ()
    tags: tuple[tuple[str, str], ...] = ()
    last_used_days_ago: int | None = None
    """None means the role has never been used."""
    expect: frozenset[str] = frozenset()
    """Rule ids the scanner must report for this role, and no others."""
    used_services: tuple[str, ...] = ()
    """Service namespaces the role's Access Advisor report shows used (the demo ships the report
    ``aws iam get-service-last-accessed-details`` prints); empty: no report, no usage data."""

    def __post_init__(self) -> None:
        _check_name("role", self.name)
        _check_path("role", self.name, self.path)
        if self.last_used_days_ago is not None and self.last_used_days_ago < 0:
            raise ValueError(f"role {self.name!r}: last_used_days_ago must be >= 0")
        _check_expect("role", self.name, self.expect)

    def arn(self, account_id: str) -> str:
        return f"arn:aws:iam::{account_id}:role{self.path}{self.name}"


@dataclass(frozen=True, kw_only=True)
class OidcProviderSpec:
    url: str
    """Issuer URL, e.g. ``https://token.actions.githubusercontent.com``."""
    client_ids: tuple[str, ...] = ("sts.amazonaws.com",)

    def __post_init__(self) -> None:
        if not self.url.startswith("https://"):
            raise ValueError(f"OIDC provider url {self.url!r} must start with https://")

    @property
    def host(self) -> str:
        """The issuer without its scheme, as IAM uses it in ARNs and condition keys."""
        return self.url.removeprefix("https://")

    def arn(self, account_id: str) -> str:
        return f"arn:aws:iam::{account_id}:oidc-provider/{self.host}"


@dataclass(frozen=True, kw_only=True)
class FunctionSpec:
    """A Lambda function whose code runs as ``role`` (a role of the estate, by name)."""

    name: str
    role: str
    runtime: str = "python3.12"

    def __post_init__(self) -> None:
        if not re.match(r"^[A-Za-z0-9_-]{1,64}$", self.name):
            raise ValueError(f"function name {self.name!r} is not a valid Lambda function name")

    def arn(self, account_id: str, region: str) -> str:
        return f"arn:aws:lambda:{region}:{account_id}:function:{self.name}"


@dataclass(frozen=True, kw_only=True)
class InstanceSpec:
    """An EC2 instance (tagged ``Name``) whose instance profile holds ``role``; the profile is
    named after the role, as the console names the profiles it makes."""

    name: str
    role: str


@dataclass(frozen=True, kw_only=True)
class EstateSpec:
    account_id: str = DEFAULT_ACCOUNT_ID
    users: tuple[UserSpec, ...] = ()
    groups: tuple[GroupSpec, ...] = ()
    roles: tuple[RoleSpec, ...] = ()
    policies: tuple[PolicySpec, ...] = ()
    oidc_providers: tuple[OidcProviderSpec, ...] = ()
    functions: tuple[FunctionSpec, ...] = ()
    instances: tuple[InstanceSpec, ...] = ()

    def __post_init__(self) -> None:
        if not _ACCOUNT_ID.match(self.account_id):
            raise ValueError(f"account_id {self.account_id!r} must be 12 digits")
        for kind, names in (
            ("user", [u.name for u in self.users]),
            ("group", [g.name for g in self.groups]),
            ("role", [r.name for r in self.roles]),
            ("policy", [p.name for p in self.policies]),
            ("OIDC provider", [o.url for o in self.oidc_providers]),
            ("function", [f.name for f in self.functions]),
        ):
            duplicates = sorted({n for n in names if names.count(n) > 1})
            if duplicates:
                raise ValueError(f"duplicate {kind} names: {duplicates}")
        policy_names = {p.name for p in self.policies}
        group_names = {g.name for g in self.groups}
        holders: list[tuple[str, str, tuple[str, ...]]] = [
            *(("user", u.name, u.managed_policies) for u in self.users),
            *(("group", g.name, g.managed_policies) for g in self.groups),
            *(("role", r.name, r.managed_policies) for r in self.roles),
        ]
        for kind, name, refs in holders:
            for ref in refs:
                if ref.startswith("arn:"):
                    if not ref.startswith(AWS_MANAGED_POLICY_PREFIX):
                        raise ValueError(
                            f"{kind} {name!r}: {ref!r} is neither an AWS managed policy ARN "
                            "nor the name of a policy in this estate"
                        )
                elif ref not in policy_names:
                    raise ValueError(f"{kind} {name!r}: unknown policy {ref!r}")
        for user in self.users:
            missing = sorted(set(user.groups) - group_names)
            if missing:
                raise ValueError(f"user {user.name!r}: unknown groups {missing}")
        role_names = {r.name for r in self.roles}
        for kind, name, runs_as in (
            *(("function", f.name, f.role) for f in self.functions),
            *(("instance", i.name, i.role) for i in self.instances),
        ):
            if runs_as not in role_names:
                raise ValueError(f"{kind} {name!r}: unknown role {runs_as!r}")

    def role(self, name: str) -> RoleSpec:
        return next(r for r in self.roles if r.name == name)

    def policy_arn(self, ref: str) -> str:
        """ARN of a managed-policy reference: an AWS managed ARN as is, else a name here."""
        if ref.startswith("arn:"):
            return ref
        return f"arn:aws:iam::{self.account_id}:policy/{ref}"

    @property
    def aws_managed_policy_arns(self) -> frozenset[str]:
        """AWS managed policies the estate attaches (moto must have them loaded)."""
        holders: tuple[UserSpec | GroupSpec | RoleSpec, ...] = (*self.users, *self.groups, *self.roles)
        refs = [ref for holder in holders for ref in holder.managed_policies]
        return frozenset(ref for ref in refs if ref.startswith(AWS_MANAGED_POLICY_PREFIX))

    @property
    def identity_count(self) -> int:
        """Users, roles and groups."""
        return len(self.users) + len(self.roles) + len(self.groups)

    def expected_findings(self) -> set[tuple[str, str]]:
        """Every ``(rule_id, identity ARN)`` a correct scan with default thresholds reports.

        Findings on an access key are attributed to the user that holds it; findings about a
        customer-managed policy itself name the policy's ARN. Beside what each ``expect`` states,
        the census of standing secrets: every user holding an active key has its
        ``long-lived-secret`` findings (one per key, low), whatever else is judged.
        """
        found: set[tuple[str, str]] = set()
        for user in self.users:
            found.update((str(rule), user.arn(self.account_id)) for rule in user.expect)
            if any(key.active for key in user.keys):
                found.add((str(RuleId.LONG_LIVED_SECRET), user.arn(self.account_id)))
        for role in self.roles:
            found.update((str(rule), role.arn(self.account_id)) for rule in role.expect)
        for policy in self.policies:
            found.update((str(rule), self.policy_arn(policy.name)) for rule in policy.expect)
        return found


def expected_key_rules(keys: Iterable[KeySpec], *, console_password: bool) -> frozenset[str]:
    """The credential rules a user's keys trigger under the scanner's default thresholds.

    Used to generate synthetic estates, and by tests to check hand-written ``expect`` sets.
    """
    active = [key for key in keys if key.active]
    rules: set[str] = set()
    if any(key.age_days > KEY_MAX_AGE_DAYS for key in active):
        rules.add(RuleId.KEY_TOO_OLD)
    if any(
        key.age_days > KEY_GRACE_DAYS if key.last_used_days_ago is None else key.last_used_days_ago > KEY_UNUSED_DAYS
        for key in active
    ):
        rules.add(RuleId.KEY_UNUSED)
    if len(active) >= 2:
        rules.add(RuleId.TWO_ACTIVE_KEYS)
    if console_password and active:
        rules.add(RuleId.CONSOLE_AND_KEYS)
    return frozenset(str(rule) for rule in rules)
