"""The rule engine: the ``Rule`` base class, and hits turned into findings.

A rule says what is wrong (``Hit``); the engine adds what is the same for every rule: the
configured severity, framework references, and a stable fingerprint. Rules are found and run
by ``standing.rules.registry``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from standing.analysis.graph import PrivilegeGraph
from standing.core.findings import Finding, Severity, fingerprint
from standing.core.model import Identity, Role
from standing.core.traits import Trait
from standing.rules.frameworks import frameworks_for


class NoParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


@dataclass(frozen=True, kw_only=True)
class Hit:
    """One thing a rule found wrong with one subject.

    ``identity`` is the identity at fault; for a rule about a permission set itself
    (``Trait.ABOUT_POLICY``) it is the policy or custom role (a ``Role`` whose ``account`` is set),
    and the finding names the policy where it would name an identity.
    """

    identity: Identity | Role
    message: str
    subject: str | None = None  # defaults to the identity; a credential id for key rules
    evidence: dict[str, Any] = field(default_factory=dict)
    discriminator: str = ""  # tells apart two hits of one rule on one subject
    severity: Severity | None = None  # a rule may grade its own hits (e.g. '*' worse than one account)


REGISTERED: dict[str, type[Rule]] = {}


class Rule:
    """Subclass, set the class attributes, write ``evaluate``; the docstring is the rule's help.

    Framework references live in ``standing/rules/frameworks/*.toml``, not on the rule. What
    its findings mean to the gate, risk and the planner is ``traits`` (see ``standing.core.traits``).
    """

    id: ClassVar[str]
    title: ClassVar[str]
    severity: ClassVar[Severity]
    traits: ClassVar[frozenset[Trait]] = frozenset()
    Params: ClassVar[type[BaseModel]] = NoParams
    # A rule whose judgement depends on a local convention (tag names, say), or that only
    # some commands want (the gate's long-lived-secret), runs only when enabled.
    enabled_by_default: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "id" not in cls.__dict__:
            return  # an abstract helper base
        if cls.id in REGISTERED and REGISTERED[cls.id] is not cls:
            raise RuntimeError(f"rule id {cls.id!r} is defined twice")
        REGISTERED[cls.id] = cls

    def evaluate(self, graph: PrivilegeGraph, params: Any, now: datetime) -> Iterable[Hit]:
        raise NotImplementedError


@dataclass(frozen=True)
class RuleSettings:
    enabled: bool
    params: BaseModel
    severity: Severity | None = None  # None: the rule's own severity and grading


def to_finding(rule: type[Rule], setting: RuleSettings, hit: Hit) -> Finding:
    subject = hit.subject or hit.identity.id
    severity = setting.severity or hit.severity or rule.severity
    return Finding(
        rule_id=rule.id,
        title=rule.title,
        severity=severity,
        subject=subject,
        identity=hit.identity.id,
        identity_name=hit.identity.name,
        provider=hit.identity.provider,
        account=hit.identity.account or "",
        message=hit.message,
        evidence=hit.evidence,
        frameworks=list(frameworks_for(rule.id, hit.identity.provider)),
        fingerprint=fingerprint(rule.id, subject, hit.discriminator),
    )


def rank(findings: list[Finding]) -> list[Finding]:
    """Worst first; ties broken by rule and subject so output is stable across runs."""
    return sorted(findings, key=lambda f: (-f.severity.rank, f.rule_id, f.subject, f.fingerprint))
