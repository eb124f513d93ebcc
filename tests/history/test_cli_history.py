"""`standing scan --store` and `standing history` end to end, on SQLite and PostgreSQL; bad stores."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from standing.core.snapshot import dump_snapshot
from standing.history.store import HistoryStore
from tests.history.estates import day, estate

AS_OF = "2026-06-0{}T12:00:00Z"


@pytest.fixture
def runner():
    return CliRunner()


def _judged_only(tmp_path) -> tuple[str, str]:
    """``--config`` turning the census of standing secrets off, for tests told in judged findings."""
    config = tmp_path / "judged-only.toml"
    config.write_text("[rules.long-lived-secret]\nenabled = false\n")
    return "--config", str(config)


def _scan(runner, tmp_path, store, inv, n, *extra):
    from standing.cli.main import main

    snapshot = tmp_path / f"d{n}.json"
    snapshot.write_text(dump_snapshot(inv))
    return runner.invoke(
        main,
        [
            "scan",
            "--snapshot",
            str(snapshot),
            "--store",
            store,
            "--as-of",
            day(n).isoformat(),
            "--fail-on",
            "none",
            *extra,
        ],
        env={"COLUMNS": "200"},
    )


def _history(runner, store, *args):
    from standing.cli.main import main

    return runner.invoke(main, ["history", "--store", store, *args], env={"COLUMNS": "200"})


def test_scan_store_then_list_diff_and_trend(runner, tmp_path, store_url):
    for n, inv in enumerate([estate(), estate(old_key=False, deploy=True), estate(deploy=True)]):
        result = _scan(runner, tmp_path, store_url, inv, n)
        assert result.exit_code == 0, result.output
    # every live key is also a census finding (low), so history follows each standing secret
    assert "Recorded scan 3 in" in result.output and "3 new, 0 resolved finding(s) since scan 2" in result.output

    listed = list(csv.DictReader(io.StringIO(_history(runner, store_url, "list", "--format", "csv").output)))
    assert [(r["scan"], r["as_of"], r["identities"], r["credentials"], r["findings"]) for r in listed] == [
        ("1", AS_OF.format(1), "1", "2", "4"),
        ("2", AS_OF.format(2), "2", "2", "3"),
        ("3", AS_OF.format(3), "2", "3", "6"),
    ]

    diff = _history(runner, store_url, "diff", "1", "2")
    assert diff.exit_code == 0, diff.output
    assert (
        "Scan 1 (2026-06-01 12:00) -> scan 2 (2026-06-02 12:00): 2 new, 3 resolved, 1 persisting finding(s); "
        "1 credential(s) created, 1 removed"
    ) in diff.output
    exported = json.loads(_history(runner, store_url, "diff", "--format", "json").output)  # default: last two
    assert [(r["change"], r["kind"], r["rule_or_type"], r["subject"]) for r in exported] == [
        ("new", "finding", "key-too-old", "AKIAOLD"),
        ("new", "finding", "two-active-keys", "arn:aws:iam::111122223333:user/ci"),
        ("new", "finding", "long-lived-secret", "AKIAOLD"),
        ("persisting", "finding", "key-too-old", "AKIADEP"),
        ("persisting", "finding", "long-lived-secret", "AKIADEP"),
        ("persisting", "finding", "long-lived-secret", "AKIANEW"),
        ("created", "credential", "access_key", "AKIAOLD"),
    ]

    out = tmp_path / "trend.csv"
    written = _history(runner, store_url, "trend", "--format", "csv", "-o", str(out))
    assert written.exit_code == 0 and f"Wrote {out} (3 rows)" in written.output
    assert out.read_text().splitlines() == [
        "scan,as_of,critical,high,medium,low,info,waived,standing_secrets,standing_secret_days,admin_secrets,"
        "admin_secret_days,credential_age_mean_days,credential_age_max_days,remediated,mttr_days",
        f"1,{AS_OF.format(1)},0,1,1,2,0,0,2,403,0,0,201.5,400,0,",
        f"2,{AS_OF.format(2)},0,1,0,2,0,0,2,205,0,0,102.5,201,3,1.0",
        f"3,{AS_OF.format(3)},0,2,1,3,0,0,3,609,0,0,203.0,402,3,1.0",
    ]
    trend = json.loads(_history(runner, store_url, "trend", "--format", "json").output)
    assert trend[2] == {
        "scan": 3,
        "as_of": AS_OF.format(3),
        "critical": 0,
        "high": 2,
        "medium": 1,
        "low": 3,  # the census: one per live key
        "info": 0,
        "waived": 0,
        "standing_secrets": 3,
        "standing_secret_days": 609,
        "admin_secrets": 0,
        "admin_secret_days": 0,
        "credential_age_mean_days": 203.0,
        "credential_age_max_days": 402,
        "remediated": 3,  # OLD's key-too-old and census finding, and two-active-keys
        "mttr_days": 1.0,
    }
    assert trend[0]["mttr_days"] is None


def test_mean_time_to_remediate_over_spells_of_different_lengths(runner, tmp_path):
    store = str(tmp_path / "h.db")
    # both of ci's old-key findings open day 0 and close day 1; deploy's opens day 1 and closes day 4
    for n, inv in [(0, estate()), (1, estate(old_key=False, deploy=True)), (4, estate(old_key=False))]:
        assert _scan(runner, tmp_path, store, inv, n, *_judged_only(tmp_path)).exit_code == 0
    rows = json.loads(_history(runner, store, "trend", "--format", "json").output)
    assert [(r["remediated"], r["mttr_days"]) for r in rows] == [(0, None), (2, 1.0), (3, 1.7)]  # (1+1+3)/3


def test_prune_command_keeps_first_seen_of_open_findings(runner, tmp_path):
    store = str(tmp_path / "h.db")
    for n, inv in [
        (0, estate(deploy=True)),
        (3, estate(old_key=False, deploy=True)),
        (6, estate(old_key=False, deploy=True)),
    ]:
        assert _scan(runner, tmp_path, store, inv, n, *_judged_only(tmp_path)).exit_code == 0
    result = _history(runner, store, "prune", "--keep-days", "2", "--as-of", "2026-06-07T12:00:00Z")
    assert result.output == (
        "Pruned 2 scan(s) and 2 resolved finding(s) older than 2 days; 1 open finding(s) keep their first-seen dates\n"
    )
    exported = json.loads(_history(runner, store, "diff", "3", "--format", "json").output)
    assert [(r["change"], r["subject"], r["first_seen"]) for r in exported] == [
        ("persisting", "AKIADEP", AS_OF.format(1))
    ]


def test_scan_keep_days_prunes_after_recording(runner, tmp_path):
    store = str(tmp_path / "h.db")
    assert _scan(runner, tmp_path, store, estate(), 0, *_judged_only(tmp_path)).exit_code == 0
    result = _scan(runner, tmp_path, store, estate(), 5, "--keep-days", "3", *_judged_only(tmp_path))
    assert "Pruned 1 scan(s) older than 3 days; 2 open finding(s) keep their first-seen dates" in result.output
    with HistoryStore.open(store) as opened:
        assert [s.as_of for s in opened.scans()] == [day(5)]
        assert {life.first_seen for life in opened.lives().values()} == {day(0)}


@pytest.mark.parametrize(
    "store, expected",
    [
        (
            "mysql://scanner@db/history",
            "--store: unsupported database 'mysql': use a SQLite path, sqlite:///FILE or postgresql://HOST/DB",
        ),
        (
            "postgresql://scanner:hunter2@127.0.0.1:1/history",
            "postgresql://scanner:***@127.0.0.1:1/history: cannot open the history store: connection failed:",
        ),
        ("{tmp}/missing/dir/h.db", "folder {tmp}/missing/dir does not exist"),
        ("{tmp}/not-a-db.db", "not-a-db.db: cannot open the history store: file is not a database"),
        ("sqlite://", "--store: a SQLite store needs a file: sqlite:///path/to/history.db"),
    ],
)
def test_a_bad_store_is_one_line_exit_2_before_collecting(runner, tmp_path, store, expected):
    (tmp_path / "not-a-db.db").write_text("hello, not SQLite\n" * 100)
    store = store.replace("{tmp}", str(tmp_path))
    result = _scan(runner, tmp_path, store, estate(), 0)
    assert result.exit_code == 2
    assert len(result.output.splitlines()) == 1 and expected.replace("{tmp}", str(tmp_path)) in result.output
    assert result.output.startswith("standing: error: ") and "hunter2" not in result.output
    assert "Traceback" not in result.output and "Findings" not in result.output  # nothing was analysed


def test_a_missing_postgresql_database_records_nothing(runner, tmp_path, postgres):
    result = _scan(runner, tmp_path, postgres.url("no_such_db"), estate(), 0)
    assert result.exit_code == 2
    assert result.output.startswith(f"standing: error: {postgres.url('no_such_db')}: cannot open the history store: ")
    assert 'database "no_such_db" does not exist' in result.output and len(result.output.splitlines()) == 1


def test_the_store_is_checked_before_a_live_scan_collects(runner):
    from standing.cli.main import main

    result = runner.invoke(main, ["scan", "aws", "--endpoint-url", "http://127.0.0.1:9", "--store", "mysql://x/y"])
    assert result.exit_code == 2
    assert result.output.startswith("standing: error: --store: unsupported database 'mysql'")


def test_a_scan_that_fails_after_opening_the_store_records_nothing(runner, tmp_path, store_url):
    (tmp_path / "bad.toml").write_text("colour = 'blue'\n")
    result = _scan(runner, tmp_path, store_url, estate(), 0, "--config", str(tmp_path / "bad.toml"))
    assert result.exit_code == 2 and "unknown key 'colour'" in result.output
    with HistoryStore.open(store_url) as opened:
        assert opened.scans() == []


@pytest.mark.parametrize(
    "args, expected",
    [
        (["list"], "no such history store"),
        (["diff", "1", "2"], "no such history store"),
    ],
)
def test_history_of_a_missing_store_is_one_line(runner, tmp_path, args, expected):
    result = _history(runner, str(tmp_path / "nothing.db"), *args)
    assert result.exit_code == 2 and expected in result.output and len(result.output.splitlines()) == 1
    assert not (tmp_path / "nothing.db").exists()


def test_history_diff_names_a_missing_scan(runner, tmp_path):
    store = str(tmp_path / "h.db")
    assert _scan(runner, tmp_path, store, estate(), 0).exit_code == 0
    assert "needs two stored scans; 1 stored" in _history(runner, store, "diff").output
    missing = _history(runner, store, "diff", "1", "9")
    assert missing.exit_code == 2 and "no scan 9 (see `standing history list`)" in missing.output


def test_notify_options_need_a_store(runner, tmp_path):
    result = _scan(runner, tmp_path, "", estate(), 0, "--notify-webhook", "https://hooks.example.com/x")
    assert result.exit_code == 2 and "--notify-webhook needs --store URL" in result.output
