"""What an IaC change adds: findings present after it that were not there before it.

Running the same rules over the estate before and after the change, and keeping the
fingerprints that are new, attributes a finding to the change that causes it: a policy
attached to an existing role, a key on an existing user, a trust widened by an update. A
resource the change leaves alone cannot fail the gate.
"""

from __future__ import annotations

from datetime import datetime

from standing.core.findings import Finding
from standing.core.iac import IacChange
from standing.rules.analyse import analyse
from standing.rules.config import ScanConfig


def new_findings(change: IacChange, config: ScanConfig, as_of: datetime) -> list[Finding]:
    before = {f.fingerprint for f in analyse(change.before, config, as_of=as_of)}
    return [f for f in analyse(change.after, config, as_of=as_of) if f.fingerprint not in before]
