"""Progress across scans: a built new path marks step 1 done; a plan whose findings are gone is done."""

from __future__ import annotations

from pathlib import Path

from standing.core.model import Grant, GrantDuration
from standing.planner.model import StepKind
from standing.rules.config import ScanConfig
from standing.scan import scan_inventory
from tests.builders import NOW, grant, key, role, user
from tests.planner.cases import OBSERVE, _azure_pim, aws, azure


def _scan(inventory, out: Path):
    return scan_inventory(inventory, ScanConfig(), as_of=NOW, generated_at=NOW, output_dir=out).plans


def test_second_scan_shows_the_new_role_built_and_the_retired_key_done(tmp_path: Path) -> None:
    ci = user("ci-github-builder", path="/ci/", tags={"repository": "acme/web"})
    old = user("svc-forgotten")
    records = [
        ci,
        key(ci, "AKIACIBUILDER0000001", age=200, used=0),
        old,
        key(old, "AKIAFORGOTTEN0000001", age=120, used=None),
        OBSERVE,
        grant(ci, OBSERVE),
    ]
    first = _scan(aws(*records), tmp_path)
    assert {p.identity_name: p.steps[0].done for p in first.plans} == {
        "ci-github-builder": False,
        "svc-forgotten": False,
    }
    assert first.completed == []

    # Between scans: the CI role from the plan's Terraform exists; the forgotten user is deleted.
    built = role("ci-github-builder-jit", tags={"standing:replaces": ci.id})
    second = _scan(aws(*records[:2], OBSERVE, grant(ci, OBSERVE), built), tmp_path)
    [plan] = second.plans
    assert (plan.steps[0].kind, plan.steps[0].done, plan.steps[0].done_evidence) == (
        StepKind.CREATE_NEW_PATH,
        True,
        f"{built.id} carries standing:replaces={ci.id}",
    )
    assert [s.done for s in plan.steps[1:]] == [False] * 4
    assert [(c.identity_name, c.pattern.value, c.how) for c in second.completed] == [
        ("svc-forgotten", "retire", "the identity is gone")
    ]
    assert "## Done since the previous scan" in (tmp_path / "plans.md").read_text()


def test_an_eligible_assignment_next_to_the_active_one_marks_the_pim_path_built(tmp_path: Path) -> None:
    inventory = _azure_pim()
    active = inventory.grants[0]
    eligible = Grant(
        principal_id=active.principal_id,
        role_id=active.role_id,
        scope_id=active.scope_id,
        duration=GrantDuration.ELIGIBLE,
    )
    plans = _scan(azure(*inventory.identities, *inventory.roles, active, eligible), tmp_path)
    [plan] = plans.plans
    assert plan.steps[0].done and plan.steps[0].done_evidence == "an eligible assignment exists for each active one"
