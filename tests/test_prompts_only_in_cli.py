"""Only the command line may ask a person anything: ``rich.prompt`` (and click) stay in ``standing/cli``.

import-linter guards click (``pyproject.toml``) but cannot forbid a submodule of an external
package, so this reads every module's imports instead.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "standing"
PROMPTS = ("rich.prompt", "click")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def offenders(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.relative_to(root).parts[0] == "cli":
            continue
        hits = sorted(n for n in _imports(path) if any(n == p or n.startswith(p + ".") for p in PROMPTS))
        found += [f"{path.relative_to(root.parent)}: {name}" for name in hits]
    return found


def test_only_the_command_line_imports_prompts():
    assert offenders(PACKAGE) == []


def test_the_check_sees_a_prompt_outside_the_command_line(tmp_path):
    (tmp_path / "cli").mkdir()
    (tmp_path / "cli" / "ok.py").write_text("from rich.prompt import Confirm\n")
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "bad.py").write_text("def f():\n    from rich.prompt import Confirm\n")
    assert offenders(tmp_path) == [
        f"{tmp_path.name}/reports/bad.py: rich.prompt",
        f"{tmp_path.name}/reports/bad.py: rich.prompt.Confirm",
    ]
