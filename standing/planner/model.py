"""The plan records: what to replace an identity's standing privilege with, and how.

Frozen pydantic records (the inventory's ``Record``) so ``plans.json`` is versioned and typed
like ``findings.json``, and a consumer can rely on closed vocabularies being enums.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final, Literal

from pydantic import Field

from standing.core.findings import Exposure, Severity
from standing.core.model import IdentityKind, Provider, Record, UtcDatetime, WorkloadKind


class TargetPattern(StrEnum):
    """The just-in-time shape an identity moves to. Values are stable: plans.json uses them."""

    RETIRE = "retire"  # delete unused keys or a dead identity; nothing replaces them
    COMPENSATE = "compensate"  # cannot be ephemeral: keep the secret, behind controls
    AWS_CI_OIDC_ROLE = "aws-ci-oidc-role"
    AWS_EKS_POD_ROLE = "aws-eks-pod-role"
    AWS_SERVICE_ROLE = "aws-service-role"
    AWS_ROLES_ANYWHERE = "aws-roles-anywhere"
    AWS_IDENTITY_CENTER = "aws-identity-center"
    AWS_ADMIN_ON_REQUEST = "aws-admin-on-request"
    AWS_PINNED_CROSS_ACCOUNT = "aws-pinned-cross-account"
    AWS_AGENT_PER_CALL = "aws-agent-per-call"
    AWS_RUN_SCOPED_ROLE = "aws-run-scoped-role"
    GCP_WORKLOAD_IDENTITY_FEDERATION = "gcp-workload-identity-federation"
    GCP_ATTACHED_SERVICE_ACCOUNT = "gcp-attached-service-account"
    GCP_IMPERSONATION = "gcp-impersonation"
    GCP_PAM_ENTITLEMENT = "gcp-pam-entitlement"
    GCP_AGENT_DOWNSCOPED = "gcp-agent-downscoped"
    AZURE_FEDERATED_CREDENTIAL = "azure-federated-credential"
    AZURE_MANAGED_IDENTITY = "azure-managed-identity"
    AZURE_PIM_ELIGIBLE = "azure-pim-eligible"
    AZURE_AGENT_PER_RESOURCE = "azure-agent-per-resource"


class Phase(StrEnum):
    QUICK_WIN = "quick-win"
    MIGRATION = "migration"
    COMPENSATION = "compensation"


class StepKind(StrEnum):
    """The safe order; every plan's steps are a subsequence of it (see ``SAFE_ORDER``)."""

    CREATE_NEW_PATH = "create-new-path"
    SWITCH_CONSUMER = "switch-consumer"
    WATCH_UNUSED = "watch-unused"
    DEACTIVATE = "deactivate"
    DELETE = "delete"


SAFE_ORDER = tuple(StepKind)


class Step(Record):
    order: int
    kind: StepKind
    title: str
    instruction: str
    rollback: str = Field(description="how to undo this step if the consumer breaks")
    watch_days: int | None = None
    done: bool = Field(default=False, description="this scan shows the step already carried out")
    done_evidence: str | None = None


class PolicyKind(StrEnum):
    TRUST = "trust"
    SESSION = "session"
    NARROWED = "narrowed"
    CARRIED = "carried"  # an inline policy moved unchanged to the new path (no usage data to narrow it)
    GUARDRAIL = "guardrail"  # a deny-unless control attached to an identity that keeps a secret


class AwsPolicyDocument(Record):
    """An AWS policy document the plan asks someone to create; tests lint every one."""

    kind: PolicyKind
    name: str
    document: dict[str, Any]


class TerraformProvider(StrEnum):
    AWS = "aws"
    GOOGLE = "google"
    AZURERM = "azurerm"
    AZUREAD = "azuread"


class IacSnippet(Record):
    providers: list[TerraformProvider]
    filename: str
    terraform: str


class ControlKind(StrEnum):
    ROTATION = "rotation"
    SOURCE_RESTRICTION = "source-restriction"
    LEAST_PRIVILEGE = "least-privilege"
    ONE_IDENTITY_PER_CONSUMER = "one-identity-per-consumer"
    ALERT_ON_NEW_SOURCE = "alert-on-new-source"
    OWNER_AND_JUSTIFICATION = "owner-and-justification"
    EXCEPTION_EXPIRY = "exception-expiry"
    POST_USE_REVIEW = "post-use-review"
    # The third-party path: access an outside party holds with its own credentials.
    EXTERNAL_ID = "external-id"
    SESSION_LIMIT = "session-limit"
    SESSION_TAGS = "session-tags"
    ACCESS_REVIEW = "access-review"
    CUT_PATH = "cut-path"  # the one permission or trust whose removal breaks its path to admin, removed now


class CompensatingControl(Record):
    kind: ControlKind
    description: str
    in_place: bool = Field(description="already present in the inventory (detected), not only planned")
    evidence: str | None = None
    query: str | None = Field(default=None, description="the log query that sets up or checks it")
    risk_reduction: int = Field(ge=0, description="points this control takes off the plan's risk")


class Approval(Record):
    required: bool
    reason: str


class UsageBasis(StrEnum):
    USAGE_DATA = "usage-data"
    NO_USAGE_DATA = "no-usage-data"


