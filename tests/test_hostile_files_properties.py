"""Issue 16 item 6, for the readers: Hypothesis breaks one field (or the nesting) of a real file
and runs the command that reads it, in process.

Each example takes a well-formed file (a fixture export, a scan's findings.json and baseline,
a snapshot), puts a hostile value at one place in it (a wrong type, ``null``, a huge number,
``NaN``/``Infinity``, odd unicode, a date out of range, deep nesting) and asserts the error
boundary: either the file is read normally (exit 0, 1 or 3), or it is refused with exit 2 and
one line naming the file. Never another exit code, an exception or a traceback.

The budget is the suite's Hypothesis profile (tests/conftest.py); it is not raised here.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

from standing.cli.main import main
from standing.core.model import TrustKind
from standing.core.snapshot import dump_snapshot
from tests.builders import grant, inventory, key, policy, trust, user

ROOT = Path(__file__).parents[1]
GCP = ROOT / "fixtures" / "gcp" / "import"
AZURE = ROOT / "fixtures" / "azure" / "export"
AS_OF = "2026-06-01T12:00:00+00:00"

# --- strategies -----------------------------------------------------------------------------------

ODD_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "\x1b[2J\x1b[31m",
        "\x1b]0;title\x07",
        "\u202e\u2066evil\u2069",
        "\ufeff",
        "\ud800",  # a lone surrogate: valid JSON escape, not encodable as UTF-8
        "é" * 3,
        "😀",
        "yesterday",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "10000-01-01T00:00:00Z",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "*",
        "projects/x",
        "arn:aws:iam::111122223333:role/x",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 10**30, 2**63]),
    st.floats(allow_nan=True, allow_infinity=True),
    ODD_TEXT,
    st.text(max_size=12),
)


def _nest(value: Any, depth: int) -> Any:
    for _ in range(depth):
        value = [value]
    return value


HOSTILE = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.text(max_size=5), SCALARS, max_size=3),
    st.sampled_from([[], {}, [None], [{}], [[]], {"": None}]),
    st.integers(min_value=40, max_value=1500).map(lambda depth: _nest(None, depth)),
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a JSON value (the first three items of each list: they share a shape)."""
    yield prefix
    if isinstance(value, dict):
        for name, child in value.items():
            yield from paths(child, (*prefix, name))
    elif isinstance(value, list):
        for index, child in enumerate(value[:3]):
            yield from paths(child, (*prefix, index))


def replaced(document: Any, where: tuple[Any, ...], value: Any) -> Any:
    if not where:
        return value
    copy = json.loads(json.dumps(document))
    parent = copy
    for part in where[:-1]:
        parent = parent[part]
    parent[where[-1]] = value
    return copy


@st.composite
def broken(draw: st.DrawFn, document: Any) -> str:
    """The document as text with one hostile value in it; now and then deep nesting around it all."""
    places = list(paths(document))
    text = json.dumps(replaced(document, draw(st.sampled_from(places)), draw(HOSTILE)), allow_nan=True)
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        depth = draw(st.integers(min_value=60, max_value=1500))
        text = "[" * depth + text + "]" * depth
    return text


# --- the boundary -------------------------------------------------------------------------------


def judged_or_refused(result: Result, path: Path) -> None:
    if result.exit_code == 2:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
        line = result.stderr.strip()
        assert line.count("\n") == 0 and str(path) in line, result.stderr
    else:
        assert result.exit_code in (0, 1, 3), (result.exit_code, repr(result.exception), result.output[-500:])
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output


def run(*args: Any) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="standing-hostile-") as name:
        yield Path(name)


# --- GCP and Azure exports ------------------------------------------------------------------------

GCP_FILES = {
    "--from-asset-search": "asset-search.json",
    "--from-service-accounts": "service-accounts.json",
    "--from-keys": "keys-old-key.json",
    "--from-activity": "activity-keys.json",
    "--from-wif-providers": "wif-providers-github-open.json",
    "--from-org-policy": "org-policy-acme-prod-iam.serviceAccountKeyExpiryHours.json",
    "--from-custom-roles": "custom-roles-acme-prod.json",
}


@pytest.mark.parametrize("flag", GCP_FILES)
def test_gcp_export_with_one_hostile_field(workdir, flag):
    original = json.loads((GCP / GCP_FILES[flag]).read_text())
    others = [a for f, n in GCP_FILES.items() if f != flag for a in (f, GCP / n)]

    @given(text=broken(original))
    def check(text: str) -> None:
        bad = workdir / f"gcp-{GCP_FILES[flag]}"
        bad.write_text(text)
        out = workdir / "gcp-out"
        judged_or_refused(run("scan", "gcp", *others, flag, bad, "--as-of", AS_OF, "--output-dir", out), bad)

    check()


