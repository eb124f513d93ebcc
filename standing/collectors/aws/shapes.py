"""The shape of each ``aws iam`` export, checked before the importer or the normalizer reads it.

``normalize`` was written for what botocore returns, where every field has its type; a file a
person hands over may hold ``"UserPolicyList": null``, ``"CreateDate": "yesterday"`` or a group's
``AttachedManagedPolicies`` written as one object instead of a list (AWS's own CLI example does
that). Each entry is validated against the model of its kind (only the fields ``standing``
reads; anything else passes through untouched), so a wrong type is one line naming the file and
the field instead of a ``TypeError`` deep in the normalizer. The entries are passed on unchanged.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import unquote

from pydantic import AfterValidator, StrictBool, StrictStr, ValidationError

from standing.collectors.aws.normalize import parse_report_time
from standing.collectors.shapes import ExportShape, date_text
from standing.core.errors import UserError
from standing.core.textfiles import validation_problem, within_depth


def _iso(value: str) -> datetime | None:
    """What the AWS CLI prints for a timestamp (ISO 8601 with an offset or ``Z``); ``None``
    (refused) for anything else, because ``normalize`` could not place it in time."""
    parsed = parse_report_time(value)
    if parsed is None:
        raise ValueError(value)
    return parsed


def _policy(value: Any) -> Any:
    """A policy document: an object (what the CLI prints, decoded), or the wire's URL-encoded
    JSON text, which must decode to an object."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        raise ValueError("a policy document must be a JSON object")
    try:
        decoded = json.loads(unquote(value))
    except ValueError:
        raise ValueError("a policy document that is not JSON") from None
    if not isinstance(decoded, dict) or not within_depth(decoded):
        raise ValueError("a policy document that is not a JSON object")
    return value


Time = Annotated[StrictStr, AfterValidator(date_text(_iso, "ISO 8601 with a time zone"))]
PolicyDoc = Annotated[Any, AfterValidator(_policy)]
Strings = list[StrictStr]
Shape = ExportShape


class Tag(Shape):
    Key: StrictStr
    Value: StrictStr = ""


class Attached(Shape):
    PolicyArn: StrictStr


class Inline(Shape):
    PolicyName: StrictStr
    PolicyDocument: PolicyDoc


class Boundary(Shape):
    PermissionsBoundaryArn: StrictStr | None = None


class LastUsed(Shape):
    LastUsedDate: Time | None = None


class _Principal(Shape):
    Arn: StrictStr
    Path: StrictStr | None = None
    CreateDate: Time | None = None
    AttachedManagedPolicies: list[Attached] = []
    PermissionsBoundary: Boundary | None = None
    Tags: list[Tag] | None = None


class User(_Principal):
    UserName: StrictStr
    UserPolicyList: list[Inline] = []
    GroupList: Strings = []


class Group(_Principal):
    GroupName: StrictStr
    GroupPolicyList: list[Inline] = []


class Role(_Principal):
    RoleName: StrictStr
    RolePolicyList: list[Inline] = []
    AssumeRolePolicyDocument: PolicyDoc | None = None
    RoleLastUsed: LastUsed | None = None


class PolicyVersion(Shape):
    Document: PolicyDoc | None = None
    IsDefaultVersion: StrictBool = False


class Policy(Shape):
    Arn: StrictStr
    PolicyName: StrictStr | None = None
    PolicyVersionList: list[PolicyVersion] = []


class AuthorizationDetails(Shape):
    """One ``get-account-authorization-details`` document: the merged output, or one page."""

    UserDetailList: list[User] = []
    GroupDetailList: list[Group] = []
    RoleDetailList: list[Role] = []
    Policies: list[Policy] = []
    IsTruncated: StrictBool = False
    Marker: StrictStr | None = None
    NextToken: StrictStr | None = None


class CredentialReport(Shape):
    """``aws iam get-credential-report``: the CSV base64-encoded, as the CLI prints a blob."""

    Content: StrictStr
    GeneratedTime: Time
    ReportFormat: StrictStr = "text/csv"


class AccessKey(Shape):
    UserName: StrictStr
    AccessKeyId: StrictStr
    Status: StrictStr
    CreateDate: Time | None = None


class AccessKeys(Shape):
    AccessKeyMetadata: list[AccessKey]
    IsTruncated: StrictBool = False
    Marker: StrictStr | None = None


class ProviderEntry(Shape):
    Arn: StrictStr


class OidcProviders(Shape):
    OpenIDConnectProviderList: list[ProviderEntry]


class OidcProvider(Shape):
    Url: StrictStr | None = None
    ClientIDList: Strings = []
    ThumbprintList: Strings = []
    CreateDate: Time | None = None


class SamlProvider(ProviderEntry):
    CreateDate: Time | None = None
    ValidUntil: Time | None = None


class SamlProviders(Shape):
    SAMLProviderList: list[SamlProvider]


def check(source: str, data: Any, shape: type[Shape], command: str) -> Any:
    """``data`` if it is one ``shape`` object, else a ``UserError`` naming the file and field."""
    if not isinstance(data, dict):
        raise UserError(source, f"expected the JSON object `{command}` prints, not a JSON {type(data).__name__}")
    try:
        shape.model_validate(data)
    except ValidationError as exc:
        raise UserError(source, f"is not `{command}` output: {validation_problem(exc)}") from None
    return data
