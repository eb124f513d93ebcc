"""What a trust's conditions say, typed once for every cloud: who may present which token, from where, until when.

A trust keeps its provider's raw conditions as evidence (``Trust.conditions``); this module reads
them into one :class:`TrustCondition`, and every reader (rules, escalation, risk, planner) reads
that instead of a cloud's dialect. One pure parser per dialect:

- :func:`parse_aws_condition`: an IAM policy ``Condition`` block (AWS trust policies, from a scan
  or from Terraform and CloudFormation through ``trusts_from_policy``);
- :func:`parse_azure_federated_credential`: an Entra federated identity credential, which the
  inventory records in the same block form (``{issuer}:sub`` and ``{issuer}:aud``), see
  :func:`federated_credential_block`;
- :func:`parse_gcp_iam_condition`: a GCP IAM binding's CEL condition (``request.time <`` expiry);
- :func:`parse_gcp_wif_condition`: a workload identity pool provider's attribute condition and the
  binding's ``principal://`` / ``principalSet://`` member.

:func:`parse_trust_conditions` picks the dialect from the shape of the recorded conditions, so a
trust read from any snapshot, old or new, gets the same reading. Whatever a parser does not
understand is kept in ``unparsed``: a reader then says "conditional, unknown" instead of guessing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ConditionDialect(StrEnum):
    NONE = "none"  # no condition at all
    AWS = "aws"  # an IAM policy Condition block (Entra federated credentials are recorded in this form)
    GCP_IAM = "gcp-iam"  # the CEL condition of an IAM binding
    GCP_WIF = "gcp-wif"  # a workload identity pool provider's attribute condition and the binding's member


class Match(StrEnum):
    EXACT = "exact"  # StringEquals, ==, a principal:// member: the value is taken literally
    GLOB = "glob"  # StringLike, startsWith: '*' and '?' are wildcards


class ClaimPattern(_Record):
    """One value a token claim must match."""

    key: str = Field(description="the condition key or claim it came from, as written (e.g. 'host:sub')")
    operator: str = Field(description="the source operator: StringEquals, ForAnyValue:StringLike, ==, principal...")
    match: Match
    value: str

    @property
    def wildcard(self) -> bool:
        """A value with '*' or '?' in it (a glob admits many; even an exact one names no one we know)."""
        return "*" in self.value or "?" in self.value


class SourceCondition(_Record):
    """Where the caller must come from or what it must present: source IP, VPC, organization,
    account, ARN, ``sts:ExternalId``."""

    key: str
    operator: str
    values: list[str] = Field(default_factory=list)


class TrustCondition(_Record):
    """A trust's conditions, typed. Built by the parsers of this module, never by hand."""

    dialect: ConditionDialect = ConditionDialect.NONE
    issuer: str | None = Field(default=None, description="OIDC issuer host the token comes from")
    subjects: list[ClaimPattern] = Field(default_factory=list, description="patterns the token subject must match")
    excluded_subjects: list[ClaimPattern] = Field(
        default_factory=list,
        description="patterns the token subject must NOT match (StringNotEquals / StringNotLike): on their own "
        "they admit every other subject",
    )
    audiences: list[ClaimPattern] = Field(default_factory=list)
    claims: list[ClaimPattern] = Field(
        default_factory=list,
        description="other token claims pinned (GitHub repository, a pool's attribute.*, attribute-condition "
        "comparisons)",
    )
    sources: list[SourceCondition] = Field(default_factory=list)
    expires: datetime | None = Field(default=None, description="the trust ends at this time (timezone-aware UTC)")
    expression: str | None = Field(default=None, description="a CEL expression the provider evaluates (GCP), verbatim")
    unparsed: dict[str, Any] = Field(
        default_factory=dict,
        description="what no parser understood, in the raw dialect: the trust is conditional in a way "
        "nobody here judged",
    )

    @property
    def conditional(self) -> bool:
        """Any condition at all, understood or not."""
        return bool(
            self.subjects
            or self.excluded_subjects
            or self.audiences
            or self.claims
            or self.sources
            or self.expires
            or self.expression
            or self.unparsed
        )

    @property
    def pinned_subjects(self) -> list[str]:
        """Subjects admitted by exact value (a pattern admits no one we can name)."""
        return [s.value for s in self.subjects if s.match is Match.EXACT and not s.wildcard]

    def lapsed(self, as_of: datetime) -> bool:
        """The conditions can never hold again at ``as_of`` or later: the trust admits nobody.

        An expiry in the past (``aws:CurrentTime`` before a date, GCP ``request.time <``), or an
        AWS time condition left unparsed that can never hold (see :func:`aws_never_holds`). A
        ``DateGreaterThan`` in the future is not lapsed: it is a future activation, conditional.
        """
        if self.expires is not None and self.expires <= as_of:
            return True
        return self.dialect is ConditionDialect.AWS and aws_never_holds(self.unparsed, as_of) is not None

    def leaves_unparsed(self, key: str) -> bool:
        """Whether a condition key (case-insensitive) appears in what was not understood."""
        wanted = key.lower()
        return any(
            isinstance(block, dict) and any(str(k).lower() == wanted for k in block) for block in self.unparsed.values()
        )


