"""JUnit XML for CI systems that show test reports: one test case per current finding.

A blocking new finding is a failure; accepted and non-blocking ones pass, so the report
lists them without failing the pipeline's test view for them. Names, messages and gap details
come from the cloud or a template: each passes ``printable`` (``standing.core.safe_text``), which
escapes every character XML 1.0 forbids (and the controls a CI log would obey), so the file
always parses.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

from standing.core.outputs import write_text_atomic
from standing.core.safe_text import printable
from standing.gate.judge import GateResult


def junit_xml(result: GateResult) -> str:
    findings = result.new + result.accepted
    failures = result.blocking
    failing = {f.fingerprint for f in failures}  # new and accepted never share one; a set keeps this linear
    suite = ElementTree.Element("testsuite", name="standing gate", failures=str(len(failures)), errors="0")
    for finding in findings:
        case = ElementTree.SubElement(
            suite,
            "testcase",
            classname=f"standing.{finding.rule_id}",
            name=printable(f"{finding.subject} [{finding.fingerprint}]"),
        )
        if finding.fingerprint in failing:
            failure = ElementTree.SubElement(
                case, "failure", type=finding.severity.value, message=printable(finding.message)
            )
            failure.text = printable(f"{finding.title}: new, and blocking under the gate's --fail-on")
    if not findings:
        ElementTree.SubElement(suite, "testcase", classname="standing", name="no findings")
    for gap in result.input.gaps:
        case = ElementTree.SubElement(suite, "testcase", classname="standing.not-judged", name=printable(gap.scope))
        ElementTree.SubElement(case, "skipped", message=printable(f"{gap.operation}: {gap.detail or gap.status.value}"))
    suite.set("skipped", str(len(result.input.gaps)))
    suite.set("tests", str(len(suite)))
    suites = ElementTree.Element("testsuites")
    suites.append(suite)
    return ElementTree.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(result: GateResult, path: Path) -> None:
    write_text_atomic(path, junit_xml(result))
