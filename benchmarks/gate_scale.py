"""How `standing gate --terraform-plan` scales with the plan: 500, 2,000 and 20,000 resources.

The plan is synthetic (`tests/support/iac_plans.py`): units of twelve resources with every kind
of lookup the converter makes (references known after apply, a key on an existing user named by
a constant, OIDC trusts, policies and attachments, a module with `count`, Google and Entra
credentials). Each size runs in its own process, through the command line as CI runs it
(`--sarif --markdown --junit` written, the terminal summary drawn into a file), and prints
seconds per stage and the process's peak memory. Target (issue 16): 20,000 resources in under
10 s on 2 cores, growth about linear.

    python benchmarks/gate_scale.py [--sizes 500 2000 20000]

Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import io
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402

from standing.cli.gate import _write_outputs, render_gate  # noqa: E402
from standing.collectors.iac.plan import read_plan  # noqa: E402
from standing.collectors.iac.terraform import convert_plan  # noqa: E402
from standing.gate.inputs import from_changes  # noqa: E402
from standing.gate.judge import gate_config, judge  # noqa: E402
from standing.gate.policy import GatePolicy  # noqa: E402
from standing.rules.config import ScanConfig  # noqa: E402
from tests.support.iac_plans import write_synthetic_plan  # noqa: E402

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


def one(size: int) -> str:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        plan_path = out / "plan.json"
        resources = write_synthetic_plan(plan_path, size)
        megabytes = plan_path.stat().st_size / 2**20
        times = {}
        start = time.perf_counter()
        plan = read_plan(plan_path)
        times["read"] = time.perf_counter() - start
        mark = time.perf_counter()
        change = convert_plan(plan, NOW)
        times["convert"] = time.perf_counter() - mark
        mark = time.perf_counter()
        source = from_changes([change], gate_config(ScanConfig()), NOW)
        times["analyse"] = time.perf_counter() - mark
        mark = time.perf_counter()
        result = judge(source, None, GatePolicy.parse("high"), waivers=[], as_of=NOW)
        _write_outputs(result, out / "gate.sarif", out / "gate.md", out / "gate.xml")
        times["files"] = time.perf_counter() - mark
        mark = time.perf_counter()
        render_gate(Console(file=io.StringIO(), width=120, highlight=False, soft_wrap=False), result)
        times["terminal"] = time.perf_counter() - mark
        total = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        stages = "  ".join(f"{name} {seconds:5.2f}" for name, seconds in times.items())
        return (
            f"{resources:>7,} resources ({megabytes:5.1f} MB) {len(result.new):>6,} findings  "
            f"{stages}  total {total:5.2f} s  peak {peak:5.0f} MiB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 20000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # one size, in this process
    args = parser.parse_args()
    if args.one:
        print(one(args.one), flush=True)
        return
    for size in args.sizes:
        subprocess.run([sys.executable, __file__, "--one", str(size)], check=True)


if __name__ == "__main__":
    main()
