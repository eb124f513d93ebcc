"""The log queries that show a plan worked: the old credential silent, the new path in use.

Identifiers in queries are key ids, names and emails (never secrets), and a name is whatever
the cloud's owner typed: every one is a string literal of the query's language, never pasted
bare. ``sql_literal`` (CloudTrail Lake, Trino SQL: ``'`` doubled), ``kql_literal`` (Log
Analytics: ``\\`` and ``"`` backslashed) and ``logging_literal`` (Cloud Logging filters). A control
or bidi character is never put raw into a query (a person reads and pastes it): SQL and KQL
spell it as a function of its code point (``chr(27)``, ``unicode_codepoints_to_string(27)``),
so the query still matches the exact name; a logging filter takes a ``\\uXXXX`` escape.
One function per provider and question; the planner's provider profile
(``standing.planner.providers``) says which one a plan uses.
"""

from __future__ import annotations

from standing.core.safe_text import printable
from standing.planner.context import PlanContext
from standing.planner.model import LogCheck


def _parts(value: str) -> list[str | int]:
    """``value`` as literal runs (str) and code points to spell out (int)."""
    if printable(value) == value:  # the usual name: nothing to spell out, one run (one check, not one per character)
        return [value] if value else []
    parts: list[str | int] = []
    for char in value:
        if char != "\t" and printable(char) != char:
            parts.append(ord(char))
        elif parts and isinstance(parts[-1], str):
            parts[-1] += char
        else:
            parts.append(char)
    return parts


def sql_literal(value: str) -> str:
    """A Trino SQL string expression equal to ``value``: ``'O''Brien'``; ``'a' || chr(27) || 'b'``."""
    parts = [f"chr({p})" if isinstance(p, int) else "'" + p.replace("'", "''") + "'" for p in _parts(value)]
    return " || ".join(parts) or "''"


def kql_literal(value: str) -> str:
    """A KQL string expression equal to ``value``: ``"say \\"hi\\""``; ``strcat("a", unicode_codepoints_to_string(27))``."""

    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t") + '"'

    parts = [f"unicode_codepoints_to_string({p})" if isinstance(p, int) else quoted(p) for p in _parts(value)]
    if not parts:
        return '""'
    return parts[0] if len(parts) == 1 else "strcat(" + ", ".join(parts) + ")"


def logging_literal(value: str) -> str:
    """A Cloud Logging filter string: double-quoted, ``\\`` and ``"`` backslashed, controls as ``\\uXXXX``."""
    text = "".join(
        f"\\u{p:04x}" if isinstance(p, int) else p.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
        for p in _parts(value)
    )
    return f'"{text}"'


def _like_suffix(value: str) -> str:
    """``LIKE`` matching names ending in ``value`` exactly: its ``%`` and ``_`` are not wildcards."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"LIKE {sql_literal('%' + escaped)} ESCAPE '\\'"


def aws_old_credential_query(ctx: PlanContext) -> LogCheck:
    identity = ctx.identity
    since = ctx.as_of.strftime("%Y-%m-%d %H:%M:%S")
    if ctx.secrets:
        where = "userIdentity.accessKeyId IN (" + ", ".join(sql_literal(c.id) for c in ctx.secrets) + ")"
    else:
        where = f"userIdentity.sessionContext.sessionIssuer.arn = {sql_literal(identity.id)}"
    return LogCheck(
        source="AWS CloudTrail Lake",
        purpose="the old credential is no longer used",
        query=f"SELECT eventTime, eventSource, eventName, sourceIPAddress FROM $EDS_ID "
        f"WHERE {where} AND eventTime > {sql_literal(since)} ORDER BY eventTime DESC",
    )


def gcp_old_credential_query(ctx: PlanContext) -> LogCheck:
    keys = " OR ".join(
        f"protoPayload.authenticationInfo.serviceAccountKeyName:{logging_literal(c.id.rsplit('/', 1)[-1])}"
        for c in ctx.secrets
    )
    query = keys or f"protoPayload.authenticationInfo.principalEmail={logging_literal(ctx.identity.id)}"
    return LogCheck(
        source="Cloud Audit Logs",
        purpose="the old credential is no longer used",
        query=f"({query}) AND timestamp>={logging_literal(ctx.as_of.strftime('%Y-%m-%dT%H:%M:%SZ'))}",
    )


def azure_old_credential_query(ctx: PlanContext) -> LogCheck:
    identity = ctx.identity
    credential = ' and ClientCredentialType == "clientSecret"' if ctx.secrets else ""
    return LogCheck(
        source="Entra sign-in logs (Log Analytics)",
        purpose="the old credential is no longer used",
        query=f"AADServicePrincipalSignInLogs | where ServicePrincipalId == {kql_literal(identity.id)}"
        f"{credential} | where TimeGenerated > datetime({ctx.as_of.strftime('%Y-%m-%d')})",
    )


def aws_new_path_query(ctx: PlanContext, new_name: str) -> LogCheck:
    return LogCheck(
        source="AWS CloudTrail Lake",
        purpose="the new path is in use",
        query="SELECT eventTime, eventName, userIdentity.principalId, sourceIPAddress FROM $EDS_ID "
        "WHERE eventSource = 'sts.amazonaws.com' AND eventName LIKE 'AssumeRole%' "
        f"AND element_at(requestParameters, 'roleArn') {_like_suffix(new_name)}",
    )


def gcp_new_path_query(ctx: PlanContext, new_name: str) -> LogCheck:
    return LogCheck(
        source="Cloud Audit Logs",
        purpose="the new path is in use",
        query='protoPayload.serviceName="iamcredentials.googleapis.com" AND '
        f"protoPayload.resourceName:{logging_literal(ctx.identity.id)}",
    )


def azure_new_path_query(ctx: PlanContext, new_name: str) -> LogCheck:
    identity = ctx.identity
    return LogCheck(
        source="Entra sign-in logs (Log Analytics)",
        purpose="the new path is in use",
        query=f"union AADServicePrincipalSignInLogs, AADManagedIdentitySignInLogs | where "
        f"ServicePrincipalId == {kql_literal(identity.id)} or ServicePrincipalName == {kql_literal(new_name)}",
    )


def aws_new_source_query(ctx: PlanContext) -> str:
    """Sources of use per day, to alert on any not seen in the previous 30 days."""
    keys = ", ".join(sql_literal(c.id) for c in ctx.secrets) or sql_literal("none")
    return (
        "SELECT sourceIPAddress, userAgent, min(eventTime) AS first_seen FROM $EDS_ID "
        f"WHERE userIdentity.accessKeyId IN ({keys}) GROUP BY sourceIPAddress, userAgent "
        "HAVING min(eventTime) > date_add('day', -1, now())"
    )


def gcp_new_source_query(ctx: PlanContext) -> str:
    return (
        f"protoPayload.authenticationInfo.principalEmail={logging_literal(ctx.identity.id)} "
        "(log-based metric by requestMetadata.callerIp; alert on a new label value)"
    )


def azure_new_source_query(ctx: PlanContext) -> str:
    return (
        f"AADServicePrincipalSignInLogs | where ServicePrincipalId == {kql_literal(ctx.identity.id)} | summarize "
        "first_seen = min(TimeGenerated) by IPAddress | where first_seen > ago(1d)"
    )
