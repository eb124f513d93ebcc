"""Per-account raw fetch: SDK calls only, into a JSON-able bundle with per-operation coverage.

Nothing here interprets what it reads (that is ``normalize.py``). Every call is wrapped so a
denied, throttled or failed operation becomes a ``CoverageEntry`` and the scan goes on with
what it has. No secret value is read here: ListAccessKeys returns key ids and metadata only.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any, cast

import boto3

from standing.collectors.aws.coverage import CoverageLog, client_error_entry, coverage_status
from standing.collectors.aws.operations import operation
from standing.collectors.aws.raw import (
    AccessKeyMetadata,
    AuthorizationDetails,
    CredentialReport,
    OidcProviderDetails,
    RawAccount,
    SamlProviderDetails,
    holds_key,
)
from standing.collectors.aws.session import AwsScanOptions, make_client
from standing.collectors.aws.workload_fetch import fetch_workloads
from standing.core.model import CoverageStatus

__all__ = ["CoverageLog", "client_error_entry", "coverage_status", "fetch_account"]

REPORT_MAX_ATTEMPTS = 60  # about two minutes of polling: large accounts take a while


def report_poll_delay(attempt: int) -> float:
    """Seconds before poll ``attempt + 1``: a small account's report is ready within a
    second, a large one's takes minutes, so start short and back off to 2 s."""
    return min(2.0, 0.25 * 2.0**attempt)


def parse_credential_report(content: bytes | str) -> list[dict[str, str]]:
    """CSV rows of the report, keyed by column name, values as IAM wrote them."""
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    return [dict(row) for row in csv.DictReader(io.StringIO(text))]


def fetch_account(
    session: boto3.Session,
    options: AwsScanOptions,
    *,
    sleep: Callable[[float], None],
) -> RawAccount:
    """Read one account through ``session``.

    GetCallerIdentity is not wrapped: without the account id nothing else can be named, so
    its errors (and a missing-credentials error) propagate to the caller, which decides
    whether that is a user error (single account) or a gap (one member of an organization).
    """
    sts = make_client(session, "sts", options)
    identity = sts.get_caller_identity()
    account_id = str(identity["Account"])
    log = CoverageLog(account_id)
    log.record(operation("sts", "GetCallerIdentity"), CoverageStatus.OK)

    iam = make_client(session, "iam", options)
    details = fetch_authorization_details(iam, log)
    report = fetch_credential_report(iam, log, sleep)
    access_keys: dict[str, list[AccessKeyMetadata]] = {}
    if options.resolve_key_ids:
        access_keys = fetch_access_keys(iam, log, _key_holders(report, details))
    oidc_providers = fetch_oidc_providers(iam, log)
    saml_providers = fetch_saml_providers(iam, log)
    if options.workloads:
        workload_regions = fetch_workloads(session, options, log)
    else:
        workload_regions = []
        log.record(
            operation("ec2", "DescribeRegions"),
            CoverageStatus.SCOPED,
            "workloads not read (--no-workloads): which compute runs as which role is unknown",
        )
    return RawAccount(
        account_id=account_id,
        caller_arn=str(identity["Arn"]),
        authorization_details=details,
        credential_report=report,
        access_keys=access_keys,
        oidc_providers=oidc_providers,
        saml_providers=saml_providers,
        workload_regions=workload_regions,
        coverage=log.entries,
    )


def fetch_authorization_details(iam: Any, log: CoverageLog) -> AuthorizationDetails | None:
    op = operation("iam", "GetAccountAuthorizationDetails")

    def call() -> dict[str, Any]:
        paginator = iam.get_paginator("get_account_authorization_details")
        return cast(dict[str, Any], paginator.paginate().build_full_result())

    result = log.attempt(op, call)
    if result is None:
        return None
    return AuthorizationDetails(
        users=result.get("UserDetailList", []),
        groups=result.get("GroupDetailList", []),
        roles=result.get("RoleDetailList", []),
        policies=result.get("Policies", []),
    )


