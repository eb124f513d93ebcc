"""Do two scans say the same thing? Compares findings.json, plans.json and report.json of two runs.

For refactors that must not change behaviour: run the old and the new code on the same input,
e.g. ``standing scan --snapshot S --as-of T --output-dir DIR`` then ``standing report
--findings-dir DIR --format json --output-dir DIR/report``, and compare the two directories.
Only ``generated_at`` and ``tool_version`` are ignored.

``--demo`` compares two runs of ``standing demo``, whose moto server draws new key and role
ids each run: those ids, the fingerprints hashed from them and every timestamp are masked,
and lists are compared as multisets (findings ranked by subject reorder with the ids).

Exit 0 when all three documents are the same, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

DOCUMENTS = ("findings.json", "plans.json", "report.json")
VOLATILE = {"generated_at", "tool_version"}
DEMO_VOLATILE = {"fingerprint", "fingerprints"}  # sha256 of subjects that hold moto's random ids
TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
MOTO_IDS = re.compile(r"\b(AKIA|ASIA|AROA|AIDA|ANPA|AGPA|AIPA)[A-Z0-9]{12,17}\b")


def scrub(value: Any, demo: bool) -> Any:
    if isinstance(value, dict):
        return {
            (MOTO_IDS.sub("<id>", k) if demo else k): (
                "<volatile>" if k in VOLATILE or (demo and k in DEMO_VOLATILE) else scrub(v, demo)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        items = [scrub(v, demo) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True)) if demo else items
    if isinstance(value, str) and demo:
        return DAY.sub("<day>", TIME.sub("<time>", MOTO_IDS.sub("<id>", value)))
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--demo", action="store_true")
    args = parser.parse_args()
    same = True
    for name in DOCUMENTS:
        paths = [next(root.rglob(name), None) for root in (args.before, args.after)]
        if None in paths:
            print(f"{name}: missing under {args.before if paths[0] is None else args.after}")
            same = False
            continue
        before, after = (scrub(json.loads(p.read_text()), args.demo) for p in paths)  # type: ignore[union-attr]
        sizes = " / ".join(f"{p.stat().st_size:,}" for p in paths)  # type: ignore[union-attr]
        print(f"{name}: {'identical' if before == after else 'DIFFERENT'} ({sizes} bytes)")
        same &= before == after
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
