"""The third-party path: standing access an outside party holds, kept behind compensating controls.

A partner account, another Google domain or another tenant's application signs in with its
own credentials, so nothing here can make its access just-in-time. The plan keeps the access
and surrounds it: an external id and one named partner principal (AWS), the partner's source
networks, short tagged sessions, an expiry on the grant, least privilege, and a periodic
access review. Controls already in the inventory count as in place and lower the current
risk, as ``controls.py`` does for a kept secret.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from standing.core.findings import Finding
from standing.core.model import Identity, IdentityKind, Provider, Trust
from standing.core.traits import Trait
from standing.planner.aws_documents import VERSION
from standing.planner.context import PlanContext
from standing.planner.controls import control
from standing.planner.iac import identity_label, render
from standing.planner.model import (
    AwsPolicyDocument,
    CompensatingControl,
    ControlKind,
    LogCheck,
    PolicyKind,
    TerraformProvider,
)
from standing.planner.targets import Target, placeholder
from standing.planner.verify import kql_literal, logging_literal, sql_literal
from standing.rules.registry import traits_of

REVIEW_DAYS = 90
SESSION_SECONDS = 3600
PARTNER_TAG = "standing:partner"
_ROLE_ARN = re.compile(r"^arn:aws[\w-]*:(?:iam|sts)::\d{12}:(?:role|assumed-role|user)/")
_SOURCE_KEYS = frozenset(
    {
        "aws:sourceip",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:principalarn",
    }
)
_EXPRESSION_SCOPE = {"projects": "project", "folders": "folder", "organizations": "org_id"}


@dataclass(frozen=True)
class Outside:
    """What the identity's third-party findings say about the outside parties."""

    parties: tuple[str, ...]  # account ids, domains or projects, tenant ids
    principals: tuple[str, ...]  # the outside principals named by the trusts (AWS)
    external_id: bool  # every outside trust requires sts:ExternalId
    read_only: bool  # the outside party gets read at most
    grants: tuple[dict[str, Any], ...]  # GCP: the outside principal's grants


def outside_identity(findings: list[Finding]) -> Identity | None:
    """The outside principal a third-party finding names when it is no identity of the estate (a GCP member
    of another domain or project): what the plan is about, rebuilt from the finding."""
    for finding in findings:
        kind = finding.evidence.get("principal_kind")
        if Trait.THIRD_PARTY in traits_of(finding.rule_id) and kind in set(IdentityKind):
            return Identity(
                id=finding.identity,
                provider=finding.provider,
                kind=IdentityKind(kind),
                account=finding.account,
                name=finding.identity_name,
            )
    return None


def third_party_findings(ctx: PlanContext) -> list[Finding]:
    return [f for f in ctx.findings if Trait.THIRD_PARTY in traits_of(f.rule_id)]


def is_third_party(ctx: PlanContext) -> bool:
    return bool(third_party_findings(ctx))


def outside(ctx: PlanContext) -> Outside:
    found = third_party_findings(ctx)
    return Outside(
        parties=tuple(sorted({str(f.evidence.get("outside_party", "")) for f in found} - {""})),
        principals=tuple(sorted({str(p) for f in found for p in f.evidence.get("principals", [])})),
        external_id=all(bool(f.evidence.get("external_id")) for f in found),
        read_only=all(f.evidence.get("privilege") in ("read", "none") for f in found),
        grants=tuple(g for f in found for g in f.evidence.get("grants", [])),
    )


def _outside_trusts(ctx: PlanContext, who: Outside) -> list[Trust]:
    return [t for t in ctx.trusts if t.principal in who.principals]


