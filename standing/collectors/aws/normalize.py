"""Raw AWS bundle -> inventory records. Pure: no SDK calls, no clock (``now`` is a parameter).

Every AWS quirk is settled here, once: credential-report strings become dates with a
``UsageStatus``, report key slots are matched to real key ids, principals in trust policies
are normalized to canonical ARNs, and managed policy names are derived where moto omits them.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import standing
from standing.collectors.aws.raw import (
    ROOT_ROW_USER,
    AccessKeyMetadata,
    AuthorizationDetails,
    RawAccount,
    has_key_slot,
)
from standing.collectors.aws.workloads import workloads_from_raw
from standing.core.model import (
    Credential,
    CredentialKind,
    FederationKind,
    FederationProvider,
    Grant,
    Identity,
    IdentityKind,
    Inventory,
    Membership,
    Provider,
    Role,
    ScanMeta,
    Scope,
    ScopeKind,
    Trust,
    TrustKind,
    UsageStatus,
    WorkloadKind,
)

# Before these dates AWS did not track use; an "N/A" for an older credential says nothing.
KEY_TRACKING_START = datetime(2015, 4, 22, tzinfo=UTC)
PASSWORD_TRACKING_START = datetime(2014, 10, 20, tzinfo=UTC)
# RoleLastUsed only looks back this far: "Activity is only reported for the trailing 400 days ...
# The role might have been used more than 400 days ago" (IAM API Reference, RoleLastUsed,
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_RoleLastUsed.html). An empty one on an
# older role is "no use in the last 400 days" (UsageStatus.NOT_IN_WINDOW), not "never".
ROLE_LAST_USED_WINDOW = timedelta(days=400)
# The report's access_key_N_last_rotated is the key's CreateDate, to the second.
KEY_MATCH_TOLERANCE = timedelta(minutes=5)

_ACCOUNT_ID = re.compile(r"\d{12}")
_ACCOUNT_ROOT_ARN = re.compile(r"arn:([\w-]+):iam::(\d{12}):root")
_SSO_ROLE_PREFIX = "AWSReservedSSO_"
_PROVIDER_ROLE_PATHS = ("/aws-service-role/", "/aws-reserved/sso.amazonaws.com/")
_WORKLOAD_TAGS = ("standing:workload", "workload")
_CI_ISSUERS = frozenset({"token.actions.githubusercontent.com", "gitlab.com"})
_APP_SERVICES = frozenset({"lambda", "ecs-tasks", "ec2"})
_WORKLOAD_VALUES = frozenset(kind.value for kind in WorkloadKind)
_EMPTY_VALUES = frozenset({"", "N/A", "not_supported", "no_information"})


@dataclass(frozen=True)
class Usage:
    """A last-use date and whether it is a fact (see ``UsageStatus``)."""

    at: datetime | None
    status: UsageStatus


UNKNOWN_USAGE = Usage(None, UsageStatus.UNKNOWN)


def account_scope_id(account_id: str) -> str:
    return f"aws:account:{account_id}"


def parse_report_time(value: str | None) -> datetime | None:
    """An ISO 8601 report value as UTC, or ``None`` for anything else ("N/A", "no_information"...)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(UTC)


def report_usage(value: str | None, *, created: datetime | None, tracking_start: datetime) -> Usage:
    """Read a credential-report last-used value (cloud-apis.md 1.5).

    A date is a use. "N/A" means never used only for a credential created after tracking
    began; any other value, or "N/A" for an older credential, is unknown, never "never used".
    """
    used = parse_report_time(value)
    if used is not None:
        return Usage(used, UsageStatus.USED)
    if value == "N/A" and created is not None and created > tracking_start:
        return Usage(None, UsageStatus.NEVER)
    return UNKNOWN_USAGE


def latest_usage(usages: Iterable[Usage]) -> Usage:
    """An identity's use from its credentials': the latest date; NEVER only if all say never."""
    usages = list(usages)
    dates = [u.at for u in usages if u.status is UsageStatus.USED and u.at is not None]
    if dates:
        return Usage(max(dates), UsageStatus.USED)
    if usages and all(u.status is UsageStatus.NEVER for u in usages):
        return Usage(None, UsageStatus.NEVER)
    return UNKNOWN_USAGE


