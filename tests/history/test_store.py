"""The store on SQLite and PostgreSQL: what each scan saw, each finding's life, diffs, retention."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from standing.core.errors import UserError
from standing.core.findings import Severity, Waiver
from standing.history.schema import Base
from standing.history.store import HistoryStore
from standing.rules.config import ScanConfig
from tests.history.estates import BATCH, CI, DEP, OLD, TWO, day, estate, keyed, other_account, record_days, scan


@pytest.fixture
def store(store_url):
    with HistoryStore.open(store_url) as opened:
        yield opened


def test_diffs_and_lives_across_three_days(store):
    # day 0: ci's old key; day 1: old key deleted, deploy's key appears; day 2: the old key is back
    ids = record_days(store, (estate(), 0), (estate(old_key=False, deploy=True), 1), (estate(deploy=True), 2))
    assert [s.id for s in store.scans()] == ids
    assert [(s.identities, s.credentials, s.findings) for s in store.scans()] == [(1, 2, 2), (2, 2, 1), (2, 3, 3)]

    first = store.diff(ids[0], ids[1])
    assert (keyed(first.new), keyed(first.resolved), keyed(first.persisting)) == ({DEP}, {OLD, TWO}, set())
    assert [c.credential_id for c in first.created] == ["AKIADEP"]
    assert [c.credential_id for c in first.removed] == ["AKIAOLD"]
    second = store.diff(ids[1], ids[2])
    assert (keyed(second.new), keyed(second.resolved), keyed(second.persisting)) == ({OLD, TWO}, set(), {DEP})
    assert [c.credential_id for c in second.created] == ["AKIAOLD"] and second.removed == ()

    lives = {(life.rule_id, life.subject): life for life in store.lives().values()}
    assert {k: (v.first_seen, v.opened_at, v.resolved_at) for k, v in lives.items()} == {
        OLD: (day(0), day(2), None),  # came back: first seen kept, a new open spell
        TWO: (day(0), day(2), None),
        DEP: (day(1), day(1), None),
    }
    seen = store.findings_of(ids[2])
    assert {(s.rule_id, s.subject): (s.first_seen, s.opened_at) for s in seen.values()}[OLD] == (day(0), day(2))


def test_the_census_of_standing_secrets_is_recorded_and_resolved_with_its_key(store):
    # default config: every live key is a low finding of its own, so history follows each one
    first = store.record(*scan(estate(), 0, config=ScanConfig())).id
    census = {("long-lived-secret", "AKIANEW"), ("long-lived-secret", "AKIAOLD")}
    assert keyed(store.findings_of(first).values()) == {OLD, TWO} | census
    second = store.record(*scan(estate(old_key=False), 1, config=ScanConfig())).id
    assert keyed(store.findings_of(second).values()) == {("long-lived-secret", "AKIANEW")}
    resolved = {(life.rule_id, life.subject) for life in store.lives().values() if life.resolved_at == day(1)}
    assert resolved == {OLD, TWO, ("long-lived-secret", "AKIAOLD")}  # near miss: AKIANEW's stays open


def test_a_partial_scan_resolves_nothing(store):
    record_days(store, (estate(), 0), (estate(old_key=False, partial=True), 1))
    assert {(life.rule_id, life.subject): life.resolved_at for life in store.lives().values()} == {OLD: None, TWO: None}
    record_days(store, (estate(old_key=False), 2))  # complete: now they are gone
    assert {(life.rule_id, life.subject): life.resolved_at for life in store.lives().values()} == {
        OLD: day(2),
        TWO: day(2),
    }


def test_scans_are_recorded_in_time_order(store):
    record_days(store, (estate(), 5))
    before = (store.scans(), store.lives())
    with pytest.raises(UserError) as refused:
        store.record(*scan(estate(deploy=True), 1))
    assert refused.value.problem == (
        "already holds a scan as of 2026-06-06 12:00 UTC, later than this one "
        "(2026-06-02 12:00 UTC); scans are recorded in time order"
    )
    assert (store.scans(), store.lives()) == before


def test_a_scan_of_one_account_resolves_nothing_in_another(store):
    first, second = record_days(store, (estate(), 0), (other_account(), 1))
    assert keyed(store.findings_of(second).values()) == {OLD, TWO, BATCH}  # the store's whole estate
    assert {life.resolved_at for life in store.lives().values()} == {None}
    third = record_days(store, (estate(old_key=False), 2))[0]
    assert keyed(store.findings_of(third).values()) == {BATCH}


def test_waivers_applied_are_recorded(store):
    waiver = Waiver(
        rule="key-too-old",
        subject="AKIAOLD",
        owner="payments@example.com",
        justification="partner SFTP",
        expires=day(30).date(),
    )
    stored = store.record(*scan(estate(), 0, waivers=[waiver]))
    assert {(s.rule_id, s.subject): s.waived for s in store.findings_of(stored.id).values()} == {OLD: True, TWO: False}


def test_retention_prunes_old_scans_but_keeps_first_seen_of_open_findings(store):
    # deploy's key is open from day 0 on; ci's old key is resolved on day 10
    ids = record_days(
        store,
        (estate(deploy=True), 0),
        (estate(old_key=False, deploy=True), 10),
        (estate(old_key=False, deploy=True), 20),
    )
    pruned = store.prune(before=day(15))
    assert (pruned.scans, pruned.findings_forgotten, pruned.open_findings_kept) == (2, 2, 1)
    assert [s.id for s in store.scans()] == [ids[2]]
    assert {(life.rule_id, life.subject): life.first_seen for life in store.lives().values()} == {DEP: day(0)}
    later = record_days(store, (estate(old_key=False, deploy=True), 21))[0]
    assert {(s.rule_id, s.subject): s.first_seen for s in store.findings_of(later).values()} == {DEP: day(0)}
    # the newest scan is never pruned, however old
    assert store.prune(before=day(100)).scans == 1 and [s.id for s in store.scans()] == [later]


def test_migrations_build_exactly_the_models_schema(store):
    with store.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def _downgrade(store: HistoryStore, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "standing.history:migrations")
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_upgrading_from_the_first_revision_keeps_history(store_url):
    with HistoryStore.open(store_url) as written:  # a store as revision 0001 left it, holding one scan
        stored = written.record(*scan(estate(), 0))
        _downgrade(written, "0001")
        assert not {"plan_progress", "completed_plans"} & set(inspect(written.engine).get_table_names())
    with HistoryStore.open(store_url, revision="0002") as middle:
        assert "plan_progress" in inspect(middle.engine).get_table_names()
    for _ in range(2):  # the upgrade, then a second open that has nothing to do
        with HistoryStore.open(store_url) as new:
            assert [s.id for s in new.scans()] == [stored.id]
            assert keyed(new.findings_of(stored.id).values()) == {OLD, TWO}
            assert "plan_progress" not in inspect(new.engine).get_table_names()  # 0003 drops it, unused
            assert new.scan(stored.id).estate_risk is None  # 0004: a risk never stored is not made up
            with new.engine.connect() as connection:
                assert MigrationContext.configure(connection).get_current_revision() == "0004"


def test_upgrading_to_0004_gives_earlier_remediations_the_severity_their_spells_had(store_url):
    with HistoryStore.open(store_url) as store:
        record_days(store, (estate(), 0), (estate(old_key=False), 1))  # OLD and TWO resolved on day 1
        severities = {r.fingerprint: r.severity for r in store.remediations()}
        assert len(severities) == 2 and None not in severities.values()
        _downgrade(store, "0003")
    with HistoryStore.open(store_url) as upgraded:
        assert {r.fingerprint: r.severity for r in upgraded.remediations()} == severities


def test_the_last_revision_downgrades_to_the_one_before(store_url):
    with HistoryStore.open(store_url) as store:
        record_days(store, (estate(), 0), (estate(old_key=False), 1))
        _downgrade(store, "0003")
        found = inspect(store.engine)
        assert "completed_plans" not in found.get_table_names()
        assert "estate_risk" not in {c["name"] for c in found.get_columns("scans")}
        assert "severity" not in {c["name"] for c in found.get_columns("remediations")}
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM scans").scalar() == 2
            assert connection.exec_driver_sql("SELECT count(*) FROM remediations").scalar() == 2


def test_completed_plans_and_remediation_severities_are_kept_and_pruned_with_their_scans(store):
    from standing.history.remediation import mttr_by_severity
    from standing.planner.model import CompletedPlan, TargetPattern

    done = CompletedPlan(identity=CI, identity_name="ci", pattern=TargetPattern.RETIRE, how="no findings remain")
    first = store.record(*scan(estate(), 0)).id
    second = store.record(*scan(estate(old_key=False), 10), [done]).id  # OLD and TWO resolved after 10 days
    assert [(p.scan_id, p.identity, p.pattern) for p in store.completed_plans()] == [(second, CI, "retire")]
    assert {(r.severity, r.days) for r in store.remediations()} == {(Severity.HIGH, 10.0), (Severity.MEDIUM, 10.0)}
    assert [(m.severity, m.remediated, m.mean_days) for m in mttr_by_severity(store.remediations())] == [
        ("high", 1, 10.0),
        ("medium", 1, 10.0),
    ]
    assert store.scan(second).estate_risk is not None and store.scan(first).estate_risk is not None
    store.record(*scan(estate(old_key=False), 30))
    store.prune(before=day(20))  # scans 1 and 2 go, and the plans scan 2 found done with them
    assert store.completed_plans() == [] and store.remediations() == []
