"""Small estates scanned on successive days, with the findings each day is known to give."""

from __future__ import annotations

from datetime import datetime, timedelta

from standing.core.findings import Waiver
from standing.core.findings_json import FindingsDocument
from standing.core.model import (
    CoverageEntry,
    CoverageStatus,
    Identity,
    IdentityKind,
    Inventory,
    Provider,
    Scope,
    ScopeKind,
)
from standing.rules.config import ScanConfig, parse_config
from standing.scan import scan_inventory
from tests.builders import NOW, arn, inventory, key, user

CI = arn("user", "ci")


def day(n: int) -> datetime:
    return NOW + timedelta(days=n)


def estate(*, old_key: bool = True, deploy: bool = False, partial: bool = False) -> Inventory:
    """ci holds AKIANEW (3 days old) and, with ``old_key``, AKIAOLD (400): key-too-old + two-active-keys.
    ``deploy`` adds a second user with a 200-day-old key (key-too-old)."""
    ci = user("ci")
    records = [ci, key(ci, "AKIANEW", age=3, used=1)]
    if old_key:
        records.append(key(ci, "AKIAOLD", age=400, used=1))
    if deploy:
        dep = user("deploy")
        records += [dep, key(dep, "AKIADEP", age=200, used=1)]
    inv = inventory(*records)
    if partial:
        gap = CoverageEntry(
            provider=Provider.AWS,
            scope="111122223333",
            operation="iam:GetCredentialReport",
            status=CoverageStatus.DENIED,
            detail="AccessDenied",
        )
        inv = inv.model_copy(update={"coverage": [gap]})
    return inv


OTHER_ACCOUNT = "444455556666"


def other_account() -> Inventory:
    """A second account's estate: batch holds a 300-day-old key (key-too-old)."""
    batch = Identity(
        id=arn("user", "batch", OTHER_ACCOUNT),
        provider=Provider.AWS,
        kind=IdentityKind.USER,
        account=OTHER_ACCOUNT,
        name="batch",
        human=False,
    )
    inv = inventory(batch, key(batch, "AKIABATCH", age=300, used=1))
    scope = Scope(id=f"aws:account:{OTHER_ACCOUNT}", provider=Provider.AWS, kind=ScopeKind.ACCOUNT, name=OTHER_ACCOUNT)
    return inv.model_copy(update={"scopes": [scope]})


# The lives and diffs below are told in the judged findings; the census of standing secrets
# (one low finding per live key, on by default) is turned off here and recorded on its own in
# test_store.py::test_the_census_of_standing_secrets_is_recorded_and_resolved_with_its_key.
JUDGED_ONLY = parse_config({"rules": {"long-lived-secret": {"enabled": False}}}, "tests/history/estates.py")


def scan(
    inv: Inventory, on_day: int, waivers: list[Waiver] | None = None, config: ScanConfig = JUDGED_ONLY
) -> tuple[FindingsDocument, Inventory]:
    when = day(on_day)
    result = scan_inventory(inv, config, as_of=when, generated_at=when, output_dir=None, waivers=waivers)
    return result.document, inv


def record_days(store, *days: tuple[Inventory, int]) -> list[int]:
    return [store.record(*scan(inv, n)).id for inv, n in days]


OLD = ("key-too-old", "AKIAOLD")
TWO = ("two-active-keys", CI)
DEP = ("key-too-old", "AKIADEP")
BATCH = ("key-too-old", "AKIABATCH")


def keyed(states) -> set[tuple[str, str]]:
    return {(s.rule_id, s.subject) for s in states}
