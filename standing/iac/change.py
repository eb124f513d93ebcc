"""What an IaC change adds: findings present after it that were not there before it.

Running the same rules over the estate before and after the change, and keeping the
fingerprints that are new, attributes a finding to the change that causes it: a policy
attached to an existing role, a key on an existing user, a trust widened by an update. A
resource the change leaves alone cannot fail the gate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from standing.iac.estate import SourceRef
from standing.scanner.config import ScanConfig
from standing.scanner.findings import Finding
from standing.scanner.model import CoverageEntry, Inventory
from standing.scanner.pipeline import analyse


@dataclass(frozen=True)
class IacChange:
    source: str
    kind: str  # "terraform-plan" or "cloudformation"
    before: Inventory
    after: Inventory
    refs: dict[str, SourceRef]  # address of every created or changed resource -> where it is
    declared: dict[str, str]  # record id -> address of the resource that declares it
    involved: dict[str, list[str]]  # identity id -> addresses of resources granting it something

    @property
    def unknowns(self) -> list[CoverageEntry]:
        return self.after.gaps

    def new_findings(self, config: ScanConfig, as_of: datetime) -> list[Finding]:
        before = {f.fingerprint for f in analyse(self.before, config, as_of=as_of)}
        return [f for f in analyse(self.after, config, as_of=as_of) if f.fingerprint not in before]

    def locations(self, finding: Finding) -> list[SourceRef]:
        """Created or changed resources behind a finding, the most specific first."""
        if finding.subject != finding.identity:  # a credential: where it is declared, then its holder
            candidates = [self.declared.get(finding.subject), self.declared.get(finding.identity)]
        else:  # the identity, then what grants it
            candidates = [self.declared.get(finding.identity), *self.involved.get(finding.identity, [])]
        addresses: list[str] = []
        for address in candidates:
            if address is not None and address in self.refs and address not in addresses:
                addresses.append(address)
        return [self.refs[a] for a in addresses]