def test_gcp_asset_export_with_one_hostile_line(workdir):
    """The Cloud Asset export is read line by line: one line broken, the others as exported."""
    lines = [json.loads(line) for line in (GCP / "asset-export.jsonl").read_text().splitlines() if line.strip()]
    others = [a for f, n in GCP_FILES.items() if f != "--from-asset-search" for a in (f, GCP / n)]

    @given(index=st.integers(min_value=0, max_value=len(lines) - 1), data=st.data())
    def check(index: int, data: st.DataObject) -> None:
        texts = [json.dumps(line) for line in lines]
        texts[index] = data.draw(broken(lines[index]))
        bad = workdir / "asset-export.jsonl"
        bad.write_text("\n".join(texts) + "\n")
        out = workdir / "gcp-export-out"
        judged_or_refused(
            run("scan", "gcp", *others, "--from-asset-export", bad, "--as-of", AS_OF, "--output-dir", out), bad
        )

    check()


AZURE_FILES = {
    "--from-sp-list": "az-ad-sp-list.json",
    "--from-app-list": "az-ad-app-list.json",
    "--from-role-assignments": "az-role-assignment-list.json",
    "--from-role-definitions": "az-role-definition-list.json",
    "--from-federated-credentials": "az-ad-app-federated-credential-list.json",
    "--from-role-assignment-schedules": "az-rest-role-assignment-schedules-prod.json",
    "--from-directory-role-eligibility": "az-rest-directory-role-eligibility.json",
    "--from-sign-in-activity": "az-rest-sp-sign-in-activities.json",
}


@pytest.mark.parametrize("flag", AZURE_FILES)
def test_azure_export_with_one_hostile_field(workdir, flag):
    original = json.loads((AZURE / AZURE_FILES[flag]).read_text())
    others = [a for f, n in AZURE_FILES.items() if f != flag for a in (f, AZURE / n)]

    @given(text=broken(original))
    def check(text: str) -> None:
        bad = workdir / f"azure-{AZURE_FILES[flag]}"
        bad.write_text(text)
        out = workdir / "azure-out"
        judged_or_refused(run("scan", "azure", *others, flag, bad, "--as-of", AS_OF, "--output-dir", out), bad)

    check()


# --- a scan's own files: snapshot, findings.json, baseline --------------------------------------------


def _inventory() -> Any:
    svc = user("svc", tags={"owner": "team"})
    ci = user("ci")
    pol = policy(
        "p",
        {"Effect": "Allow", "Action": ["iam:PassRole", "s3:*"], "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": "ec2:*",
            "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        },
    )
    return inventory(
        svc,
        ci,
        key(svc, "AKIAOLD0000000000001", age=400, used=1),
        key(ci, "AKIAOLD0000000000002", age=30, used=None),
        pol,
        grant(svc, pol),
        grant(ci, pol),
        trust(svc, ci.id, TrustKind.PRINCIPAL),
    )


@pytest.fixture(scope="module")
def scanned(workdir) -> Path:
    snap = workdir / "base-snapshot.json"
    snap.write_text(dump_snapshot(_inventory()))
    out = workdir / "base"
    result = run("scan", "--snapshot", snap, "--as-of", AS_OF, "--output-dir", out, "--fail-on", "none")
    assert result.exit_code == 0, result.output
    assert run("baseline", "--findings", out / "findings.json", "-o", out / "baseline.json").exit_code == 0
    return out


def test_snapshot_with_one_hostile_field(workdir, scanned):
    original = json.loads((scanned / "snapshot.json").read_text())

    @given(text=broken(original))
    def check(text: str) -> None:
        bad = workdir / "snapshot.json"
        bad.write_text(text)
        judged_or_refused(run("scan", "--snapshot", bad, "--as-of", AS_OF, "--output-dir", workdir / "snap-out"), bad)
        judged_or_refused(run("plan", "--snapshot", bad, "--as-of", AS_OF, "--format", "json"), bad)

    check()


def test_findings_json_with_one_hostile_field(workdir, scanned):
    original = json.loads((scanned / "findings.json").read_text())
    # evidence is free-form: give the strategy a path's hops to break too (the hops[].from)
    original["findings"][0]["evidence"]["hops"] = [{"from": "arn:aws:iam::111122223333:user/ci", "to": "x", "how": "y"}]
    reported = workdir / "findings-dir"
    reported.mkdir(exist_ok=True)

    @given(text=broken(original))
    def check(text: str) -> None:
        bad = reported / "findings.json"
        bad.write_text(text)
        outputs = [f"--{kind}" for kind in ("sarif", "markdown", "junit")]
        written = [a for o in outputs for a in (o, workdir / f"gate{o[1:]}")]
        judged_or_refused(run("gate", "--findings", bad, "--baseline", scanned / "baseline.json", *written), bad)
        result = run(
            "report", "--findings-dir", reported, "--format", "html,json,csv,md", "--output-dir", workdir / "r"
        )
        judged_or_refused(result, bad)

    check()


def test_baseline_with_one_hostile_field(workdir, scanned):
    original = json.loads((scanned / "baseline.json").read_text())

    @given(text=broken(original))
    def check(text: str) -> None:
        bad = workdir / "baseline.json"
        bad.write_text(text)
        judged_or_refused(run("gate", "--findings", scanned / "findings.json", "--baseline", bad), bad)

    check()
