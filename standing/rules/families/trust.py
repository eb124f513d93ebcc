"""Who can become an identity: trusts open to anyone, to whole accounts, to any workflow."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from standing.analysis.graph import PrivilegeGraph
from standing.core.facts import admits_anyone
from standing.core.findings import Severity
from standing.core.model import Identity, Trust, TrustKind
from standing.core.traits import Trait
from standing.core.trust_conditions import ConditionDialect, Match
from standing.rules.engine import Hit, Rule

_ACCOUNT_ARN = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):root$")
_GITHUB = "token.actions.githubusercontent.com"
_WILDCARD = re.compile(r"[*?]")


class OpenTrust(Rule):
    """A role anyone, or any principal of a whole foreign account, may assume without conditions.

    ``"Principal": {"AWS": "*"}`` lets every AWS account in the world try; a bare foreign
    account id delegates the decision to that account's admins. Pin the principal, or add
    ``sts:ExternalId`` / ``aws:PrincipalOrgID`` conditions.
    """

    id = "open-trust"
    title = "Role trust open to anyone or to a whole external account"
    severity = Severity.HIGH
    traits = frozenset({Trait.ADMITS_OUTSIDERS, Trait.OPEN_TO_ACCOUNTS})

    def evaluate(self, graph: PrivilegeGraph, params: object, now: datetime) -> Iterable[Hit]:
        known = graph.known_accounts
        for identity in graph.identities():
            for trust in graph.trusts_into(identity.id):
                if admits_anyone(trust):
                    yield self._hit(identity, trust, Severity.CRITICAL, "anyone (Principal '*')")
                elif trust.condition.conditional:
                    continue
                elif trust.kind is TrustKind.ACCOUNT:
                    match = _ACCOUNT_ARN.match(trust.principal)
                    account = match.group(1) if match else trust.principal
                    if account not in known:
                        yield self._hit(
                            identity, trust, Severity.HIGH, f"every principal of external account {account}"
                        )

    @staticmethod
    def _hit(identity: Identity, trust: Trust, severity: Severity, who: str) -> Hit:
        return Hit(
            identity=identity,
            severity=severity,
            discriminator=trust.principal,
            message=f"{identity.name} can be assumed by {who}, with no condition",
            evidence={"principal": trust.principal, "actions": trust.actions},
        )


class OidcSubjectUnpinned(Rule):
    """A web-identity trust that does not pin the token's subject.

    Without a ``sub`` condition, any workload the issuer signs for can assume the role; for
    GitHub Actions that is every workflow of every repository on github.com. A wildcard in
    the owner or repository part of the subject is nearly as wide, and so is a subject condition
    that is only negated (``StringNotEquals`` / ``StringNotLike`` on ``sub``): it shuts out the
    repositories it names and admits every other one.
    """

    id = "oidc-subject-unpinned"
    title = "Web-identity trust without a pinned subject"
    severity = Severity.HIGH
    traits = frozenset({Trait.ADMITS_OUTSIDERS})

    def evaluate(self, graph: PrivilegeGraph, params: object, now: datetime) -> Iterable[Hit]:
        for identity in graph.identities():
            for trust in graph.trusts_into(identity.id):
                if trust.kind is not TrustKind.OIDC or not trust.issuer:
                    continue
                problem = self._problem(trust)
                if problem:
                    severity, message = problem
                    yield Hit(
                        identity=identity,
                        severity=severity,
                        discriminator=trust.principal,
                        message=f"{identity.name} trusts {trust.issuer} {message}",
                        evidence={"issuer": trust.issuer, "principal": trust.principal, "conditions": trust.conditions},
                    )

    @staticmethod
    def _problem(trust: Trust) -> tuple[Severity, str] | None:
        issuer = trust.issuer or ""
        condition = trust.condition
        if condition.dialect is ConditionDialect.GCP_WIF and condition.conditional:
            return None  # GCP workload identity federation: provider condition or pinned principal
        if issuer == "cognito-identity.amazonaws.com":
            if not condition.audiences and not condition.leaves_unparsed(f"{issuer}:aud"):
                return Severity.HIGH, "with no identity-pool (aud) condition"
            return None
        if not condition.subjects:
            severity = Severity.CRITICAL if issuer == _GITHUB else Severity.HIGH
            if condition.excluded_subjects:
                # StringNotEquals / StringNotLike on the subject admits every subject but the ones named
                excluded = ", ".join(repr(s.value) for s in condition.excluded_subjects)
                return severity, f"for every subject except {excluded} (the only subject condition is negated)"
            if condition.leaves_unparsed(f"{issuer}:sub"):
                return None  # the subject is conditioned in a way not judged here: unknown, not unpinned
            return severity, "with no subject (sub) condition"
        for subject in condition.subjects:
            if subject.match is not Match.GLOB:
                continue  # StringEquals takes '*' literally
            if subject.value.strip() == "*" or (issuer == _GITHUB and _github_wildcard(subject.value)):
                return Severity.HIGH, f"for any subject matching {subject.value!r}"
        return None


def _github_wildcard(subject: str) -> bool:
    """``repo:owner/name:...`` with a wildcard in owner or name admits other repositories."""
    if not subject.startswith("repo:"):
        return bool(_WILDCARD.search(subject.split(":", 1)[0]))
    repository = subject[len("repo:") :].split(":", 1)[0]
    return bool(_WILDCARD.search(repository)) or "/" not in repository