def third_party_controls(ctx: PlanContext) -> list[CompensatingControl]:
    """The controls for access an outside party holds; which are already in place, from the inventory."""
    who = outside(ctx)
    identity = ctx.identity
    parties = ", ".join(who.parties) or "the outside party"
    owner = identity.owner or next((v for k, v in identity.tags.items() if k.lower() == "owner"), None)
    expiry = next((v for k, v in identity.tags.items() if k.lower() == "standing:exception-expires"), None)
    review_by = (ctx.as_of + timedelta(days=REVIEW_DAYS)).date().isoformat()
    controls: list[CompensatingControl] = []
    if identity.provider is Provider.AWS:
        trusts = _outside_trusts(ctx, who)
        pinned = [t for t in trusts if _ROLE_ARN.match(t.principal)]
        sourced = [t for t in trusts if any(s.key.lower() in _SOURCE_KEYS for s in t.condition.sources)]
        tagged = [t for t in trusts if "sts:tagsession" in (a.lower() for a in t.actions)]
        controls += [
            control(
                ControlKind.EXTERNAL_ID,
                f"the trust requires the external id agreed with {parties} (sts:ExternalId)",
                "every outside trust requires sts:ExternalId" if who.external_id else None,
            ),
            control(
                ControlKind.SOURCE_RESTRICTION,
                "the trust names one partner role (not the whole account) and the partner's source "
                "(aws:SourceIp, aws:SourceVpc or aws:PrincipalOrgID)",
                "; ".join(
                    [f"names {t.principal}" for t in pinned] + [f"source condition on {t.principal}" for t in sourced]
                )
                or None,
            ),
            control(
                ControlKind.SESSION_TAGS,
                f"sessions carry the tag {PARTNER_TAG} (sts:TagSession), so CloudTrail shows whose session it is",
                "the trust allows sts:TagSession" if tagged and len(tagged) == len(trusts) else None,
            ),
            control(
                ControlKind.SESSION_LIMIT,
                f"sessions last at most {SESSION_SECONDS // 3600} hour (the role's maximum session duration)",
                None,
            ),
        ]
    elif identity.provider is Provider.GCP:
        standing = [g for g in who.grants if g.get("duration") == "standing"]
        controls += [
            control(
                ControlKind.SOURCE_RESTRICTION,
                "a VPC Service Controls perimeter (or an access level) admits the outside principal only from "
                "the partner's networks",
                None,
            ),
            control(
                ControlKind.SESSION_LIMIT,
                f"every binding ends with an IAM condition (request.time < {review_by}) and is renewed on review",
                None if standing else "every binding already ends with a time condition",
            ),
        ]
    else:
        controls += [
            control(
                ControlKind.SOURCE_RESTRICTION,
                "a Conditional Access policy for workload identities blocks the app's sign-ins from outside the "
                "publisher's named locations",
                None,
            ),
            control(
                ControlKind.SESSION_LIMIT,
                f"the role assignments are time-bound (an active PIM assignment ending {review_by}), renewed on review",
                None,
            ),
        ]
    controls += [
        control(
            ControlKind.LEAST_PRIVILEGE,
            f"{parties} gets read-only access, or the narrowest role its integration needs",
            "the outside party gets read-only access" if who.read_only else None,
        ),
        control(
            ControlKind.OWNER_AND_JUSTIFICATION,
            "a named owner of the partnership and a written justification",
            f"owner {owner}" if owner else None,
        ),
        control(
            ControlKind.EXCEPTION_EXPIRY,
            f"the access expires (proposed: {review_by}) unless the owner renews it",
            f"expires {expiry}" if expiry else None,
        ),
        control(
            ControlKind.ACCESS_REVIEW,
            f"review every {REVIEW_DAYS} days what {parties} did with the access, and whether it still needs it",
            None,
            query=access_query(ctx).query,
        ),
    ]
    return controls