def normalize_account(
    raw: RawAccount,
    *,
    now: datetime,
    account_name: str | None = None,
    parent_scope_id: str | None = None,
) -> Inventory:
    """One account's inventory. ``now`` dates the meta and ages roles without a last use."""
    return _AccountNormalizer(raw, now=now).run(account_name, parent_scope_id)


class _AccountNormalizer:
    """Accumulates records for one account; one method per kind of source record."""

    def __init__(self, raw: RawAccount, *, now: datetime) -> None:
        self.raw = raw
        self.now = now
        self.account = raw.account_id
        self.partition = _partition(raw.caller_arn)
        self.scope_id = account_scope_id(raw.account_id)
        self.identities: list[Identity] = []
        self.credentials: list[Credential] = []
        self.roles: list[Role] = []
        self.grants: list[Grant] = []
        self.memberships: list[Membership] = []
        self.trusts: list[Trust] = []
        report = raw.credential_report
        rows = report.rows if report is not None else []
        self.root_row = next((r for r in rows if r.get("user") == ROOT_ROW_USER), None)
        self.rows_by_arn = {r["arn"]: r for r in rows if r.get("user") != ROOT_ROW_USER}

    def run(self, account_name: str | None, parent_scope_id: str | None) -> Inventory:
        details = self.raw.authorization_details
        if details is not None:
            self._authorization_details(details)
        else:
            # Without GAAD the report still names every user. (With GAAD, a report-only row
            # is a user deleted since the cached report was built, so it is not added.)
            for arn, row in self.rows_by_arn.items():
                self._user_from_report(arn, row)
        if self.root_row is not None:
            self._root(self.root_row)
        scope = Scope(
            id=self.scope_id,
            provider=Provider.AWS,
            kind=ScopeKind.ACCOUNT,
            name=account_name or self.account,
            parent_id=parent_scope_id,
        )
        return Inventory(
            meta=self._meta(),
            identities=self.identities,
            credentials=self.credentials,
            roles=self.roles,
            scopes=[scope],
            grants=self.grants,
            memberships=self.memberships,
            trusts=self.trusts,
            federation=list(self._federation()),
            workloads=workloads_from_raw(self.raw),
            coverage=list(self.raw.coverage),
        )

    def _meta(self) -> ScanMeta:
        report = self.raw.credential_report
        source_times = {f"aws:{self.account}:credential-report": report.generated_time} if report is not None else {}
        return ScanMeta(
            tool_version=standing.__version__,
            started_at=self.now,
            finished_at=self.now,
            providers=[Provider.AWS],
            source_times=source_times,
        )

    # --- GAAD -------------------------------------------------------------------------

    def _authorization_details(self, details: AuthorizationDetails) -> None:
        group_arns = {g["GroupName"]: g["Arn"] for g in details.groups}
        for user in details.users:
            self._user(user, group_arns)
        for group in details.groups:
            self._group(group)
        for role in details.roles:
            self._role(role)
        for policy in details.policies:
            self.roles.append(self._managed_policy(policy))

    def _permissions(self, principal_arn: str, entry: dict[str, Any], inline_key: str) -> None:
        """Grants for attached managed policies and inline policies (as their own Roles)."""
        for attached in entry.get("AttachedManagedPolicies", []):
            self.grants.append(Grant(principal_id=principal_arn, role_id=attached["PolicyArn"], scope_id=self.scope_id))
        for inline in entry.get(inline_key, []):
            role_id = f"{principal_arn}#inline/{inline['PolicyName']}"
            self.roles.append(
                Role(
                    id=role_id,
                    provider=Provider.AWS,
                    name=inline["PolicyName"],
                    account=self.account,
                    documents=[_document(inline["PolicyDocument"])],
                )
            )
            self.grants.append(Grant(principal_id=principal_arn, role_id=role_id, scope_id=self.scope_id))

    def _user(self, user: dict[str, Any], group_arns: dict[str, str]) -> None:
        arn = user["Arn"]
        self._user_identity(
            arn,
            user["UserName"],
            self.rows_by_arn.get(arn),
            created=_utc(user.get("CreateDate")),
            path=user.get("Path"),
            tags=_tags(user.get("Tags")),
            permissions_boundary=_boundary(user),
        )
        self._permissions(arn, user, "UserPolicyList")
        for group_name in user.get("GroupList", []):
            # GroupList holds names; a group missing from the listing is still a membership.
            group_arn = group_arns.get(group_name) or f"arn:{self.partition}:iam::{self.account}:group/{group_name}"
            self.memberships.append(Membership(member_id=arn, group_id=group_arn))

    def _user_from_report(self, arn: str, row: dict[str, str]) -> None:
        self._user_identity(arn, row["user"], row, created=parse_report_time(row.get("user_creation_time")))

    def _user_identity(self, arn: str, name: str, row: dict[str, str] | None, **fields: Any) -> None:
        """A user and its credentials; ``row`` is its credential-report line, if any."""
        credentials = self._user_credentials(arn, row or {})
        self.credentials.extend(credentials)
        usage = latest_usage(_credential_usage(credentials))
        self.identities.append(
            Identity(
                id=arn,
                provider=Provider.AWS,
                kind=IdentityKind.USER,
                account=self.account,
                name=name,
                last_used=usage.at,
                last_used_status=usage.status,
                human=_user_is_human(row, credentials),
                console_access=row is not None and row.get("password_enabled") == "true",
                mfa_active=_report_bool(row.get("mfa_active")) if row is not None else None,
                workload=role_workload(fields.get("tags", {}), []),  # users: only a tag can say
                **fields,
            )
        )

    def _group(self, group: dict[str, Any]) -> None:
        arn = group["Arn"]
        self.identities.append(
            Identity(
                id=arn,
                provider=Provider.AWS,
                kind=IdentityKind.GROUP,
                account=self.account,
                name=group["GroupName"],
                path=group.get("Path"),
                created=_utc(group.get("CreateDate")),
            )
        )
        self._permissions(arn, group, "GroupPolicyList")

    def _role(self, role: dict[str, Any]) -> None:
        arn = role["Arn"]
        name = role["RoleName"]
        path = role.get("Path") or "/"
        trust_policy = _document(role.get("AssumeRolePolicyDocument") or {})
        trusts = trusts_from_policy(arn, trust_policy, partition=self.partition)
        self.trusts.extend(trusts)
        created = _utc(role.get("CreateDate"))
        tags = _tags(role.get("Tags"))
        sso = name.startswith(_SSO_ROLE_PREFIX)
        saml_only = bool(trusts) and all(t.kind is TrustKind.SAML for t in trusts)
        usage = self._role_usage(role, created)
        self.identities.append(
            Identity(
                id=arn,
                provider=Provider.AWS,
                kind=IdentityKind.ROLE,
                account=self.account,
                name=name,
                path=path,
                created=created,
                last_used=usage.at,
                last_used_status=usage.status,
                usage_window_days=ROLE_LAST_USED_WINDOW.days,
                tags=tags,
                workload=role_workload(tags, trusts),
                human=sso or saml_only,
                provider_managed=sso or path.startswith(_PROVIDER_ROLE_PATHS),
                permissions_boundary=_boundary(role),
                trust_policy=trust_policy,
            )
        )
        self._permissions(arn, role, "RolePolicyList")

    def _role_usage(self, role: dict[str, Any], created: datetime | None) -> Usage:
        last_used = _utc((role.get("RoleLastUsed") or {}).get("LastUsedDate"))
        if last_used is not None:
            return Usage(last_used, UsageStatus.USED)
        if created is None:
            return UNKNOWN_USAGE
        if self.now - created < ROLE_LAST_USED_WINDOW:
            return Usage(None, UsageStatus.NEVER)
        return Usage(None, UsageStatus.NOT_IN_WINDOW)

    def _managed_policy(self, policy: dict[str, Any]) -> Role:
        arn = policy["Arn"]
        provider_managed = ":aws:policy/" in arn
        default = next(
            (v for v in policy.get("PolicyVersionList", []) if v.get("IsDefaultVersion")),
            None,
        )
        return Role(
            id=arn,
            provider=Provider.AWS,
            # moto omits PolicyName; the ARN's last segment is the name either way.
            name=policy.get("PolicyName") or arn.rsplit("/", 1)[-1],
            # An AWS managed policy belongs to no account (merge keeps one copy of it).
            account=None if provider_managed else self.account,
            documents=[_document(default["Document"])] if default is not None else [],
            provider_managed=provider_managed,
        )

    # --- credential report ------------------------------------------------------------

    def _user_credentials(self, user_arn: str, row: dict[str, str]) -> list[Credential]:
        """Password and keys from the report row ({} when the report is missing)."""
        credentials: list[Credential] = []
        if row.get("password_enabled") == "true":
            changed = parse_report_time(row.get("password_last_changed"))
            usage = report_usage(
                row.get("password_last_used"),
                created=changed or parse_report_time(row.get("user_creation_time")),
                tracking_start=PASSWORD_TRACKING_START,
            )
            credentials.append(
                Credential(
                    id=f"{user_arn}/console-password",
                    identity_id=user_arn,
                    kind=CredentialKind.PASSWORD,
                    active=True,
                    created=changed,
                    expires=parse_report_time(row.get("password_next_rotation")),
                    last_used=usage.at,
                    last_used_status=usage.status,
                )
            )
        slots = [_KeySlot.from_row(row, n) for n in (1, 2) if has_key_slot(row, n)]
        keys = self.raw.access_keys.get(user_arn)
        if keys is None:
            credentials.extend(slot.synthesized(user_arn) for slot in slots)
        else:
            credentials.extend(_listed_keys(user_arn, keys, slots))
        return credentials

    def _root(self, row: dict[str, str]) -> None:
        root_arn = f"arn:{self.partition}:iam::{self.account}:root"
        slots = [_KeySlot.from_row(row, n) for n in (1, 2)]
        keys = [slot.synthesized(root_arn) for slot in slots if slot.active]
        self.credentials.extend(keys)
        password = report_usage(
            row.get("password_last_used"),
            created=parse_report_time(row.get("user_creation_time")),
            tracking_start=PASSWORD_TRACKING_START,
        )
        usage = latest_usage([password, *_credential_usage(keys)])
        self.identities.append(
            Identity(
                id=root_arn,
                provider=Provider.AWS,
                kind=IdentityKind.ROOT,
                account=self.account,
                name="root",
                created=parse_report_time(row.get("user_creation_time")),
                last_used=usage.at,
                last_used_status=usage.status,
                human=True,
                console_access=row.get("password_enabled") == "true",
                mfa_active=_report_bool(row.get("mfa_active")),
            )
        )

    # --- federation -------------------------------------------------------------------

    def _federation(self) -> Iterator[FederationProvider]:
        for oidc in self.raw.oidc_providers or []:
            yield FederationProvider(
                id=oidc.arn,
                provider=Provider.AWS,
                kind=FederationKind.OIDC,
                account=self.account,
                url=oidc.url,
                audiences=oidc.client_ids,
                created=oidc.created,
            )
        for saml in self.raw.saml_providers or []:
            yield FederationProvider(
                id=saml.arn,
                provider=Provider.AWS,
                kind=FederationKind.SAML,
                account=self.account,
                created=saml.created,
            )


