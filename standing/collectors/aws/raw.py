"""The raw bundle of one AWS account: what the API returned, kept as botocore gives it, so that
``normalize`` (pure, no SDK) and ``fetch`` (SDK calls only) share it without importing each other."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from standing.core.model import CoverageEntry, UtcDatetime

ROOT_ROW_USER = "<root_account>"
# Values the report uses where a key slot is empty.
_EMPTY_SLOT_VALUES = frozenset({"", "N/A", "not_supported"})


class _Raw(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AuthorizationDetails(_Raw):
    """The four lists of GetAccountAuthorizationDetails, exactly as botocore returns them."""

    users: list[dict[str, Any]] = Field(default_factory=list)
    groups: list[dict[str, Any]] = Field(default_factory=list)
    roles: list[dict[str, Any]] = Field(default_factory=list)
    policies: list[dict[str, Any]] = Field(default_factory=list)


class CredentialReport(_Raw):
    """Rows of the IAM credential report (CSV columns -> strings) and when IAM built it.

    AWS caches the report for up to four hours, so ``generated_time`` bounds how fresh every
    last-used value in it can be.
    """

    generated_time: UtcDatetime
    rows: list[dict[str, str]]


class AccessKeyMetadata(_Raw):
    """One ListAccessKeys entry: the key id and status, never the secret."""

    user_name: str
    access_key_id: str
    status: str
    created: UtcDatetime | None = None

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> AccessKeyMetadata:
        """One ``AccessKeyMetadata`` entry as botocore (datetimes) or the CLI (ISO strings) gives it."""
        return cls(
            user_name=str(item["UserName"]),
            access_key_id=str(item["AccessKeyId"]),
            status=str(item["Status"]),
            created=item.get("CreateDate"),
        )


class OidcProviderDetails(_Raw):
    arn: str
    url: str | None = None
    client_ids: list[str] = Field(default_factory=list)
    thumbprints: list[str] = Field(default_factory=list)
    created: UtcDatetime | None = None

    @classmethod
    def from_detail(cls, arn: str, detail: dict[str, Any]) -> OidcProviderDetails:
        """A ``GetOpenIDConnectProvider`` answer (which does not repeat the ARN asked about)."""
        return cls(
            arn=arn,
            url=detail.get("Url"),
            client_ids=list(detail.get("ClientIDList") or []),
            thumbprints=list(detail.get("ThumbprintList") or []),
            created=detail.get("CreateDate"),
        )


class SamlProviderDetails(_Raw):
    arn: str
    created: UtcDatetime | None = None
    valid_until: UtcDatetime | None = None

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> SamlProviderDetails:
        """One ``SAMLProviderList`` entry."""
        return cls(arn=str(item["Arn"]), created=item.get("CreateDate"), valid_until=item.get("ValidUntil"))


class RegionWorkloads(_Raw):
    """The compute listings of one region, as botocore returns them. ``None``: not read (the
    gap is in ``RawAccount.coverage``); an empty list: read, nothing there."""

    region: str
    lambda_functions: list[dict[str, Any]] | None = None
    instances: list[dict[str, Any]] | None = None
    ssm_managed_instances: list[str] | None = Field(
        default=None, description="instance ids Systems Manager reports; None when not readable"
    )
    ecs_services: list[dict[str, Any]] | None = None
    ecs_task_definitions: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="task definition ARN -> definition, for those services run"
    )
    stacks: list[dict[str, Any]] | None = None
    glue_dev_endpoints: list[dict[str, Any]] | None = None
    notebook_instances: list[dict[str, Any]] | None = None
    codebuild_projects: list[dict[str, Any]] | None = None
    eks_pod_identities: list[dict[str, Any]] | None = None


class RawAccount(_Raw):
    """Everything read from one account. ``None`` means the read failed (see ``coverage``)."""

    account_id: str
    caller_arn: str
    authorization_details: AuthorizationDetails | None = None
    credential_report: CredentialReport | None = None
    access_keys: dict[str, list[AccessKeyMetadata]] = Field(
        default_factory=dict,
        description="user ARN -> keys; a user is absent when its keys were not listed",
    )
    oidc_providers: list[OidcProviderDetails] | None = None
    saml_providers: list[SamlProviderDetails] | None = None
    workload_regions: list[RegionWorkloads] = Field(
        default_factory=list, description="per region read; empty when regions could not be listed"
    )
    coverage: list[CoverageEntry] = Field(default_factory=list)


def has_key_slot(row: dict[str, str], slot: int) -> bool:
    """Whether report slot ``access_key_<slot>`` holds a key (active or not)."""
    return row.get(f"access_key_{slot}_active") == "true" or (
        row.get(f"access_key_{slot}_last_rotated", "N/A") not in _EMPTY_SLOT_VALUES
    )


def holds_key(row: dict[str, str]) -> bool:
    """Whether a report row is a user (not the root row) with a key in either slot: the users
    whose keys the live scan lists and an import expects listings for."""
    return row.get("user") != ROOT_ROW_USER and (has_key_slot(row, 1) or has_key_slot(row, 2))