UNCONDITIONAL = TrustCondition()


def parse_trust_conditions(conditions: Mapping[str, Any], issuer: str | None = None) -> TrustCondition:
    """The reading of a trust's recorded conditions, whichever collector recorded them."""
    if not conditions:
        return TrustCondition(issuer=issuer)
    if set(conditions) <= {"attributeCondition", "member"}:
        return parse_gcp_wif_condition(conditions.get("attributeCondition"), conditions.get("member"), issuer=issuer)
    if set(conditions) == {"expression"} and isinstance(conditions["expression"], str):
        return parse_gcp_iam_condition(conditions["expression"], issuer=issuer)
    return parse_aws_condition(conditions, issuer=issuer)


# --- AWS: IAM policy condition blocks ----------------------------------------------------

_POSITIVE = {"StringEquals": Match.EXACT, "StringEqualsIgnoreCase": Match.EXACT, "StringLike": Match.GLOB}
# A negated operator on the subject excludes; it never pins (it admits every subject but the ones named).
_NEGATED = {"StringNotEquals": Match.EXACT, "StringNotEqualsIgnoreCase": Match.EXACT, "StringNotLike": Match.GLOB}
_SET_PREFIXES = ("ForAnyValue:", "ForAllValues:")
_SOURCE_KEYS = frozenset(
    {
        "aws:sourceip",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:sourceaccount",
        "aws:sourcearn",
        "aws:sourceorgid",
        "aws:sourceorgpaths",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:principalaccount",
        "aws:principalarn",
        "sts:externalid",
    }
)
_EXPIRY_OPERATORS = ("DateLessThan", "DateLessThanEquals")


def _base_operator(operator: str) -> str:
    """The operator without set prefixes and ``IfExists``."""
    base = operator
    for prefix in _SET_PREFIXES:
        if base.startswith(prefix):
            base = base[len(prefix) :]
    return base.removesuffix("IfExists")


def _string_match(operator: str) -> Match | None:
    """How a positive string operator matches (set prefixes and IfExists read as the base)."""
    return _POSITIVE.get(_base_operator(operator))


def _values(value: Any) -> list[str]:
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def parse_aws_condition(block: Mapping[str, Any], *, issuer: str | None = None) -> TrustCondition:
    """An IAM ``Condition``: ``{operator: {key: value or [values]}}``.

    Keys are matched case-insensitively. ``{issuer}:sub`` / ``:aud`` under a positive string
    operator are the subject and audience (any ``*:sub`` / ``*:aud`` when the trust names no
    issuer); other ``{issuer}:`` keys are claims; source keys and ``sts:ExternalId`` are sources
    under any operator; ``aws:CurrentTime`` before a date is the expiry. The subject under a negated
    string operator (``StringNotEquals``, ``StringNotLike``) is an excluded subject: it narrows
    nothing but the subjects it names. Everything else (other negated keys, ``Bool``, unknown keys,
    empty or malformed blocks) is kept in ``unparsed``.
    """
    subjects: list[ClaimPattern] = []
    excluded: list[ClaimPattern] = []
    audiences: list[ClaimPattern] = []
    claims: list[ClaimPattern] = []
    sources: list[SourceCondition] = []
    expires: datetime | None = None
    unparsed: dict[str, Any] = {}
    prefix = issuer.lower() if issuer else None
    for operator, entries in block.items():
        if not isinstance(entries, dict) or not entries:
            unparsed[operator] = entries
            continue
        match = _string_match(operator)
        negated = _NEGATED.get(_base_operator(operator))
        for key, value in entries.items():
            lowered = str(key).lower()
            claim_of, _, claim = lowered.rpartition(":")
            if lowered in _SOURCE_KEYS:
                sources.append(SourceCondition(key=key, operator=operator, values=_values(value)))
            elif lowered == "aws:currenttime" and operator in _EXPIRY_OPERATORS and _expiry(value) is not None:
                expires = _expiry(value)
            elif match is not None and claim_of and (prefix is None or claim_of == prefix):
                patterns = [ClaimPattern(key=key, operator=operator, match=match, value=v) for v in _values(value)]
                if claim == "sub":
                    subjects += patterns
                elif claim == "aud":
                    audiences += patterns
                elif prefix is not None:
                    claims += patterns
                else:
                    unparsed.setdefault(operator, {})[key] = value
            elif negated is not None and claim == "sub" and claim_of and (prefix is None or claim_of == prefix):
                excluded += [ClaimPattern(key=key, operator=operator, match=negated, value=v) for v in _values(value)]
            else:
                unparsed.setdefault(operator, {})[key] = value
    return TrustCondition(
        dialect=ConditionDialect.AWS,
        issuer=issuer,
        subjects=subjects,
        excluded_subjects=excluded,
        audiences=audiences,
        claims=claims,
        sources=sources,
        expires=expires,
        unparsed=unparsed,
    )