@dataclass(frozen=True)
class _KeySlot:
    """Access key slot 1 or 2 of a credential-report row (the report carries no key id)."""

    number: int
    active: bool
    rotated: datetime | None
    last_used_raw: str | None
    service_raw: str | None

    @classmethod
    def from_row(cls, row: dict[str, str], number: int) -> _KeySlot:
        prefix = f"access_key_{number}_"
        return cls(
            number=number,
            active=row.get(prefix + "active") == "true",
            rotated=parse_report_time(row.get(prefix + "last_rotated")),
            last_used_raw=row.get(prefix + "last_used_date"),
            service_raw=row.get(prefix + "last_used_service"),
        )

    def usage(self, created: datetime | None) -> Usage:
        return report_usage(self.last_used_raw, created=created, tracking_start=KEY_TRACKING_START)

    @property
    def service(self) -> str | None:
        return None if self.service_raw in _EMPTY_VALUES else self.service_raw

    def synthesized(self, identity_arn: str) -> Credential:
        """A key known only from the report: its id is made from the slot number."""
        usage = self.usage(self.rotated)
        return Credential(
            id=f"{identity_arn}/access-key-{self.number}",
            identity_id=identity_arn,
            kind=CredentialKind.ACCESS_KEY,
            active=self.active,
            created=self.rotated,
            last_used=usage.at,
            last_used_status=usage.status,
            last_used_service=self.service if usage.status is UsageStatus.USED else None,
        )