def access_query(ctx: PlanContext) -> LogCheck:
    """What the outside party did with its access: the evidence an access review reads."""
    identity = ctx.identity
    since = ctx.as_of.strftime("%Y-%m-%d")
    if identity.provider is Provider.AWS:
        return LogCheck(
            source="AWS CloudTrail Lake",
            purpose="what the outside party did with the access (for the periodic review)",
            query="SELECT eventTime, userIdentity.accountId, sourceIPAddress, element_at(requestParameters, "
            "'externalId') AS external_id FROM $EDS_ID WHERE eventSource = 'sts.amazonaws.com' "
            f"AND eventName LIKE 'AssumeRole%' AND element_at(requestParameters, 'roleArn') = {sql_literal(identity.id)} "
            f"AND eventTime > '{since}' ORDER BY eventTime DESC",
        )
    if identity.provider is Provider.GCP:
        email = logging_literal(identity.id.split(":", 1)[-1])
        return LogCheck(
            source="Cloud Audit Logs",
            purpose="what the outside party did with the access (for the periodic review)",
            query=f'protoPayload.authenticationInfo.principalEmail={email} AND timestamp>="{since}T00:00:00Z"',
        )
    return LogCheck(
        source="Entra sign-in logs (Log Analytics)",
        purpose="what the outside party did with the access (for the periodic review)",
        query=f"AADServicePrincipalSignInLogs | where ServicePrincipalId == {kql_literal(identity.id)} "
        f"| where TimeGenerated > datetime({since}) | summarize count() by IPAddress, ResourceDisplayName",
    )


def third_party_target(ctx: PlanContext) -> Target:
    if ctx.identity.provider is Provider.AWS:
        return _aws(ctx)
    if ctx.identity.provider is Provider.GCP:
        return _gcp(ctx)
    return _azure(ctx)


def _external_id(ctx: PlanContext, trusts: list[Trust]) -> str:
    """The external id the partner already uses, else a new identifier (not a secret)."""
    for trust in trusts:
        for source in trust.condition.sources:
            if source.key.lower() == "sts:externalid" and source.values:
                return source.values[0]
    return "standing-" + hashlib.sha256(ctx.identity.id.encode()).hexdigest()[:16]


def _document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": VERSION, "Statement": list(statements)}


def partner_trust(principal: str, external_id: str, account: str, cidr: str) -> AwsPolicyDocument:
    """One named partner principal, with the external id, from its networks, tagging its sessions."""
    return AwsPolicyDocument(
        kind=PolicyKind.TRUST,
        name="third-party-trust",
        document=_document(
            {
                "Sid": "PartnerAssumesWithExternalIdFromItsNetworks",
                "Effect": "Allow",
                "Principal": {"AWS": principal},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"sts:ExternalId": external_id},
                    "IpAddress": {"aws:SourceIp": [cidr]},
                },
            },
            {
                "Sid": "PartnerTagsItsSessions",
                "Effect": "Allow",
                "Principal": {"AWS": principal},
                "Action": "sts:TagSession",
                "Condition": {"StringEquals": {f"aws:RequestTag/{PARTNER_TAG}": account}},
            },
        ),
    )


def _aws(ctx: PlanContext) -> Target:
    identity = ctx.identity
    who = outside(ctx)
    holes: list[str] = []
    trusts = _outside_trusts(ctx, who)
    named = sorted(t.principal for t in trusts if _ROLE_ARN.match(t.principal))
    account = who.parties[0] if who.parties else placeholder(holes, "PARTNER-ACCOUNT", "the partner's account id")
    if named:
        principal = named[0]
    else:
        role = placeholder(holes, "PARTNER-ROLE", "the one role in the partner account that needs access")
        principal = f"arn:aws:iam::{account}:role/{role}"
    cidr = "203.0.113.0/24"
    holes.append(f"{cidr}: the partner's published egress ranges (a documentation range stands in)")
    external_id = _external_id(ctx, trusts)
    trust = partner_trust(principal, external_id, account, cidr)
    snippet = render(
        "third-party-aws",
        [TerraformProvider.AWS],
        f"{identity_label(identity)}.tf",
        label=identity_label(identity),
        role_name=identity.name,
        trust=trust,
        ttl=SESSION_SECONDS,
        comment=f"standing plan for {identity.id}: third-party access behind compensating controls",
    )
    parties = ", ".join(who.parties) or "the partner"
    return Target(
        f"{parties} keeps its access to {identity.name}: one named partner role, the external id, the partner's "
        f"networks, one-hour tagged sessions, and a review every {REVIEW_DAYS} days",
        SESSION_SECONDS,
        2,
        [snippet],
        f"Give {parties} the external id {external_id} (an identifier, not a secret), ask them to assume the role "
        f"from {principal} with it, from their published networks, tagging the session {PARTNER_TAG}={account}.",
        f"Apply the new trust policy to {identity.name}: it replaces the old statement(s) for {parties}.",
        "Put the previous trust policy back (it is in this scan's snapshot, identity trust_policy).",
        "Nothing more to delete: the old trust statement is gone; the access review decides whether the "
        "partner keeps the role at all.",
        policies=[trust],
        placeholders=holes,
    )


