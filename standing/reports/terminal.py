"""The terminal summary: what a person reads right after a scan.

Every value that came from the cloud goes in as ``rich.text.Text``, never as markup, so an
identity named ``[red]x[/red]`` prints as those characters.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from standing.core.findings import Severity
from standing.core.findings_json import FindingsDocument

_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def render_summary(console: Console, document: FindingsDocument, *, written: list[Path], limit: int = 25) -> None:
    scan = document.scan
    accounts = ", ".join(scan.accounts) or "none"
    console.print(
        Text.assemble(
            ("standing ", "bold"),
            f"{document.tool_version}: {', '.join(p.value for p in scan.providers) or '-'} "
            f"account(s) {accounts}: {scan.identities} identities, {scan.credentials} credentials, "
            f"as of {document.as_of:%Y-%m-%d %H:%M} UTC",
        )
    )
    findings = document.findings
    if findings:
        table = Table(title=f"Findings ({len(findings)}), worst first (risk 0-100)", title_justify="left")
        table.add_column("Severity", no_wrap=True)
        table.add_column("Risk", justify="right", no_wrap=True)
        table.add_column("Rule", no_wrap=True)
        table.add_column("Identity", overflow="fold")
        table.add_column("Why", overflow="fold")
        for finding in findings[:limit]:
            table.add_row(
                Text(
                    finding.severity.value.upper() + (" (waived)" if finding.waiver else ""),
                    style="dim" if finding.waiver else _STYLE[finding.severity],
                ),
                Text(str(finding.risk) if finding.risk is not None else "-"),
                Text(finding.rule_id),
                Text(
                    finding.identity_name
                    if len(document.scan.accounts) < 2
                    else f"{finding.identity_name} ({finding.account})"
                ),
                Text(finding.message),
            )
        console.print(table)
        if len(findings) > limit:
            console.print(f"... and {len(findings) - limit} more in findings.json")
    else:
        console.print(Text("No findings.", style="green"))
    counts = Text("Findings by severity: ")
    for severity in Severity:
        counts.append(f"{severity.value} {document.counts.get(severity, 0)}  ", style=_STYLE[severity])
    console.print(counts)
    exposure = document.exposure
    console.print(
        Text(
            f"Standing exposure: {exposure.standing_secrets} live long-lived secrets, "
            f"{exposure.standing_secret_days} secret-days; {exposure.admin_secrets} reach admin "
            f"({exposure.admin_secret_days} admin secret-days)"
        )
    )
    for waiver in document.expired_waivers:
        console.print(
            Text(
                f"EXPIRED WAIVER ({waiver.expires}): {waiver.rule} on {waiver.subject}, "
                f"owner {waiver.owner}: it no longer waives anything",
                style="bold yellow",
            )
        )
    waived = sum(1 for f in findings if f.waiver)
    if waived:
        console.print(Text(f"{waived} finding(s) waived (kept above, marked; they do not fail the scan)"))
    if scan.complete:
        console.print(Text("Scan complete: every source was read.", style="green"))
    else:
        console.print(
            Text(
                f"PARTIAL SCAN: {len(scan.gaps)} source(s) could not be read; findings may be missing:",
                style="bold yellow",
            )
        )
        for gap in scan.gaps:
            console.print(
                Text(
                    f"  {gap.provider.value} {gap.scope} {gap.operation}: {gap.status.value}"
                    + (f" ({gap.detail})" if gap.detail else "")
                )
            )
    for path in written:
        console.print(Text(f"Wrote {path}"))
