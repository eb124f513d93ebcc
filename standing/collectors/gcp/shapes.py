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
