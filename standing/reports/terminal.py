"""The terminal summary: what a person reads right after a scan, short enough for one screen.

Every value that came from the cloud goes in as ``rich.text.Text``, never as markup, so an
identity named ``[red]x[/red]`` prints as those characters; and through
``standing.core.safe_text.printable``, so one holding ``ESC [2J`` or a newline prints the escape
(``\\x1b[2J``, ``\\n``) instead of clearing the screen or starting a fake line (rich passes
escape sequences through).
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.text import Text

from standing.core.findings import Finding, Severity
from standing.core.findings_json import FindingsDocument
from standing.core.model import Provider
from standing.core.safe_text import printable
from standing.core.traits import Trait
from standing.rules.registry import traits_of

_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


# What one provider's scan covers, as the summary's first line names it.
_SCANNED = {Provider.AWS: "account(s)", Provider.GCP: "project(s)", Provider.AZURE: "tenant(s)"}

SHOWN = 15  # findings listed without --all: the worst, one line each
_GAPS_SHOWN = 10
_IDENTITY_WIDTH = 36


def _one_line(text: object) -> str:
    return printable(" ".join(str(text).split()))


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _finding_lines(document: FindingsDocument, findings: list[Finding], width: int) -> list[Text]:
    """One line per finding, columns aligned, cut with an ellipsis at ``width``: never wrapped."""
    several_accounts = len(document.scan.accounts) > 1

    def label(f: Finding) -> str:
        return f.severity.value.upper() + (" (waived)" if f.waiver else "")

    def who(f: Finding) -> str:
        name = _one_line(f.identity_name)
        return _fit(f"{name} ({_one_line(f.account)})" if several_accounts else name, _IDENTITY_WIDTH)

    label_width = max(len(label(f)) for f in findings)
    rule_width = max(len(f.rule_id) for f in findings)
    who_width = max(len(who(f)) for f in findings)
    # Rule and identity in aligned columns when the message keeps 40 columns; else run on.
    aligned = width - (label_width + 6 + rule_width + 2 + who_width + 2) >= 40
    lines = []
    for f in findings:
        line = Text(label(f).ljust(label_width), style="dim" if f.waiver else _STYLE[f.severity])
        line.append(f" {f.risk if f.risk is not None else '-':>3}  ")
        if aligned:
            line.append(f"{f.rule_id.ljust(rule_width)}  {who(f).ljust(who_width)}  ")
        else:
            line.append(f"{f.rule_id}  {who(f)}: ")
        line.append(_one_line(f.message))
        line.truncate(width, overflow="ellipsis")
        lines.append(line)
    return lines


def _census_line(census: list[Finding], stored: Path | None) -> Text:
    """The secret census (one finding per live long-lived secret) as one line, not a row per key."""
    holders = len({f.identity for f in census})
    where = f"see {stored} or run with --all" if stored else "run with --all"
    return Text(
        f"{len(census)} live long-lived secret(s) on {holders} identit{'y' if holders == 1 else 'ies'} "
        f"(census, {'/'.join(sorted({f.severity.value for f in census}))}): {where}",
        style=_STYLE[max((f.severity for f in census), key=lambda s: s.rank)],
    )


def render_summary(
    console: Console, document: FindingsDocument, *, written: list[Path], show_all: bool = False
) -> None:
    """Counts first (severity, identities, coverage, files written), then the worst findings.

    One line per finding, cut to the console's width, so a terminal or an 80-column CI log
    never shows a finding wrapped over several lines; ``show_all`` lists every finding.
    """
    scan = document.scan
    noun = _SCANNED.get(scan.providers[0], "account(s)") if len(scan.providers) == 1 else "account(s)"
    accounts = _one_line(", ".join(scan.accounts)) if len(scan.accounts) <= 3 else f"{len(scan.accounts)} {noun}"
    console.print(
        Text.assemble(("standing ", "bold"), f"{document.tool_version}, as of {document.as_of:%Y-%m-%d %H:%M} UTC")
    )
    console.print(
        Text(
            f"{', '.join(p.value for p in scan.providers) or '-'} {noun} {accounts or 'none'}: "
            f"{scan.identities} identities, {scan.credentials} credentials"
        )
    )
    if scan.people_left_out:
        people = ", ".join(f"{p.value} {n}" for p, n in scan.people_left_out.items())
        console.print(Text(f"People left out (counted, not judged): {people}"))
    if scan.identities == 0:
        console.print(Text("No identity was found, so nothing was judged.", style="bold yellow"))
    findings = document.findings
    if not findings:
        console.print(Text("No findings.", style="green"))
    counts = Text("Findings by severity: ")
    for severity in Severity:
        counts.append(f"{severity.value} {document.counts.get(severity, 0)}  ", style=_STYLE[severity])
    console.print(counts)
    exposure = document.exposure
    console.print(
        Text(
            f"Standing secrets: {exposure.standing_secrets} ({exposure.standing_secret_days} secret-days), "
            f"{exposure.admin_secrets} reaching admin ({exposure.admin_secret_days} secret-days)"
        )
    )
    for waiver in document.expired_waivers:
        console.print(
            Text(
                f"EXPIRED WAIVER ({waiver.expires}): {waiver.rule} on {_one_line(waiver.subject)}, "
                f"owner {_one_line(waiver.owner)}: it no longer waives anything",
                style="bold yellow",
            )
        )
    waived = sum(1 for f in findings if f.waiver)
    if waived:
        console.print(Text(f"{waived} finding(s) waived (listed, marked; they do not fail the scan)"))
    if scan.complete:
        every = "every source in scope was read" if scan.left_out else "every source was read"
        console.print(Text(f"Scan complete: {every}.", style="green"))
    else:
        console.print(
            Text(
                f"PARTIAL SCAN: {len(scan.gaps)} source(s) could not be read; findings may be missing:",
                style="bold yellow",
            )
        )
        gaps = scan.gaps if show_all else scan.gaps[:_GAPS_SHOWN]
        for gap in gaps:
            line = Text(
                f"  {gap.provider.value} {_one_line(gap.scope)} {_one_line(gap.operation)}: {gap.status.value}"
                + (f" ({_one_line(gap.detail)})" if gap.detail else "")
            )
            line.truncate(console.width, overflow="ellipsis")
            console.print(line)
        if len(gaps) < len(scan.gaps):
            console.print(Text(f"  {len(scan.gaps) - len(gaps)} more: run with --all"))
    if scan.left_out:
        console.print(Text("Left out by the scan's own options (not read, by choice):"))
        # one per account of an organization: capped like the gaps, all of them with --all
        left_out = scan.left_out if show_all else scan.left_out[:_GAPS_SHOWN]
        for entry in left_out:
            line = Text(
                f"  {entry.provider.value} {_one_line(entry.scope)}: {_one_line(entry.detail or entry.operation)}"
            )
            line.truncate(console.width, overflow="ellipsis")
            console.print(line)
        if len(left_out) < len(scan.left_out):
            console.print(Text(f"  {len(scan.left_out) - len(left_out)} more: run with --all"))
    for path in written:
        console.print(Text(f"Wrote {path}"), soft_wrap=True)  # a path is copied whole
    if not findings:
        return
    stored = next((p for p in written if p.name == "findings.json"), None)
    # Without --all the census of standing secrets is one line, so it never pushes worse findings
    # off the screen; one configured above low stays a row of its own.
    census = (
        []
        if show_all
        else [
            f for f in findings if Trait.SECRET_CENSUS in traits_of(f.rule_id) and f.severity.rank <= Severity.LOW.rank
        ]
    )
    grouped = {id(f) for f in census}
    listed = [f for f in findings if id(f) not in grouped]
    shown = listed if show_all else listed[:SHOWN]
    if shown:
        title = (
            f"Findings ({len(findings)}), worst first (risk 0-100):"
            if len(shown) == len(findings)
            else f"The worst {len(shown)} of {len(findings)} findings (risk 0-100):"
        )
        console.print(Text(title, style="bold"))
        for line in _finding_lines(document, shown, console.width):
            console.print(line, soft_wrap=True)
    hidden = len(listed) - len(shown)
    if hidden:
        console.print(
            Text(f"{hidden} more in {stored} (or run with --all)" if stored else f"{hidden} more: run with --all"),
            soft_wrap=True,
        )
    if census:
        console.print(_census_line(census, stored), soft_wrap=True)
