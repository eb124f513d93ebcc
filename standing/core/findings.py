"""What a rule reports: severity, framework references, and the finding record itself."""

from __future__ import annotations

import fnmatch
import hashlib
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator

from standing.core.model import Provider, Record


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse; used for sorting and for ``--fail-on``."""
        return _RANK[self]


_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


class Framework(StrEnum):
    OWASP_NHI = "OWASP Non-Human Identities Top 10"
    OWASP_AGENTIC = "OWASP Top 10 for Agentic Applications"
    CIS_AWS = "CIS AWS Foundations Benchmark"
    CIS_GCP = "CIS Google Cloud Platform Foundation Benchmark"
    NIST_800_53 = "NIST SP 800-53"


class FrameworkRef(Record):
    """A control in a framework. Versions and controls are strings: CIS "1.10" is not 1.1."""

    framework: Framework
    version: str
    control: str

    def __str__(self) -> str:
        return f"{self.framework.value} {self.version} {self.control}"

    @property
    def short(self) -> str:
        """For narrow columns: ``NHI7:2025``, ``CIS AWS 3.0.0 1.14``, ``NIST AC-6``."""
        return _SHORT[self.framework].format(ref=self)


_SHORT = {
    Framework.OWASP_NHI: "{ref.control}",
    Framework.OWASP_AGENTIC: "{ref.control}",
    Framework.CIS_AWS: "CIS AWS {ref.version} {ref.control}",
    Framework.CIS_GCP: "CIS GCP {ref.version} {ref.control}",
    Framework.NIST_800_53: "NIST {ref.control}",
}


class BlastRadius(Record):
    """What an identity could do or become, from what it holds now."""

    reachable: list[str] = Field(description="identities it can become, directly or in several hops")
    truncated: bool = Field(default=False, description="the search stopped at its size limit; more may be reachable")
    reaches_admin: bool
    accounts: list[str] = Field(description="accounts, projects or subscriptions it reaches")
    sensitive: list[str] = Field(description="kinds of sensitive data it can read")
    runs_code_as: list[str] = Field(
        default_factory=list,
        description="identities among reachable it can run code as by taking over compute that runs as them",
    )


class Exposure(Record):
    """Time-weighted standing exposure of the estate, for trends and leadership."""

    standing_secrets: int
    standing_secret_days: int = Field(description="sum of the ages of every live long-lived secret")
    admin_secrets: int = Field(description="live long-lived secrets whose holder reaches admin")
    admin_secret_days: int


class Waiver(Record):
    rule: str
    subject: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    justification: str = Field(min_length=1)
    expires: date

    @field_validator("expires", mode="before")
    @classmethod
    def _date_only(cls, value: Any) -> Any:
        if isinstance(value, datetime):
            return value.date()
        return value

    def matches(self, finding: Finding) -> bool:
        if self.rule != "*" and self.rule != finding.rule_id:
            return False
        return fnmatch.fnmatchcase(finding.subject, self.subject) or fnmatch.fnmatchcase(finding.identity, self.subject)

    def expired(self, now: datetime) -> bool:
        """A waiver holds through the whole of its expiry day, UTC."""
        return now > datetime.combine(self.expires, time.max, tzinfo=UTC)


class Finding(Record):
    rule_id: str
    title: str
    severity: Severity
    subject: str = Field(description="canonical id of the identity, credential or policy at fault")
    identity: str = Field(
        description="canonical id of the identity that holds the subject; for a finding about a policy or "
        "custom role itself (its rule's trait about-policy), the policy's id, with its holders in evidence.holders"
    )
    identity_name: str = Field(description="the identity's name (the policy's name for a finding about a policy)")
    provider: Provider
    account: str
    message: str
    evidence: dict[str, Any] = Field(default_factory=dict)
    frameworks: list[FrameworkRef] = Field(default_factory=list)
    fingerprint: str
    risk: int | None = Field(default=None, ge=0, le=100, description="see standing/analysis/risk.py")
    blast_radius: BlastRadius | None = None
    waiver: Waiver | None = Field(default=None, description="the accepted-risk waiver covering it, if any")


def fingerprint(rule_id: str, subject: str, discriminator: str = "") -> str:
    """Stable across scans so history and baselines can match the same finding again."""
    digest = hashlib.sha256(f"{rule_id}\x1f{subject}\x1f{discriminator}".encode()).hexdigest()
    return digest[:24]