# Time keys an IAM Date condition compares: the request's time, and when its session token was issued.
_REQUEST_TIME_KEYS = frozenset({"aws:currenttime", "aws:epochtime"})
_TOKEN_ISSUE_KEY = "aws:tokenissuetime"
# The longest an AWS session token lives (GetSessionToken: 36 hours; role sessions: 12 at most).
# A token used at the scan's as-of or later was issued at most this long before it.
MAX_SESSION = timedelta(hours=36)


def aws_never_holds(block: Mapping[str, Any], as_of: datetime) -> str | None:
    """Why an IAM ``Condition`` block can never hold at ``as_of`` or later, or None if it may.

    Every operator of a block, and every key under one, must hold (AND); the values of one key
    are alternatives (OR). So one clause whose every value is a date already past makes the
    whole block inert:

    - ``DateLessThan`` / ``DateLessThanEquals`` on ``aws:CurrentTime`` or ``aws:EpochTime``
      before ``as_of`` (with or without ``IfExists``: the request time is always present);
    - the same on ``aws:TokenIssueTime`` (without ``IfExists``, which a long-term key passes)
      before ``as_of`` minus the longest session (:data:`MAX_SESSION`): no live token was
      issued that early.

    ``DateGreaterThan`` is never inert: a date in the future is an activation still to come.
    Dates are read as RFC 3339 or epoch seconds; an unreadable one leaves the block possible.
    """
    for operator, entries in block.items():
        if not isinstance(entries, Mapping):
            continue
        base = str(operator).removesuffix("IfExists")
        if base not in _EXPIRY_OPERATORS:
            continue
        for key, value in entries.items():
            lowered = str(key).lower()
            if lowered in _REQUEST_TIME_KEYS:
                limit = as_of
            elif lowered == _TOKEN_ISSUE_KEY and not str(operator).endswith("IfExists"):
                limit = as_of - MAX_SESSION
            else:
                continue
            dates = [_date_value(v) for v in _values(value)]
            if not dates or any(d is None for d in dates):
                continue
            latest = max(d for d in dates if d is not None)
            if latest < limit or (base == "DateLessThan" and latest == limit):
                return f"{operator} {key} {latest.isoformat()}: can never hold on or after {limit.isoformat()}"
    return None


_ACTIVATION_OPERATORS = ("DateGreaterThan", "DateGreaterThanEquals")


def aws_settled(block: Mapping[str, Any], as_of: datetime, *, long_term: bool | None = None) -> dict[str, Any]:
    """The ``Condition`` block without the clauses that hold at ``as_of`` and at every time after.

    A ``DateGreaterThan`` / ``DateGreaterThanEquals`` on ``aws:CurrentTime`` or ``aws:EpochTime``
    whose date (any of its alternatives) is already past is an activation that has happened: it
    restricts nothing any more. With ``long_term`` known, a ``Null`` on ``aws:TokenIssueTime``
    that such credentials always meet (true for a long-term key, false for a role session) is met
    too. What is left is what still makes a statement conditional; an empty block means the
    statement applies unconditionally. Unreadable dates are kept.
    """
    settled: dict[str, Any] = {}
    for operator, entries in block.items():
        base = str(operator).removesuffix("IfExists")
        if operator == "Null" and isinstance(entries, Mapping) and long_term is not None:
            met = {str(k) for k, v in entries.items() if str(k).lower() == _TOKEN_ISSUE_KEY and _null_met(v, long_term)}
            rest = {k: v for k, v in entries.items() if str(k) not in met}
            if rest:
                settled[operator] = rest
            continue
        if not isinstance(entries, Mapping) or base not in _ACTIVATION_OPERATORS:
            settled[operator] = entries
            continue
        kept: dict[str, Any] = {}
        for key, value in entries.items():
            dates = [_date_value(v) for v in _values(value)]
            readable = [d for d in dates if d is not None]
            past = bool(readable) and (
                min(readable) < as_of or (base == "DateGreaterThanEquals" and min(readable) == as_of)
            )
            if not (str(key).lower() in _REQUEST_TIME_KEYS and past):
                kept[key] = value
        if kept:
            settled[operator] = kept
    return settled