def _listed_keys(user_arn: str, keys: list[AccessKeyMetadata], slots: list[_KeySlot]) -> Iterator[Credential]:
    matched = match_key_slots(keys, slots)
    for key in keys:
        slot = matched.get(key.access_key_id)
        # A key newer than the cached report has no slot yet: its use is unknown, not never.
        usage = slot.usage(key.created) if slot is not None else UNKNOWN_USAGE
        yield Credential(
            id=key.access_key_id,
            identity_id=user_arn,
            kind=CredentialKind.ACCESS_KEY,
            active=key.status == "Active",
            created=key.created,
            last_used=usage.at,
            last_used_status=usage.status,
            last_used_service=slot.service if slot is not None and usage.at else None,
        )


def match_key_slots(keys: list[AccessKeyMetadata], slots: list[_KeySlot]) -> dict[str, _KeySlot]:
    """Pair listed keys with report slots by CreateDate ≈ last_rotated (at most 2 x 2).

    Every assignment is scored; a pairing further apart than the tolerance is not allowed,
    a status disagreement costs an hour, an unpaired key costs a day. Ties keep the
    creation order, which is the order AWS fills the slots in.
    """
    ordered = sorted(keys, key=lambda k: (k.created is None, k.created or datetime.min.replace(tzinfo=UTC)))
    candidates: list[_KeySlot | None] = [*slots, *([None] * len(ordered))]
    best: tuple[float, tuple[_KeySlot | None, ...]] | None = None
    for assignment in itertools.permutations(candidates, len(ordered)):
        cost = 0.0
        for key, slot in zip(ordered, assignment):
            if slot is None or key.created is None or slot.rotated is None:
                cost += 86_400
                continue
            gap = abs(key.created - slot.rotated)
            if gap > KEY_MATCH_TOLERANCE:
                cost = float("inf")
                break
            cost += gap.total_seconds() + (0 if (key.status == "Active") == slot.active else 3600)
        if best is None or cost < best[0]:
            best = (cost, assignment)
    if best is None:
        return {}
    return {key.access_key_id: slot for key, slot in zip(ordered, best[1]) if slot is not None}