def fetch_credential_report(iam: Any, log: CoverageLog, sleep: Callable[[float], None]) -> CredentialReport | None:
    generate = operation("iam", "GenerateCredentialReport")
    for attempt in range(REPORT_MAX_ATTEMPTS):
        state = log.attempt(generate, iam.generate_credential_report, record_ok=False)
        if state is None:
            # Generation denied or failed: an existing report may still be readable.
            break
        if state.get("State") == "COMPLETE":
            log.record(generate, CoverageStatus.OK)
            break
        if attempt + 1 < REPORT_MAX_ATTEMPTS:
            sleep(report_poll_delay(attempt))
    else:
        log.record(
            generate,
            CoverageStatus.FAILED,
            f"report not COMPLETE after {REPORT_MAX_ATTEMPTS} attempts",
        )
        return None

    response = log.attempt(operation("iam", "GetCredentialReport"), iam.get_credential_report)
    if response is None:
        return None
    return CredentialReport(
        generated_time=response["GeneratedTime"],
        rows=parse_credential_report(response["Content"]),
    )


def _key_holders(report: CredentialReport | None, details: AuthorizationDetails | None) -> list[tuple[str, str]]:
    """(user name, user ARN) of every user whose keys must be listed.

    Normally the report's key holders only. Without a report nobody is known to hold a key,
    so every user from GAAD is asked: keys are what this scan is for, and the extra calls
    happen only in that degraded case.
    """
    if report is not None:
        return [(row["user"], row["arn"]) for row in report.rows if holds_key(row)]
    if details is not None:
        return [(str(user["UserName"]), str(user["Arn"])) for user in details.users]
    return []


def fetch_access_keys(iam: Any, log: CoverageLog, holders: list[tuple[str, str]]) -> dict[str, list[AccessKeyMetadata]]:
    """Key ids per user ARN: there is no bulk call, so this is the one per-user loop."""
    op = operation("iam", "ListAccessKeys")
    keys: dict[str, list[AccessKeyMetadata]] = {}
    for user_name, user_arn in holders:

        def call(user_name: str = user_name) -> list[dict[str, Any]]:
            paginator = iam.get_paginator("list_access_keys")
            result = paginator.paginate(UserName=user_name).build_full_result()
            return list(result.get("AccessKeyMetadata", []))

        listed = log.attempt(op, call, record_ok=False)
        if listed is None:
            continue
        keys[user_arn] = [AccessKeyMetadata.from_item(item) for item in listed]
    if keys:
        log.record(op, CoverageStatus.OK, f"keys listed for {len(keys)} users")
    return keys


def fetch_oidc_providers(iam: Any, log: CoverageLog) -> list[OidcProviderDetails] | None:
    listed = log.attempt(operation("iam", "ListOpenIDConnectProviders"), iam.list_open_id_connect_providers)
    if listed is None:
        return None
    get_op = operation("iam", "GetOpenIDConnectProvider")
    providers: list[OidcProviderDetails] = []
    got_any = False
    for item in listed.get("OpenIDConnectProviderList", []):
        arn = str(item["Arn"])

        def call(arn: str = arn) -> dict[str, Any]:
            return cast(dict[str, Any], iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn))

        detail = log.attempt(get_op, call, record_ok=False)
        if detail is None:
            # Still list it: the provider exists even if its details could not be read.
            providers.append(OidcProviderDetails(arn=arn))
            continue
        got_any = True
        providers.append(OidcProviderDetails.from_detail(arn, detail))
    if got_any:
        log.record(get_op, CoverageStatus.OK)
    return providers


def fetch_saml_providers(iam: Any, log: CoverageLog) -> list[SamlProviderDetails] | None:
    listed = log.attempt(operation("iam", "ListSAMLProviders"), iam.list_saml_providers)
    if listed is None:
        return None
    return [SamlProviderDetails.from_item(item) for item in listed.get("SAMLProviderList", [])]