def _null_met(value: Any, long_term: bool) -> bool:
    """Whether ``Null: {aws:TokenIssueTime: value}`` holds for credentials of this kind."""
    return {str(v).lower() for v in _values(value)} == {"true" if long_term else "false"}


def aws_needs_session(block: Mapping[str, Any]) -> bool | None:
    """Whether an IAM ``Condition`` can hold only for temporary credentials (True), only for
    long-term ones (False), or for either (None).

    ``aws:TokenIssueTime`` is present only in requests signed with temporary credentials (role
    sessions, ``GetSessionToken``); a long-term access key's requests carry none. So
    ``Null: {aws:TokenIssueTime: true}`` holds only for a long-term key, never for a role
    session, and ``Null: ... false`` or any positive comparison of the key without ``IfExists``
    (a missing key fails it) holds only for temporary credentials. Negated operators
    (``...Not...``) and ``ForAllValues:`` pass on a missing key and say nothing. A block demanding
    both says True.
    """
    needs: set[bool] = set()
    for operator, entries in block.items():
        if not isinstance(entries, Mapping):
            continue
        name = str(operator)
        for key, value in entries.items():
            if str(key).lower() != _TOKEN_ISSUE_KEY:
                continue
            if name == "Null":
                flags = {str(v).lower() for v in _values(value)}
                if flags == {"true"}:
                    needs.add(False)
                elif flags == {"false"}:
                    needs.add(True)
            elif (
                not name.endswith("IfExists")
                and not name.startswith("ForAllValues:")
                and "Not" not in _base_operator(name)
            ):
                needs.add(True)
    if True in needs:
        return True
    return False if needs else None


def _date_value(value: str) -> datetime | None:
    """An IAM date condition value: RFC 3339, or seconds since the epoch."""
    text = value.strip()
    if text.isdigit():
        try:
            return datetime.fromtimestamp(int(text), UTC)
        except (OverflowError, OSError, ValueError):  # beyond year 9999: unreadable, so the block may hold
            return None
    return _timestamp(text)


def _expiry(value: Any) -> datetime | None:
    values = _values(value)
    return _timestamp(values[0]) if len(values) == 1 else None


# --- Azure: Entra federated identity credentials ----------------------------------------


