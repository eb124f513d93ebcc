#!/usr/bin/env bash
# The wheel a user installs, checked on its own: build the sdist and the wheel, check their
# metadata (twine), install the wheel into a fresh virtualenv outside the checkout, and run the
# demo, the report and a recorded scan from it. A template, framework file or migration left out
# of the package fails here, where the editable install of the tests would never notice.
#
#     scripts/wheel_check.sh [PYTHON]     # PYTHON: an interpreter with build and twine (.venv/bin/python)
set -euo pipefail
cd "$(dirname "$0")/.."
python="${1:-.venv/bin/python}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$python" -m build --sdist --wheel --outdir "$work/dist" . >/dev/null
"$python" -m twine check --strict "$work"/dist/*
wheel="$(ls "$work"/dist/*.whl)"
python3 -m venv "$work/venv"
log="$("$work/venv/bin/pip" install -q "$wheel[demo,history]" 2>&1)" || { echo "$log" >&2; exit 1; }
cd "$work"  # nothing from the checkout is importable from here
"$work/venv/bin/python" -c "import standing, sys; assert '/venv/' in standing.__file__, standing.__file__"
version="$("$work/venv/bin/standing" --version)"
# the CI templates' run step ships in the package (the GitLab template runs the installed copy)
test -x "$("$work/venv/bin/python" -c 'import os, standing.ci as ci; print(os.path.dirname(ci.__file__))')/run.sh"
grep -q "$(sed -n 's/^version = "\(.*\)"/\1/p' "$OLDPWD/pyproject.toml")" <<<"$version"
"$work/venv/bin/standing" demo --output-dir demo >/dev/null
"$work/venv/bin/standing" report --findings-dir demo --format html,md --output-dir report >/dev/null
test -s report/report.html && test -s report/report.md
# A recorded scan applies every migration the wheel ships.
"$work/venv/bin/standing" scan --snapshot demo/snapshot.json --store "sqlite:///$work/history.db" \
  --output-dir again --fail-on none >/dev/null
"$work/venv/bin/standing" history --store "sqlite:///$work/history.db" list | grep -q .
echo "wheel check: $(basename "$wheel") builds, passes twine check, and runs the demo, the report and a recorded scan ($version)"
