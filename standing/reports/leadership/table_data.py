"""The findings table's data, embedded in the page as compact JSON a browser can parse fast.

50,000 findings as full records would be some 80 MB; as rows of small integers pointing into
string tables (rules, identities, accounts) they are a few megabytes. The JSON goes inside a
``<script type="application/json">`` block, so it is dumped with jinja2's ``htmlsafe_json_dumps``:
``<``, ``>``, ``&`` and ``'`` become ``\\u003c``-style escapes and, with ``ensure_ascii``, so do
U+2028/U+2029: no ``</script>`` or ``<!--`` in a cloud-supplied name can end the block.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from standing.core.findings import Finding, Severity
from standing.reports.leadership.figures import ComputeLines, escalation_path, identity_names
from standing.reports.leadership.model import ReportInput

SEVERITIES = [s.value for s in Severity]


class _Interned:
    """Strings to small integers, in first-seen order."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def __call__(self, value: str) -> int:
        return self.index.setdefault(value, len(self.index))

    @property
    def values(self) -> list[str]:
        return list(self.index)


@dataclass(frozen=True)
class TableData:
    """Column layout, documented once here and read by ``report.js``.

    ``findings`` rows: [severity, rule, identity, risk (-1 unknown), message, subject (-1 = the
    identity itself), waived 0/1, fingerprint, frameworks]; severity, rule, identity and
    frameworks index the tables. Frameworks are the finding's own, not the rule's: one rule
    cites CIS AWS on an AWS identity and CIS GCP on a GCP one.
    ``identities`` rows: [id, name, provider, account, reachable, reaches admin 0/1, accounts,
    sensitive, escalation path as [[from, to, how], ...], compute lines (``ComputeLines``)].
    """

    payload: dict[str, object]

    def as_script_json(self) -> Markup:
        return htmlsafe_json_dumps(self.payload, dumps=json.dumps, separators=(",", ":"))


def _identity_row(finding: Finding, providers: _Interned, accounts: _Interned, compute: ComputeLines) -> list[object]:
    blast = finding.blast_radius
    return [
        finding.identity,
        finding.identity_name,
        providers(finding.provider.value),
        accounts(finding.account),
        len(blast.reachable) if blast else 0,
        int(bool(blast and blast.reaches_admin)),
        blast.accounts if blast else [],
        blast.sensitive if blast else [],
        [],
        compute.lines(finding.identity, blast.runs_code_as if blast else []),
    ]


def build_table_data(report: ReportInput) -> TableData:
    rules, providers, accounts, subjects, cited = _Interned(), _Interned(), _Interned(), _Interned(), _Interned()
    identity_index: dict[str, int] = {}
    identities: list[list[object]] = []
    names = identity_names(report)
    compute = ComputeLines(report.findings.findings, report.inventory, names)
    rule_titles: dict[str, str] = {}
    rows: list[list[object]] = []
    for f in report.findings.findings:
        if f.identity not in identity_index:
            identity_index[f.identity] = len(identities)
            identities.append(_identity_row(f, providers, accounts, compute))
        who = identity_index[f.identity]
        path = escalation_path(f, names)
        if path and (not identities[who][8] or len(path) < len(identities[who][8])):  # type: ignore[arg-type]
            identities[who][8] = [[h.source, h.target, h.how] for h in path]
        rule_titles.setdefault(f.rule_id, f.title)
        rows.append(
            [
                SEVERITIES.index(f.severity.value),
                rules(f.rule_id),
                who,
                -1 if f.risk is None else f.risk,
                f.message,
                -1 if f.subject == f.identity else subjects(f.subject),
                int(f.waiver is not None),
                f.fingerprint,
                cited(", ".join(ref.short for ref in f.frameworks)),
            ]
        )
    return TableData(
        {
            "severities": SEVERITIES,
            "rules": [[r, rule_titles[r]] for r in rules.values],
            "frameworks": cited.values,
            "providers": providers.values,
            "accounts": accounts.values,
            "subjects": subjects.values,
            "identities": identities,
            "findings": rows,
        }
    )