def federated_credential_block(fic: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The issuer host and the recorded conditions of an Entra federated identity credential.

    Entra compares the token's issuer, subject and audience exactly; a flexible credential's
    ``claimsMatchingExpression`` is kept as it is (the parser leaves it unparsed).
    """
    issuer_url = str(fic.get("issuer") or "")
    issuer = urlsplit(issuer_url).netloc or issuer_url
    conditions: dict[str, Any] = {"StringEquals": {}}
    if fic.get("subject"):
        conditions["StringEquals"][f"{issuer}:sub"] = fic["subject"]
    if fic.get("audiences"):
        conditions["StringEquals"][f"{issuer}:aud"] = list(fic["audiences"])
    if fic.get("claimsMatchingExpression"):
        conditions["ClaimsMatchingExpression"] = fic["claimsMatchingExpression"]
    return issuer, conditions


def parse_azure_federated_credential(fic: Mapping[str, Any]) -> TrustCondition:
    """An Entra federated identity credential (``issuer``, ``subject``, ``audiences``)."""
    issuer, conditions = federated_credential_block(fic)
    return parse_aws_condition(conditions, issuer=issuer)


# --- GCP: CEL conditions ------------------------------------------------------------------

_GCP_EXPIRY = re.compile(r"request\.time\s*<=?\s*timestamp\(\s*[\"']([^\"']+)[\"']\s*\)")
_CLAIM = r"(?:[A-Za-z_][\w.]*|[A-Za-z_][\w.]*\[\s*['\"][^'\"]+['\"]\s*\])"
_LITERAL = r"(?:'[^'\\]*'|\"[^\"\\]*\")"
_COMPARISON = re.compile(
    rf"\s*(?:(?P<eq_key>{_CLAIM})\s*==\s*(?P<eq_value>{_LITERAL})"
    rf"|(?P<sw_key>{_CLAIM})\.startsWith\(\s*(?P<sw_value>{_LITERAL})\s*\))\s*"
)
_MEMBER_TAIL = re.compile(r"/(subject|group|attribute\.[^/]+)/(.+)$")


def parse_gcp_iam_condition(expression: str | None, *, issuer: str | None = None) -> TrustCondition:
    """An IAM binding's CEL condition: ``request.time < timestamp(...)`` is the expiry (unless an
    ``||`` could get around it); anything else in the expression is left unparsed."""
    if not expression:
        return TrustCondition(issuer=issuer)
    expires = None
    found = _GCP_EXPIRY.search(expression)
    if found is not None and "||" not in expression:
        expires = _timestamp(found.group(1))
    rest = expression
    if expires is not None and found is not None:
        rest = (expression[: found.start()] + expression[found.end() :]).replace("&&", " ")
    return TrustCondition(
        dialect=ConditionDialect.GCP_IAM,
        issuer=issuer,
        expires=expires,
        expression=expression,
        unparsed={"expression": expression} if rest.strip() else {},
    )


def parse_gcp_wif_condition(
    attribute_condition: str | None, member: str | None, *, issuer: str | None = None
) -> TrustCondition:
    """A workload identity pool provider's attribute condition and the binding's member.

    The member names the subject (``principal://.../subject/S``) or pins an attribute
    (``principalSet://.../attribute.repository/org/repo``, ``.../group/G``). The attribute
    condition is read when it is a conjunction of ``claim == 'value'`` and
    ``claim.startsWith('prefix')``: each is a claim pattern; anything else is left unparsed.
    """
    subjects: list[ClaimPattern] = []
    claims: list[ClaimPattern] = []
    unparsed: dict[str, Any] = {}
    if member:
        tail = _MEMBER_TAIL.search(member)
        if tail is None:
            if not member.endswith("/*"):
                unparsed["member"] = member
        elif tail.group(1) == "subject":
            subjects.append(
                ClaimPattern(key="google.subject", operator="principal", match=Match.EXACT, value=tail.group(2))
            )
        else:
            key = "google.groups" if tail.group(1) == "group" else tail.group(1)
            claims.append(ClaimPattern(key=key, operator="principalSet", match=Match.EXACT, value=tail.group(2)))
    if attribute_condition:
        parsed = _conjunction(attribute_condition)
        if parsed is None:
            unparsed["attributeCondition"] = attribute_condition
        else:
            claims += parsed
    return TrustCondition(
        dialect=ConditionDialect.GCP_WIF,
        issuer=issuer,
        subjects=subjects,
        claims=claims,
        expression=attribute_condition or None,
        unparsed=unparsed,
    )


def _conjunction(expression: str) -> list[ClaimPattern] | None:
    """``a == 'x' && b.startsWith('y')`` as patterns; None for anything else (``||``, ``!``, calls...)."""
    patterns: list[ClaimPattern] = []
    for clause in _split_and(expression):
        found = _COMPARISON.fullmatch(clause)
        if found is None:
            return None
        if found["eq_key"]:
            patterns.append(
                ClaimPattern(key=found["eq_key"], operator="==", match=Match.EXACT, value=found["eq_value"][1:-1])
            )
        else:
            value = found["sw_value"][1:-1] + "*"
            patterns.append(ClaimPattern(key=found["sw_key"], operator="startsWith", match=Match.GLOB, value=value))
    return patterns


def _split_and(expression: str) -> list[str]:
    """Top-level ``&&`` clauses, outside string literals."""
    clauses: list[str] = []
    current: list[str] = []
    quote = ""
    index = 0
    while index < len(expression):
        char = expression[index]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif expression.startswith("&&", index):
            clauses.append("".join(current))
            current = []
            index += 2
            continue
        current.append(char)
        index += 1
    clauses.append("".join(current))
    return clauses


def _timestamp(value: str) -> datetime | None:
    """An RFC 3339 time as UTC (nanoseconds cut to microseconds; no zone means UTC); None if unreadable."""
    text = value.strip().replace("Z", "+00:00")
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    try:
        parsed = datetime.fromisoformat(text)
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (OverflowError, ValueError):  # unparseable, or out of range once moved to UTC
        return None
