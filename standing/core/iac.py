"""An IaC change as the IaC collectors deliver it: the estate before and after, and where each
resource is declared, so that a finding can point at a file and line."""

from __future__ import annotations

from dataclasses import dataclass

from standing.core.findings import Finding
from standing.core.model import CoverageEntry, Inventory, Record


class SourceRef(Record):
    """Where a record is declared: the file, the resource address, and its line when known."""

    file: str
    address: str
    line: int | None = None


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

    def locations(self, finding: Finding) -> list[SourceRef]:
        """Created or changed resources behind a finding, the most specific first."""
        if finding.subject != finding.identity:  # a credential: where it is declared, then its holder
            candidates = [self.declared.get(finding.subject), self.declared.get(finding.identity)]
        else:  # the identity, then what grants it
            candidates = [self.declared.get(finding.identity), *self.involved.get(finding.identity, [])]
        addresses = dict.fromkeys(a for a in candidates if a is not None and a in self.refs)  # ordered, once each
        return [self.refs[a] for a in addresses]