def _gcp(ctx: PlanContext) -> Target:
    identity = ctx.identity
    who = outside(ctx)
    review_by = (ctx.as_of + timedelta(days=REVIEW_DAYS)).date().isoformat()
    member = identity.id if ":" in identity.id else f"serviceAccount:{identity.id}"
    bindings = []
    for grant in who.grants:
        kind, _, name = str(grant.get("scope", "")).partition("/")
        if grant.get("duration") == "standing" and kind in _EXPRESSION_SCOPE and "/" not in name:
            bindings.append({"resource": _EXPRESSION_SCOPE[kind], "parent": name, "role": grant["role"]})
    snippet = render(
        "third-party-gcp",
        [TerraformProvider.GOOGLE],
        f"{identity_label(identity)}.tf",
        label=identity_label(identity),
        member=member,
        bindings=bindings,
        expires=f"{review_by}T00:00:00Z",
        comment=f"standing plan for {identity.id}: third-party access behind compensating controls",
    )
    parties = ", ".join(who.parties) or "the outside party"
    return Target(
        f"{identity.name} ({parties}) keeps its roles through bindings that end on {review_by}, renewed only "
        "after an access review",
        REVIEW_DAYS * 86400,
        1,
        [snippet],
        "Nothing changes for the outside principal: the time-bound bindings grant the same roles.",
        f"Remove the standing bindings of {member} (gcloud projects remove-iam-policy-binding ...), once the "
        "time-bound ones are applied.",
        "Add the standing bindings back (the previous policy is in this scan's snapshot).",
        "Nothing more to delete; when the bindings end, the access review decides whether to renew them.",
    )


def _azure(ctx: PlanContext) -> Target:
    identity = ctx.identity
    who = outside(ctx)
    review_by = (ctx.as_of + timedelta(days=REVIEW_DAYS)).date().isoformat()
    grants = [{"scope": s, "role": r} for s, r in ctx.standing_grants if not s.startswith("entra:")]
    snippet = render(
        "third-party-azure",
        [TerraformProvider.AZURERM],
        f"{identity_label(identity)}.tf",
        label=identity_label(identity),
        principal_id=identity.id,
        grants=grants,
        days=REVIEW_DAYS,
        comment=f"standing plan for {identity.id}: third-party access behind compensating controls",
    )
    parties = ", ".join(who.parties) or "the publisher's tenant"
    return Target(
        f"the application of tenant {parties} keeps its roles as assignments that end on {review_by}, "
        "renewed only after an access review; Conditional Access limits where it signs in from",
        REVIEW_DAYS * 86400,
        2,
        [snippet],
        "Nothing changes for the publisher: the time-bound assignments grant the same roles.",
        f"Remove the permanent role assignments of {identity.name} once the time-bound ones are active.",
        "Add the permanent assignments back (they are in this scan's snapshot).",
        "Nothing more to delete; when the assignments end, the access review decides whether to renew them.",
    )
