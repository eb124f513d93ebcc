"""The shape of each ``gcloud`` export, checked before the importer or the normalizer reads it.

The normalizer was written for what the APIs return, where every field has its type; a file a
person hands over may have ``bindings: null``, ``members: [{}]`` or ``validAfterTime: "yesterday"``.
Each entry is validated against the model of its kind (only the fields ``standing`` reads;
anything else passes through untouched), so a wrong type is one line naming the file and the
field (``entry 2 at policy.bindings[0].members[1]: Input should be a valid string``) instead
of a ``TypeError`` deep in the normalizer. The entries themselves are passed on unchanged.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field, StrictBool, StrictStr, ValidationError

from standing.collectors.gcp.normalize import parse_time
from standing.collectors.shapes import ExportShape, date_text
from standing.core.errors import UserError
from standing.core.textfiles import validation_problem

Time = Annotated[StrictStr, AfterValidator(date_text(parse_time, "RFC 3339"))]
Strings = list[StrictStr]


Shape = ExportShape


class Condition(Shape):
    expression: StrictStr | None = None


class Binding(Shape):
    role: StrictStr
    members: Strings = []
    condition: Condition | None = None


class Policy(Shape):
    bindings: list[Binding] = []


class AssetSearchResult(Shape):
    resource: StrictStr
    project: StrictStr | None = None
    folders: Strings | None = None
    organization: StrictStr | None = None
    policy: Policy | None = None


class AssetExport(Shape):
    name: StrictStr
    ancestors: Strings | None = None
    iamPolicy: Policy | None = None  # field names as the export spells them
    iam_policy: Policy | None = None


class ServiceAccount(Shape):
    email: StrictStr
    name: Annotated[StrictStr, Field(pattern=r"^projects/[^/]+/serviceAccounts/[^/]+$")]
    projectId: StrictStr | None = None
    uniqueId: StrictStr | None = None
    displayName: StrictStr | None = None
    disabled: StrictBool | None = None


class ExtendedStatus(Shape):
    key: StrictStr = ""


class Key(Shape):
    name: Annotated[StrictStr, Field(pattern=r"^projects/[^/]+/serviceAccounts/[^/]+/keys/[^/]+$")]
    validAfterTime: Time | None = None
    validBeforeTime: Time | None = None
    keyType: StrictStr = "USER_MANAGED"
    disableReason: StrictStr = ""
    extendedStatus: list[ExtendedStatus] = []
    disabled: StrictBool = False


class LastAuthentication(Shape):
    lastAuthenticatedTime: Time | None = None


class Activity(Shape):
    activityType: StrictStr
    fullResourceName: StrictStr
    activity: LastAuthentication | None = None


class Oidc(Shape):
    issuerUri: StrictStr = ""
    allowedAudiences: Strings = []


class Aws(Shape):
    accountId: StrictStr | None = None


class WifProvider(Shape):
    name: Annotated[StrictStr, Field(pattern=r"^projects/[^/]+/locations/[^/]+/workloadIdentityPools/[^/]+")]
    disabled: StrictBool | None = None
    state: StrictStr = "ACTIVE"
    attributeCondition: StrictStr | None = None
    oidc: Oidc | None = None
    aws: Aws = Aws()


class AllowedValues(Shape):
    allowedValues: Strings = []


class OrgPolicyRule(Shape):
    condition: Any = None
    values: AllowedValues | None = None
    enforce: Any = None


class OrgPolicySpec(Shape):
    rules: list[OrgPolicyRule] = []


class OrgPolicy(Shape):
    name: StrictStr
    spec: OrgPolicySpec | None = None


class CustomRole(Shape):
    name: StrictStr
    title: StrictStr | None = None
    stage: StrictStr = "ALPHA"
    deleted: StrictBool | None = None
    includedPermissions: Strings | None = None


class RecommendationOperation(Shape):
    action: StrictStr = ""
    resource: StrictStr = ""
    pathFilters: dict[StrictStr, Any] = {}  # the member filter: one member, or a list (the schema allows both)


class RecommendationGroup(Shape):
    operations: list[RecommendationOperation] = []


class RecommendationContent(Shape):
    operationGroups: list[RecommendationGroup] = []


class RecommendationState(Shape):
    state: StrictStr = ""


class Recommendation(Shape):
    """``gcloud recommender recommendations list --recommender=google.iam.policy.Recommender``."""

    name: Annotated[StrictStr, Field(pattern=r"/recommenders/google\.iam\.policy\.Recommender/recommendations/")]
    recommenderSubtype: StrictStr = ""
    stateInfo: RecommendationState | None = None
    content: RecommendationContent | None = None
    lastRefreshTime: Time | None = None


class InstanceServiceAccount(Shape):
    email: StrictStr
    scopes: Strings = []


class MetadataItem(Shape):
    key: StrictStr
    value: StrictStr | None = None


class InstanceMetadata(Shape):
    items: list[MetadataItem] = []


class Instance(Shape):
    """``gcloud compute instances list --format=json``: the API's Instance records."""

    name: StrictStr
    selfLink: Annotated[StrictStr, Field(pattern=r"/projects/[^/]+/zones/[^/]+/instances/[^/]+$")]
    status: StrictStr | None = None
    serviceAccounts: list[InstanceServiceAccount] = []
    metadata: InstanceMetadata | None = None
    labels: dict[str, StrictStr] = {}


