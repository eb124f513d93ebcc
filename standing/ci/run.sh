#!/usr/bin/env bash
# The CI run step of the GitHub Action (action.yml) and the GitLab template: standing as the inputs say, then its SARIF for code
# scanning and its Markdown on the job page, and standing's own exit code as the step's.
#
# Inputs arrive as INPUT_* variables (action.yml maps them); the summary is appended to
# $GITHUB_STEP_SUMMARY and the outputs to $GITHUB_OUTPUT, as on a runner. INPUT_ARGS is split
# like a shell would (quotes kept), never evaluated.
set -uo pipefail
command="${INPUT_COMMAND:-scan}"
out="${INPUT_OUTPUT_DIR:-standing-out}"
summary="${GITHUB_STEP_SUMMARY:-/dev/null}"
outputs="${GITHUB_OUTPUT:-/dev/null}"
mapfile -t args < <(python3 -c 'import os, shlex; print("\n".join(shlex.split(os.environ.get("INPUT_ARGS", ""))))')
mkdir -p "$out"
sarif="$out/standing.sarif"
case "$command" in
  scan)
    standing scan --output-dir "$out" "${args[@]}"
    code=$?
    if [ -s "$out/findings.json" ]; then
      baseline="${INPUT_BASELINE:-}"
      if [ -z "$baseline" ]; then  # no baseline: every finding is reported, as on a first run
        baseline="$out/empty-baseline.json"
        printf '{"schema": "standing.baseline", "version": 1, "entries": []}\n' >"$baseline"
      fi
      standing gate --findings "$out/findings.json" --baseline "$baseline" --fail-on none --sarif "$sarif" >/dev/null
      standing report --findings-dir "$out" --format md --output-dir "$out" >/dev/null && cat "$out/report.md" >>"$summary"
    fi
    ;;
  gate)
    standing gate "${args[@]}" --sarif "$sarif" --markdown "$out/gate.md"
    code=$?
    [ -s "$out/gate.md" ] && cat "$out/gate.md" >>"$summary"
    ;;
  *)
    echo "::error::the input command is scan or gate, not '${command}'"
    code=2
    ;;
esac
echo "exit-code=$code" >>"$outputs"
[ -s "$sarif" ] && echo "sarif-file=$sarif" >>"$outputs"
exit "$code"
