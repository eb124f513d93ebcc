"""The whole `standing scan --snapshot FILE --output-dir DIR` at 10k, 30k and 100k identities.

What a user waits for, not one stage: a child process runs the real CLI on a snapshot of the
synthetic estate of `analysis_scale.py` (snapshot load, graph, escalation, rules, risk, plans,
findings.json, plans.json, plans.md, report.html), and this prints its wall time, its CPU time
and its peak memory (``RUSAGE_CHILDREN``: the child's own high-water mark, not this process's).
Target from issue 18: 100k in at most 60 s and 4 GiB on 2 cores.

    python benchmarks/scan_scale.py [--sizes 10000 30000 100000] [--keep DIR]

Not a test: nothing here asserts a time. On a shared machine the wall figure includes waiting
for a core; the CPU figure does not.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from analysis_scale import NOW, synthetic_inventory

from standing.core.snapshot import write_snapshot

OUTPUTS = ("findings.json", "plans.json", "plans.md", "report.html")


def run_scan(snapshot: Path, output_dir: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak MiB of one `standing scan` in a fresh child process."""
    command = [
        str(Path(sys.executable).parent / "standing"),  # the installed console script, as users run it
        "scan",
        "--snapshot",
        str(snapshot),
        "--as-of",
        NOW.isoformat(),
        "--fail-on",
        "none",
        "--output-dir",
        str(output_dir),
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    # ru_maxrss of RUSAGE_CHILDREN is the largest child so far: run the sizes smallest first.
    return wall, cpu, after.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    parser.add_argument("--keep", type=Path, help="write snapshots and outputs here (default: a temp dir)")
    args = parser.parse_args()
    print("identities  snapshot-MiB  wall-s  cpu-s  peak-MiB  outputs-MiB")
    with tempfile.TemporaryDirectory() as scratch:
        root = args.keep or Path(scratch)
        for n in sorted(args.sizes):
            snapshot = root / f"estate-{n}.json"
            output_dir = root / f"scan-{n}"
            write_snapshot(synthetic_inventory(n), snapshot)
            wall, cpu, peak = run_scan(snapshot, output_dir)
            written = sum((output_dir / name).stat().st_size for name in OUTPUTS) / 2**20
            print(
                f"{n:10d}  {snapshot.stat().st_size / 2**20:12.0f}  {wall:6.1f}  {cpu:5.1f}  {peak:8.0f}  {written:11.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