class RunTemplate(Shape):
    serviceAccount: StrictStr | None = None


class KnativeMetadata(Shape):
    name: StrictStr
    namespace: StrictStr
    labels: dict[str, StrictStr] = {}
    annotations: dict[str, StrictStr] = {}


class KnativePodSpec(Shape):
    serviceAccountName: StrictStr | None = None


class KnativeTemplate(Shape):
    spec: KnativePodSpec | None = None


class KnativeSpec(Shape):
    template: KnativeTemplate | None = None


class KnativeStatus(Shape):
    url: StrictStr | None = None


class RunService(Shape):
    """``gcloud run services list --format=json`` writes Cloud Run Admin v1 (Knative) records;
    the v2 API's records (``name: projects/P/locations/L/services/S``) are accepted too."""

    name: Annotated[StrictStr, Field(pattern=r"^projects/[^/]+/locations/[^/]+/services/[^/]+$")] | None = None
    template: RunTemplate | None = None
    labels: dict[str, StrictStr] = {}
    metadata: KnativeMetadata | None = None
    spec: KnativeSpec | None = None
    status: KnativeStatus | Any = None


class FunctionBuild(Shape):
    runtime: StrictStr | None = None
    serviceAccount: StrictStr | None = None


class FunctionService(Shape):
    serviceAccountEmail: StrictStr | None = None
    ingressSettings: StrictStr | None = None


class Function(Shape):
    """``gcloud functions list --format=json``: Cloud Functions v2 records (1st gen ones included)."""

    name: Annotated[StrictStr, Field(pattern=r"^projects/[^/]+/locations/[^/]+/functions/[^/]+$")]
    environment: StrictStr | None = None
    state: StrictStr | None = None
    buildConfig: FunctionBuild | None = None
    serviceConfig: FunctionService | None = None
    labels: dict[str, StrictStr] = {}


class NodeConfig(Shape):
    serviceAccount: StrictStr | None = None
    oauthScopes: Strings = []


class NodePool(Shape):
    name: StrictStr
    status: StrictStr | None = None
    config: NodeConfig | None = None


class WorkloadIdentityConfig(Shape):
    workloadPool: StrictStr | None = None


class Cluster(Shape):
    """``gcloud container clusters list --format=json``: the API's Cluster records."""

    name: StrictStr
    location: StrictStr
    selfLink: Annotated[StrictStr, Field(pattern=r"/projects/[^/]+/(?:locations|zones)/[^/]+/clusters/[^/]+$")]
    nodePools: list[NodePool] = []
    workloadIdentityConfig: WorkloadIdentityConfig | None = None
    resourceLabels: dict[str, StrictStr] = {}


def check_entries(source: str, entries: list[dict[str, Any]], shape: type[Shape]) -> None:
    """Refuse the file at its first entry whose fields do not have the types ``shape`` names."""
    for index, entry in enumerate(entries):
        try:
            shape.model_validate(entry)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            if first["type"] == "missing" and len(first["loc"]) == 1:
                raise UserError(
                    source, f"entry {index + 1} has no {first['loc'][0]!r}; is this the right file?"
                ) from None
            raise UserError(source, f"entry {index + 1} {validation_problem(exc)}") from None
