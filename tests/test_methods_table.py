"""Every registered escalation method names a real test, and the README's table is the registry's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from standing.analysis.methods import all_methods
from standing.analysis.methods.table import methods_page, methods_table, readme_section
from standing.core.model import Provider

ROOT = Path(__file__).parents[1]


def test_every_method_names_a_test_that_exists():
    methods = all_methods().values()
    files = sorted({m.test.split("::", 1)[0] for m in methods})
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.splitlines()
    # A method may name a parametrized test as a whole (every case of it shows the method).
    known = set(collected) | {node.split("[", 1)[0] for node in collected}
    missing = sorted(m.id for m in methods if m.test not in known)
    assert not missing, f"methods whose test is not collected: {missing}"


def test_readme_methods_table_is_generated_from_the_registry():
    section = readme_section((ROOT / "README.md").read_text())
    assert section is not None, "README.md lacks the <!-- methods:start --> / <!-- methods:end --> section"
    assert section == methods_table(), "regenerate with standing.analysis.methods.table.methods_table()"


def test_the_methods_page_is_generated_and_names_every_method_with_its_test():
    page = (ROOT / "docs" / "methods.md").read_text()
    assert page == methods_page(), "regenerate docs/methods.md with standing.analysis.methods.table.methods_page()"
    for method in all_methods().values():
        assert page.count(f"| `{method.id}`") == 1 and f"`{method.test}`" in page


def test_the_table_groups_by_provider_and_hop_and_lists_each_method_once():
    table = methods_table()
    for method in all_methods().values():
        assert table.count(f"`{method.id}`") == 1
    providers = [line.split("|")[1].strip() for line in table.splitlines()[2:]]
    assert providers == sorted(providers, key=["AWS", "GCP", "Azure"].index)
    assert "| AWS | existing-compute |" in table


def test_every_aws_hop_kind_found_carries_a_registered_method():
    aws = {m.id for m in all_methods().values() if m.provider is Provider.AWS}
    classic = {
        "iam-001",
        "aws-iam-001",
        "ec2-001",
        "iam-002",
        "iam-004",
        "iam-006",
        "iam-008",
        "iam-010",
        "iam-009",
        "iam-007",
        "iam-011",
        "iam-005",
        "iam-013",
        "iam-012",
        "lambda-001",
        "lambda-002",
        "lambda-003",
        "glue-001",
        "aws-glue-001",
        "cloudformation-001",
        "datapipeline-001",
    }  # the 21 Rhino Security Labs methods
    assert classic <= aws