# --- trust policies ---------------------------------------------------------------------


def trusts_from_policy(target_arn: str, document: dict[str, Any], *, partition: str = "aws") -> list[Trust]:
    """One Trust per (Allow statement x principal) of a role's trust policy."""
    trusts: list[Trust] = []
    for statement in _as_list(document.get("Statement")):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        actions = [str(a) for a in _as_list(statement.get("Action"))]
        conditions = statement.get("Condition") or {}

        def trust(principal: str, kind: TrustKind, issuer: str | None = None) -> Trust:
            return Trust(
                target_id=target_arn,
                principal=principal,
                kind=kind,
                actions=actions,
                conditions=conditions,
                issuer=issuer,
            )

        if "NotPrincipal" in statement:
            # Allow + NotPrincipal trusts everyone but the listed principals.
            trusts.append(trust("*", TrustKind.ANY))
            continue
        for principal, kind, issuer in _principals(statement.get("Principal"), partition):
            trusts.append(trust(principal, kind, issuer))
    return trusts


def _principals(value: Any, partition: str) -> Iterator[tuple[str, TrustKind, str | None]]:
    if value == "*":
        yield "*", TrustKind.ANY, None
        return
    if not isinstance(value, dict):
        return
    for key, entries in value.items():
        for entry in map(str, _as_list(entries)):
            if key == "AWS":
                yield (*_aws_principal(entry, partition), None)
            elif key == "Service":
                yield entry, TrustKind.SERVICE, None
            elif key == "Federated":
                yield _federated_principal(entry)
            else:  # CanonicalUser: one named principal
                yield entry, TrustKind.PRINCIPAL, None


