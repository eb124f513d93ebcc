"""The typed inventory every collector produces and every later stage reads.

Records are frozen pydantic models with ``extra="forbid"``: a snapshot written by another
version, or edited by hand, fails loudly at load instead of silently dropping a field.
Identifiers are normalized once by the collector (ARNs, emails, object ids) so that every
later stage compares them with ``==``. Every datetime is timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from standing.core.trust_conditions import TrustCondition, parse_trust_conditions


def _as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("timestamp has no timezone")
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before the first instant Python can hold
        raise ValueError("timestamp is outside the supported range (years 1 to 9999 in UTC)") from None


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Provider(StrEnum):
    AWS = "aws"
    GCP = "gcp"
    AZURE = "azure"


class IdentityKind(StrEnum):
    ROOT = "root"
    USER = "user"
    ROLE = "role"
    GROUP = "group"
    SERVICE_ACCOUNT = "service_account"
    SERVICE_PRINCIPAL = "service_principal"
    MANAGED_IDENTITY = "managed_identity"


class WorkloadKind(StrEnum):
    CI = "ci"
    NOTEBOOK = "notebook"
    TRAINING = "training"
    INFERENCE = "inference"
    AGENT = "agent"
    APP = "app"
    UNKNOWN = "unknown"


class CredentialKind(StrEnum):
    ACCESS_KEY = "access_key"
    SA_KEY = "sa_key"
    CLIENT_SECRET = "client_secret"
    CERTIFICATE = "certificate"
    FEDERATED = "federated"
    MANAGED = "managed"
    PASSWORD = "password"


class UsageStatus(StrEnum):
    """Whether a last-use date is a fact.

    Providers report "no date" both for "never used" and for "used before tracking began"
    or "not tracked here"; rules must not read the second as the first.
    """

    USED = "used"
    NEVER = "never"
    NOT_IN_WINDOW = "not_in_window"
    """No use on record, and the record covers only the last ``usage_window_days``, fewer days
    than the record has existed: not used in that window, maybe used before it."""
    UNKNOWN = "unknown"


class ScopeKind(StrEnum):
    RESOURCE = "resource"
    ACCOUNT = "account"
    PROJECT = "project"
    FOLDER = "folder"
    ORGANIZATION = "organization"
    SUBSCRIPTION = "subscription"
    MANAGEMENT_GROUP = "management_group"
    TENANT = "tenant"


class GrantDuration(StrEnum):
    STANDING = "standing"
    ELIGIBLE = "eligible"
    TIME_BOUND = "time_bound"


class TrustKind(StrEnum):
    """How a principal outside an identity becomes it."""

    ANY = "any"  # a wildcard principal: anyone who can sign a request
    ACCOUNT = "account"  # every principal of a whole account the account admins allow
    PRINCIPAL = "principal"  # one named user or role
    SERVICE = "service"  # a cloud service (lambda.amazonaws.com, sagemaker...)
    OIDC = "oidc"  # web identity federation
    SAML = "saml"  # SAML federation, usually humans
    IMPERSONATION = "impersonation"  # GCP token creator / actAs
    OWNER = "owner"  # can add credentials to the identity (Azure app owners, GCP key admins)


class FederationKind(StrEnum):
    OIDC = "oidc"
    SAML = "saml"
    AWS = "aws"  # a GCP workload identity pool provider that accepts AWS callers


class CoverageStatus(StrEnum):
    OK = "ok"
    DENIED = "denied"
    THROTTLED = "throttled"
    FAILED = "failed"
    SKIPPED = "skipped"
    SCOPED = "scoped"
    """Left out by the scan's own options (``--region``, ``--no-workloads``): not read, by choice.
    Not a gap (the scan did what it was asked), but never hidden: reports say what was left out
    instead of "every source was read"."""


class Identity(Record):
    """A principal that can hold credentials or be granted roles."""

    id: str
    provider: Provider
    kind: IdentityKind
    account: str
    name: str
    path: str | None = None
    created: UtcDatetime | None = None
    last_used: UtcDatetime | None = None
    last_used_status: UsageStatus = UsageStatus.UNKNOWN
    usage_window_days: int | None = Field(
        default=None, description="how many days back the provider's record of use reaches (None: no limit known)"
    )
    owner: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    workload: WorkloadKind = WorkloadKind.UNKNOWN
    human: bool | None = Field(default=None, description="True for people, False for workloads, None when unknown")
    provider_managed: bool = Field(
        default=False,
        description="Created and governed by the provider (service-linked roles, SSO roles)",
    )
    console_access: bool = False
    mfa_active: bool | None = None
    disabled: bool = Field(
        default=False, description="cannot sign in at all (GCP disabled SA, Azure accountEnabled=false)"
    )
    permissions_boundary: str | None = Field(
        default=None, description="id of the Role that caps this identity's permissions"
    )
    trust_policy: dict[str, Any] | None = Field(
        default=None, description="raw trust document, kept as evidence for trust findings"
    )
    aliases: list[str] = Field(
        default_factory=list,
        description="other ids the provider's tokens carry for it (a GCP service account's unique id, "
        "an Azure application's app id): how another cloud's federation trust names it",
    )


class UnusedReport(Record):
    """The provider's own word that a credential is unused (Entra's ``staleAppCreds``
    recommendation: "not used in the past 30 days"): evidence beside the tool's own judgement,
    kept as the provider said it, with where it came from."""

    source: str  # e.g. "entra-recommendation:staleAppCreds"
    reference: str  # the provider's id of the report (the recommendation id)
    window_days: int  # the provider's stated period of disuse
    reported_at: UtcDatetime | None = None  # when the provider last saw it apply
    last_active: UtcDatetime | None = None  # the last use it states, if any


class Credential(Record):
    """A credential an identity can authenticate with. Never carries a secret value."""

    id: str
    identity_id: str
    kind: CredentialKind
    active: bool
    created: UtcDatetime | None = None
    expires: UtcDatetime | None = Field(default=None, description="None means it never expires")
    last_used: UtcDatetime | None = None
    last_used_status: UsageStatus = UsageStatus.UNKNOWN
    usage_window_days: int | None = Field(
        default=None, description="how many days back the provider's record of use reaches (None: no limit known)"
    )
    last_used_service: str | None = None
    user_managed: bool = Field(
        default=True,
        description="the estate's people create and rotate it; False for a provider-managed credential "
        "(a Google-managed key, the certificate Azure keeps on a managed identity), which is a fact, never judged",
    )
    compromised: str | None = Field(
        default=None, description="why the provider flags this secret as exposed or compromised"
    )
    reported_unused: UnusedReport | None = Field(
        default=None, description="the provider itself reports this credential unused (Entra recommendations)"
    )


class Role(Record):
    """A set of permissions: an AWS managed or inline policy, a GCP role, an Azure role definition."""

    id: str
    provider: Provider
    name: str
    account: str | None = None
    documents: list[dict[str, Any]] = Field(default_factory=list)
    permissions: list[str] = Field(default_factory=list)
    provider_managed: bool = False


class Scope(Record):
    id: str
    provider: Provider
    kind: ScopeKind
    name: str
    parent_id: str | None = None


class Grant(Record):
    """principal holds role on scope, for how long."""

    principal_id: str
    role_id: str
    scope_id: str
    duration: GrantDuration = GrantDuration.STANDING
    expires: UtcDatetime | None = None
    condition: str | None = None


class Membership(Record):
    member_id: str
    group_id: str


class Trust(Record):
    """principal can become the target identity (one statement of a trust policy, one binding).

    ``conditions`` is the provider's own dialect, kept as evidence; readers judge ``condition``,
    its typed reading, which every Trust (from a collector, a builder or any snapshot) derives
    from it, so the two never disagree.
    """

    target_id: str
    principal: str
    kind: TrustKind
    actions: list[str] = Field(default_factory=list)
    conditions: dict[str, Any] = Field(
        default_factory=dict, description="the raw conditions in the provider's dialect (evidence)"
    )
    issuer: str | None = Field(default=None, description="OIDC issuer host for web identity trusts")

    @cached_property
    def condition(self) -> TrustCondition:
        """The typed reading of ``conditions``: subjects, audiences, sources, expiry, what is unparsed."""
        return parse_trust_conditions(self.conditions, issuer=self.issuer)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Trust:
        copied = super().model_copy(update=update, deep=deep)
        if update:
            copied.__dict__.pop("condition", None)  # read again from the updated conditions
        return copied


class FederationProvider(Record):
    id: str
    provider: Provider
    kind: FederationKind
    account: str
    url: str | None = None
    audiences: list[str] = Field(default_factory=list)
    created: UtcDatetime | None = None


class ScopePolicy(Record):
    """A guardrail set on a scope, such as a GCP organization policy constraint."""

    provider: Provider
    scope_id: str
    constraint: str  # e.g. "iam.disableServiceAccountKeyCreation"
    enforced: bool
    detail: str | None = None


class CoverageEntry(Record):
    """One thing the scan tried to read, and how it went."""

    provider: Provider
    scope: str
    operation: str
    status: CoverageStatus
    detail: str | None = None


class ComputeKind(StrEnum):
    """Compute that runs code as an identity. Whoever can change what it runs, or reach into
    it, acts as that identity without ever holding a credential of its own."""

    # AWS
    LAMBDA_FUNCTION = "lambda_function"
    EC2_INSTANCE = "ec2_instance"
    ECS_SERVICE = "ecs_service"
    CLOUDFORMATION_STACK = "cloudformation_stack"
    GLUE_DEV_ENDPOINT = "glue_dev_endpoint"
    SAGEMAKER_NOTEBOOK = "sagemaker_notebook"
    CODEBUILD_PROJECT = "codebuild_project"
    EKS_POD_IDENTITY = "eks_pod_identity"  # a pod identity association or an IRSA service account
    # GCP
    GCE_INSTANCE = "gce_instance"
    CLOUD_RUN_SERVICE = "cloud_run_service"
    CLOUD_FUNCTION = "cloud_function"
    GKE_NODE_POOL = "gke_node_pool"
    GKE_WORKLOAD_IDENTITY = "gke_workload_identity"  # a Kubernetes service account bound to a GCP one
    # Azure
    AZURE_VM = "azure_vm"
    APP_SERVICE = "app_service"
    FUNCTION_APP = "function_app"
    AKS_CLUSTER = "aks_cluster"
    AUTOMATION_ACCOUNT = "automation_account"
    LOGIC_APP = "logic_app"
    KEY_VAULT = "key_vault"  # runs no code: kept because whoever rewrites its access policy reads its secrets


class Workload(Record):
    """A piece of compute and the identities its code runs as.

    Collected in bulk, read-only, by the same collectors as the identities: escalation reads
    it for hops through existing compute (update a function's code, send a command to an
    instance), risk for "who can run code as this role", the planner to name what to switch,
    and ``identity-unused`` to tell an idle role from one serving live compute.
    """

    id: str  # ARN, full resource name or ARM id, as the provider names it
    provider: Provider
    kind: ComputeKind
    name: str
    account: str  # AWS account, GCP project id, Azure subscription id
    region: str | None = None
    identity_ids: list[str] = Field(
        default_factory=list, description="ids of the identities its code runs as, as in Identity.id"
    )
    state: str | None = Field(default=None, description="the provider's word for it: running, stopped, Active...")
    tags: dict[str, str] = Field(default_factory=dict)
    attributes: dict[str, str] = Field(
        default_factory=dict,
        description="facts of one compute kind that decide whether it can be taken over "
        "(documented per kind in docs/workloads.md), e.g. an instance's SSM registration",
    )


class UsageSource(StrEnum):
    """Who reported what an identity used: the window and the grain differ by source."""

    AWS_ACCESS_ANALYZER = "aws-access-analyzer"  # unused-access findings: unused services and actions
    AWS_ACCESS_ADVISOR = "aws-access-advisor"  # service last accessed, action-level where AWS tracks it
    AWS_CREDENTIAL_REPORT = "aws-credential-report"  # one service per key: a fallback, never a full picture
    GCP_RECOMMENDER = "gcp-recommender"  # google.iam.policy.Recommender: role replacements from 90 days of use
    GCP_ACTIVITY = "gcp-activity"  # Policy Intelligence activity: last authentication only
    AZURE_SIGN_INS = "azure-sign-ins"  # sign-in activity: whether, never what


class ActionUse(Record):
    """One service (``s3``, ``storage.googleapis.com``) or action (``s3:GetObject``,
    ``storage.objects.get``) an identity's grants allow, and when the provider last saw it used.

    ``last_used=None`` means "not used in the record's window": the record names what was
    granted and idle as well as what was used, so the unused part can be named, not guessed.
    """

    name: str
    last_used: UtcDatetime | None = None


class RoleReplacement(Record):
    """A provider's own advice on one binding: replace ``role_id`` on ``scope_id`` with
    ``replace_with`` (empty: remove it), from the permissions used in its window."""

    scope_id: str
    role_id: str
    replace_with: list[str] = Field(default_factory=list)
    recommendation_id: str | None = None


class PermissionUsage(Record):
    """What one identity did with its standing grants, as one source reported it.

    Collected, never inferred: a rule (``permissions-unused``) names the unused part and the
    planner narrows a plan to the used part only when a record exists, and states the window
    it rests on. ``services`` and ``actions`` cover the granted services/actions the source
    tracks, used or not; ``unused_actions`` is what the source itself flags as unused (an
    Access Analyzer finding), which may name actions outside ``actions``.
    """

    identity_id: str
    source: UsageSource
    observed_at: UtcDatetime
    window_days: int
    services: list[ActionUse] = Field(default_factory=list)
    actions: list[ActionUse] = Field(default_factory=list)
    unused_actions: list[str] = Field(default_factory=list)
    replacements: list[RoleReplacement] = Field(default_factory=list)
    action_level: bool = Field(default=False, description="whether the source reports actions, not only services")


class ScanMeta(Record):
    tool_version: str
    started_at: UtcDatetime
    finished_at: UtcDatetime
    providers: list[Provider] = Field(default_factory=list)
    source_times: dict[str, UtcDatetime] = Field(
        default_factory=dict,
        description="when the provider produced a cached source, e.g. the IAM credential report",
    )


class GuardrailKind(StrEnum):
    SCP = "scp"  # AWS Organizations service control policy: caps what principals of an account may do
    RCP = "rcp"  # AWS Organizations resource control policy: caps what may be done to an account's resources
    GCP_DENY = "gcp-deny"  # GCP IAM v2 deny policy on a project, folder or organization
    AZURE_DENY = "azure-deny"  # Azure deny assignment on a scope


class Guardrail(Record):
    """A policy above the account that can stop what the account's own grants allow.

    Kept as the provider wrote it (``document``) with the scopes it is attached to
    (``targets``, ids as in ``Scope.id``: ``aws:root:r-..``, ``aws:ou:ou-..``,
    ``aws:account:..``; ``projects/..``, ``folders/..``, ``organizations/..``; an ARM scope);
    ``analysis.guardrails`` judges which escalation hops it stops.
    """

    id: str  # the provider's id: p-..., the deny policy's name, the deny assignment's ARM id
    provider: Provider
    kind: GuardrailKind
    name: str
    document: dict[str, Any] = Field(default_factory=dict)
    targets: list[str] = Field(default_factory=list, description="scope ids it is attached to")
    exempt_accounts: list[str] = Field(
        default_factory=list,
        description="accounts it never applies to whatever its targets say (AWS: the management account)",
    )


# Where AWS keeps the roles it creates and governs itself (service-linked roles).
AWS_SERVICE_ROLE_PATH = "/aws-service-role/"
# What Azure keeps on a managed identity's service principal: ``keyCredentials`` that Azure itself
# issues and rotates (Graph and ``az ad sp list`` show them), never a secret anyone holds.
_PROVIDER_KEPT_ON_MANAGED_IDENTITY = frozenset({CredentialKind.CERTIFICATE, CredentialKind.CLIENT_SECRET})


def is_service_linked_role(identity: Identity) -> bool:
    return identity.provider is Provider.AWS and (identity.path or "").startswith(AWS_SERVICE_ROLE_PATH)


class Inventory(Record):
    """Everything a scan read.

    Provider-managed facts are settled here, on every path into an inventory (a live collector,
    an offline import, an IaC estate, and a snapshot written by any earlier version): a
    certificate on a managed identity is ``user_managed=False`` and an AWS service-linked role
    is ``provider_managed=True``, whatever the source said. They stay in the inventory as facts
    (``explain`` shows them); ``standing.core.facts`` never counts them as standing secrets or
    judgeable identities. Google-managed keys (``keyType: SYSTEM_MANAGED``) carry no mark on
    their holder, so the GCP collector sets ``user_managed=False`` from the key itself.
    """

    meta: ScanMeta
    identities: list[Identity] = Field(default_factory=list)
    credentials: list[Credential] = Field(default_factory=list)
    roles: list[Role] = Field(default_factory=list)
    scopes: list[Scope] = Field(default_factory=list)
    grants: list[Grant] = Field(default_factory=list)
    memberships: list[Membership] = Field(default_factory=list)
    trusts: list[Trust] = Field(default_factory=list)
    federation: list[FederationProvider] = Field(default_factory=list)
    scope_policies: list[ScopePolicy] = Field(default_factory=list)
    workloads: list[Workload] = Field(default_factory=list)
    guardrails: list[Guardrail] = Field(default_factory=list)
    usage: list[PermissionUsage] = Field(default_factory=list)
    coverage: list[CoverageEntry] = Field(default_factory=list)

    @model_validator(mode="after")
    def _settle_provider_managed(self) -> Inventory:
        managed_identities = set()
        for n, identity in enumerate(self.identities):
            if identity.kind is IdentityKind.MANAGED_IDENTITY:
                managed_identities.add(identity.id)
            elif is_service_linked_role(identity) and not identity.provider_managed:
                self.identities[n] = identity.model_copy(update={"provider_managed": True})
        if managed_identities:
            for n, cred in enumerate(self.credentials):
                if (
                    cred.user_managed
                    and cred.identity_id in managed_identities
                    and cred.kind in _PROVIDER_KEPT_ON_MANAGED_IDENTITY
                ):
                    self.credentials[n] = cred.model_copy(update={"user_managed": False})
        return self

    @property
    def gaps(self) -> list[CoverageEntry]:
        return [c for c in self.coverage if c.status not in (CoverageStatus.OK, CoverageStatus.SCOPED)]

    @property
    def left_out(self) -> list[CoverageEntry]:
        """What the scan's options left out on purpose (``CoverageStatus.SCOPED``)."""
        return [c for c in self.coverage if c.status is CoverageStatus.SCOPED]

    @property
    def complete(self) -> bool:
        return not self.gaps


def merge_inventories(parts: list[Inventory], meta: ScanMeta) -> Inventory:
    """Fan-in of per-account inventories; records are already globally unique by canonical id."""
    fields = [name for name in Inventory.model_fields if name != "meta"]
    merged: dict[str, list[Any]] = {name: [] for name in fields}
    for part in parts:
        for name in fields:
            merged[name].extend(getattr(part, name))
    # Provider-managed policies (arn:aws:iam::aws:policy/...) appear once per account.
    for name in ("roles", "scopes"):
        merged[name] = list({record.id: record for record in reversed(merged[name])}.values())[::-1]
    return Inventory(meta=meta, **merged)