class Permissions(Record):
    basis: UsageBasis
    services_in_use: list[str] = Field(default_factory=list)
    note: str


class LogCheck(Record):
    source: str
    purpose: str
    query: str


class AgenticMode(StrEnum):
    PER_CALL = "per-call"
    PER_RUN = "per-run"


class AgenticControls(Record):
    mode: AgenticMode
    fail_closed: bool
    mechanism: str


class PlanFinding(Record):
    rule_id: str
    severity: Severity
    subject: str
    fingerprint: str
    risk: int | None
    waived: bool


class CutChange(StrEnum):
    DENY = "deny"  # an AWS Deny policy attached to the path's first identity
    TRUST_EDIT = "trust-edit"  # remove that identity from the next one's trust, IAM policy or owners
    GCP_DENY = "gcp-deny"  # a GCP IAM deny policy for that identity on its project


class PathCut(Record):
    """The smallest change that breaks the identity's path to admin (``standing.analysis.cuts``)."""

    change: CutChange
    summary: str
    hop: dict[str, Any] = Field(description="the hop removed: from, to, how, why, method")
    why_this_hop: str
    policy: dict[str, Any] | None = Field(default=None, description="the Deny policy document, for a deny")
    deny_rules: list[dict[str, Any]] = Field(default_factory=list, description="the GCP deny rules, for gcp-deny")
    trust_of: str | None = Field(default=None, description="whose trust to edit, for a trust edit")


class ConsumerKind(StrEnum):
    """Where the consumer's side of the switch is written. Values are stable: plans.json uses them."""

    GITHUB_ACTIONS = "github-actions"
    GITLAB_CI = "gitlab-ci"
    CIRCLECI = "circleci"
    KUBERNETES = "kubernetes"
    APP_ENVIRONMENT = "app-environment"


class ConsumerChange(Record):
    """The consumer's half of a plan (``standing.planner.consumer``): a YAML snippet beside the Terraform."""

    kind: ConsumerKind
    path: str = Field(description="the file the snippet is merged into, e.g. .github/workflows/deploy.yml")
    summary: str
    uses: list[str] = Field(description="the new role, provider, service account or client id the snippet names")
    subject: str | None = Field(default=None, description="the token subject (or claim) the cloud side pins")
    snippet: str = Field(description="YAML; every value from the cloud quoted by the YAML emitter")
    fill_in: list[str] = Field(default_factory=list, description="values the inventory cannot know, and why")


class Plan(Record):
    identity: str
    identity_name: str
    provider: Provider
    account: str
    identity_kind: IdentityKind
    workload: WorkloadKind
    findings: list[PlanFinding]
    current_state: list[str]
    pattern: TargetPattern
    reason: str = Field(description="why this pattern: the evidence the chooser used")
    target: str
    placeholders: list[str] = Field(
        default_factory=list, description="values the inventory cannot know; confirm before applying"
    )
    ttl_seconds: int | None = Field(description="lifetime of each credential on the new path; None when retiring")
    approval: Approval
    permissions: Permissions
    verify: list[LogCheck]
    steps: list[Step]
    iac: list[IacSnippet]
    aws_policies: list[AwsPolicyDocument] = Field(default_factory=list)
    controls: list[CompensatingControl] = Field(default_factory=list)
    agentic: AgenticControls | None = None
    phase: Phase
    risk: int = Field(ge=0, le=100, description="the worst risk among the plan's findings")
    residual_risk: int = Field(ge=0, le=100, description="what remains once the plan is done")
    effort: int = Field(ge=1, le=5, description="relative effort, 1 (minutes) to 5 (a project)")
    compute: list[str] = Field(
        default_factory=list,
        description="compute that runs as the identity today, e.g. Lambda function `billing-sync` in eu-west-1: "
        "what the switch step moves to the new path",
    )
    cut: PathCut | None = Field(
        default=None, description="for an identity with a path to admin: the one change that breaks it now"
    )
    consumer: list[ConsumerChange] = Field(
        default_factory=list,
        description="the consumer's side of the switch (workflow, service account, app environment), "
        "to commit in the same pull request as the Terraform",
    )

    @property
    def priority(self) -> float:
        """Risk removed per unit of effort: the roadmap's ordering."""
        return (self.risk - self.residual_risk) / self.effort


class RoadmapPhase(Record):
    phase: Phase
    plans: list[str] = Field(description="identity ids, highest risk removed per unit of effort first")
    risk_removed: int
    effort: int
    exposure_before: Exposure
    exposure_after: Exposure


class Roadmap(Record):
    phases: list[RoadmapPhase]


class CompletedPlan(Record):
    """A plan from the previous scan whose identity no longer has findings: the work is done."""

    identity: str
    identity_name: str
    pattern: TargetPattern
    how: str


PLANS_VERSION: Final = 1


class PlansDocument(Record):
    schema_: Literal["standing.plans"] = Field(default="standing.plans", alias="schema")
    version: Literal[1] = PLANS_VERSION
    tool_version: str
    generated_at: UtcDatetime
    as_of: UtcDatetime
    plans: list[Plan] = Field(description="one per identity with findings, most risk removed per effort first")
    roadmap: Roadmap
    completed: list[CompletedPlan] = Field(
        default_factory=list, description="plans of the previous scan (same output dir) with no findings left"
    )
