"""The log queries that show a plan worked: the old credential silent, the new path in use.

Identifiers in queries are key ids, names and emails (never secrets), quoted for the query
language they sit in. One function per provider and question; the planner's provider profile
(``standing.planner.providers``) says which one a plan uses.
"""

from __future__ import annotations

from standing.planner.context import PlanContext
from standing.planner.model import LogCheck


def _sql(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _dq(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def aws_old_credential_query(ctx: PlanContext) -> LogCheck:
    identity = ctx.identity
    since = ctx.as_of.strftime("%Y-%m-%d %H:%M:%S")
    if ctx.secrets:
        where = "userIdentity.accessKeyId IN (" + ", ".join(_sql(c.id) for c in ctx.secrets) + ")"
    else:
        where = f"userIdentity.sessionContext.sessionIssuer.arn = {_sql(identity.id)}"
    return LogCheck(
        source="AWS CloudTrail Lake",
        purpose="the old credential is no longer used",
        query=f"SELECT eventTime, eventSource, eventName, sourceIPAddress FROM $EDS_ID "
        f"WHERE {where} AND eventTime > {_sql(since)} ORDER BY eventTime DESC",
    )


def gcp_old_credential_query(ctx: PlanContext) -> LogCheck:
    keys = " OR ".join(
        f"protoPayload.authenticationInfo.serviceAccountKeyName:{_dq(c.id.rsplit('/', 1)[-1])}" for c in ctx.secrets
    )
    query = keys or f"protoPayload.authenticationInfo.principalEmail={_dq(ctx.identity.id)}"
    return LogCheck(
        source="Cloud Audit Logs",
        purpose="the old credential is no longer used",
        query=f"({query}) AND timestamp>={_dq(ctx.as_of.strftime('%Y-%m-%dT%H:%M:%SZ'))}",
    )


def azure_old_credential_query(ctx: PlanContext) -> LogCheck:
    identity = ctx.identity
    credential = ' and ClientCredentialType == "clientSecret"' if ctx.secrets else ""
    return LogCheck(
        source="Entra sign-in logs (Log Analytics)",
        purpose="the old credential is no longer used",
        query=f"AADServicePrincipalSignInLogs | where ServicePrincipalId == {_dq(identity.id)}"
        f"{credential} | where TimeGenerated > datetime({ctx.as_of.strftime('%Y-%m-%d')})",
    )


def aws_new_path_query(ctx: PlanContext, new_name: str) -> LogCheck:
    return LogCheck(
        source="AWS CloudTrail Lake",
        purpose="the new path is in use",
        query="SELECT eventTime, eventName, userIdentity.principalId, sourceIPAddress FROM $EDS_ID "
        "WHERE eventSource = 'sts.amazonaws.com' AND eventName LIKE 'AssumeRole%' "
        f"AND element_at(requestParameters, 'roleArn') LIKE {_sql('%' + new_name)}",
    )


def gcp_new_path_query(ctx: PlanContext, new_name: str) -> LogCheck:
    return LogCheck(
        source="Cloud Audit Logs",
        purpose="the new path is in use",
        query='protoPayload.serviceName="iamcredentials.googleapis.com" AND '
        f"protoPayload.resourceName:{_dq(ctx.identity.id)}",
    )


def azure_new_path_query(ctx: PlanContext, new_name: str) -> LogCheck:
    identity = ctx.identity
    return LogCheck(
        source="Entra sign-in logs (Log Analytics)",
        purpose="the new path is in use",
        query=f"union AADServicePrincipalSignInLogs, AADManagedIdentitySignInLogs | where "
        f"ServicePrincipalId == {_dq(identity.id)} or ServicePrincipalName == {_dq(new_name)}",
    )


def aws_new_source_query(ctx: PlanContext) -> str:
    """Sources of use per day, to alert on any not seen in the previous 30 days."""
    keys = ", ".join(_sql(c.id) for c in ctx.secrets) or _sql("none")
    return (
        "SELECT sourceIPAddress, userAgent, min(eventTime) AS first_seen FROM $EDS_ID "
        f"WHERE userIdentity.accessKeyId IN ({keys}) GROUP BY sourceIPAddress, userAgent "
        "HAVING min(eventTime) > date_add('day', -1, now())"
    )


def gcp_new_source_query(ctx: PlanContext) -> str:
    return (
        f"protoPayload.authenticationInfo.principalEmail={_dq(ctx.identity.id)} "
        "(log-based metric by requestMetadata.callerIp; alert on a new label value)"
    )


def azure_new_source_query(ctx: PlanContext) -> str:
    return (
        f"AADServicePrincipalSignInLogs | where ServicePrincipalId == {_dq(ctx.identity.id)} | summarize "
        "first_seen = min(TimeGenerated) by IPAddress | where first_seen > ago(1d)"
    )