def _aws_principal(entry: str, partition: str) -> tuple[str, TrustKind]:
    if entry == "*":
        return "*", TrustKind.ANY
    if _ACCOUNT_ID.fullmatch(entry):
        return f"arn:{partition}:iam::{entry}:root", TrustKind.ACCOUNT
    root = _ACCOUNT_ROOT_ARN.fullmatch(entry)
    if root is not None:
        return f"arn:{root.group(1)}:iam::{root.group(2)}:root", TrustKind.ACCOUNT
    return entry, TrustKind.PRINCIPAL


def _federated_principal(entry: str) -> tuple[str, TrustKind, str | None]:
    if ":oidc-provider/" in entry:
        return entry, TrustKind.OIDC, entry.split(":oidc-provider/", 1)[1]
    if ":saml-provider/" in entry:
        return entry, TrustKind.SAML, None
    # accounts.google.com, cognito-identity.amazonaws.com, graph.facebook.com...
    return entry, TrustKind.OIDC, entry


def role_workload(tags: dict[str, str], trusts: list[Trust]) -> WorkloadKind:
    """A valid workload tag wins; otherwise the most specific trusted service or issuer."""
    for key in _WORKLOAD_TAGS:
        value = tags.get(key, "").strip().lower()
        if value in _WORKLOAD_VALUES:
            return WorkloadKind(value)
    services = {t.principal.split(".", 1)[0] for t in trusts if t.kind is TrustKind.SERVICE}
    issuers = {t.issuer for t in trusts if t.kind is TrustKind.OIDC}
    if "bedrock" in services:
        return WorkloadKind.AGENT
    if "sagemaker" in services:
        return WorkloadKind.TRAINING
    if issuers & _CI_ISSUERS or "codebuild" in services:
        return WorkloadKind.CI
    if services & _APP_SERVICES:
        return WorkloadKind.APP
    return WorkloadKind.UNKNOWN


# --- small readers ----------------------------------------------------------------------


def _credential_usage(credentials: Iterable[Credential]) -> Iterator[Usage]:
    for credential in credentials:
        yield Usage(credential.last_used, credential.last_used_status)


def _user_is_human(row: dict[str, str] | None, credentials: list[Credential]) -> bool | None:
    """Who is a person in AWS (docs/scope.md): a console password (login profile) and no active
    access key (a deactivated key is no credential today). Active keys and no password: a
    workload. A password beside an active key stays unknown, so the user is judged, for its keys."""
    if row is None:
        return None
    console = row.get("password_enabled") == "true"
    active_key = any(c.kind is CredentialKind.ACCESS_KEY and c.active for c in credentials)
    if console and not active_key:
        return True
    if active_key and not console:
        return False
    return None


def _report_bool(value: str | None) -> bool | None:
    return {"true": True, "false": False}.get(value or "")


def _partition(arn: str) -> str:
    parts = arn.split(":")
    return parts[1] if len(parts) > 1 and parts[1] else "aws"


def _boundary(entry: dict[str, Any]) -> str | None:
    return (entry.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")


def _tags(tags: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in tags or []}


def _utc(value: datetime | str | None) -> datetime | None:
    """botocore returns tz-aware datetimes (often tzlocal); a re-read bundle has ISO strings."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        raise ValueError(f"timestamp without timezone in AWS data: {value.isoformat()}")
    return value.astimezone(UTC)


def _document(value: dict[str, Any] | str) -> dict[str, Any]:
    """Policy documents arrive decoded from botocore; a raw wire value is URL-encoded JSON."""
    if isinstance(value, str):
        decoded: dict[str, Any] = json.loads(unquote(value))
        return decoded
    return value


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
