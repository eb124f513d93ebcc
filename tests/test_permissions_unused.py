"""permissions-unused: the unused part of a grant, named and graded, from each source's record.

Records are built as each collector writes them: AWS Access Advisor at service level, AWS
Access Analyzer at action level, a GCP Recommender role replacement, and for Azure none
(sign-ins say whether, not what). Each case sits beside its near miss.
"""

from __future__ import annotations

from typing import Any

from standing.core.findings import Finding, Severity
from standing.core.model import ActionUse, Identity, Inventory, PermissionUsage, RoleReplacement, UsageSource
from standing.rules.analyse import analyse
from standing.rules.config import ScanConfig, parse_config
from tests.builders import NOW, allow, analyzer_usage, days_ago, role
from tests.planner.cases import PROJECT, sa, sp
from tests.rule_cases import estate, gcp_grant, gcp_role, holding

RULE = "permissions-unused"


def unused(inv: Inventory, config: ScanConfig | None = None) -> dict[str, Finding]:
    return {f.identity: f for f in analyse(inv, config or ScanConfig(), as_of=NOW) if f.rule_id == RULE}


def advisor(who: Identity, window: int = 400, **services: int | None) -> PermissionUsage:
    """An Access Advisor record, service level: name -> days since last use (None: never in window)."""
    return PermissionUsage(
        identity_id=who.id,
        source=UsageSource.AWS_ACCESS_ADVISOR,
        observed_at=NOW,
        window_days=window,
        services=[ActionUse(name=s, last_used=None if d is None else days_ago(d)) for s, d in services.items()],
    )


def test_an_unused_service_is_named_and_graded_by_what_it_reaches():
    admin_idle, data_idle, read_idle, used, bare = (
        role(n) for n in ("admin-idle", "data-idle", "read-idle", "used", "bare")
    )
    records: list[Any] = [
        *holding(admin_idle, "A", allow(["s3:*", "iam:*"])),
        advisor(admin_idle, s3=1, iam=None),
        *holding(data_idle, "D", allow(["s3:*", "secretsmanager:GetSecretValue"])),
        advisor(data_idle, s3=1, secretsmanager=120),
        *holding(read_idle, "R", allow(["s3:*", "ec2:Describe*"])),
        advisor(read_idle, s3=1, ec2=None),  # near miss: the unused part only reads, nothing sensitive
        *holding(used, "U", allow(["s3:*", "iam:*"])),
        advisor(used, s3=1, iam=30),  # near miss: used within the window
        *holding(bare, "B", allow(["s3:*", "iam:*"])),  # near miss: no usage record, no guess
    ]
    found = unused(estate(*records))
    assert set(found) == {admin_idle.id, data_idle.id}
    hit = found[admin_idle.id]
    assert hit.severity is Severity.HIGH
    assert hit.evidence["unused"] == ["iam"] and hit.evidence["privilege"] == "privilege-management"
    assert "has not used service iam in 90 days (aws-access-advisor, 400-day window)" in hit.message
    assert found[data_idle.id].severity is Severity.MEDIUM
    assert found[data_idle.id].evidence["sensitive"] == ["secrets"]
    assert {"NHI5:2025", "AC-6"} <= {ref.control for ref in hit.frameworks}


def test_a_window_shorter_than_the_threshold_says_nothing():
    short, long = role("short"), role("long")
    inv = estate(
        *holding(short, "S", allow("iam:*")),
        advisor(short, window=60, iam=None),  # near miss: 60 days of data cannot show 90 idle
        *holding(long, "L", allow("iam:*")),
        advisor(long, window=90, iam=None),
    )
    assert set(unused(inv)) == {long.id}


def test_the_threshold_is_configured_like_every_rule_threshold():
    idle = role("idle")
    inv = estate(*holding(idle, "I", allow("iam:*")), advisor(idle, iam=100))
    assert set(unused(inv)) == {idle.id}
    config = parse_config({"rules": {"permissions-unused": {"unused_days": 120}}}, "standing.toml")
    assert unused(inv, config) == {}


def test_access_analyzer_names_unused_actions_of_a_used_service():
    svc, tidy = role("svc"), role("tidy")
    inv = estate(
        *holding(svc, "S", allow(["s3:GetObject", "iam:CreateAccessKey", "iam:GetRole"])),
        analyzer_usage(svc, services={"iam": 2}, unused=("iam:CreateAccessKey",)),
        *holding(tidy, "T", allow(["s3:GetObject", "iam:GetRole"])),
        # near miss: the finding names an idle service the identity's grants do not reach
        analyzer_usage(tidy, services={"ec2": None}),
    )
    found = unused(inv)
    assert set(found) == {svc.id}
    assert found[svc.id].evidence["unused"] == ["iam:CreateAccessKey"]
    assert found[svc.id].evidence["grain"] == "action"
    assert found[svc.id].severity is Severity.HIGH  # a key for any user is privilege management


def recommender(who: Identity, role_id: str, replace_with: list[str]) -> PermissionUsage:
    return PermissionUsage(
        identity_id=who.id,
        source=UsageSource.GCP_RECOMMENDER,
        observed_at=NOW,
        window_days=90,
        replacements=[RoleReplacement(scope_id=f"projects/{PROJECT}", role_id=role_id, replace_with=replace_with)],
    )


def test_a_gcp_replacement_of_editor_is_named_and_one_removing_a_viewer_is_not():
    editor, viewer = sa("editor-sa"), sa("viewer-sa")
    inv = estate(
        editor,
        gcp_role("roles/editor"),
        gcp_grant(editor, "roles/editor"),
        recommender(editor, "roles/editor", ["roles/storage.objectViewer"]),
        viewer,
        gcp_role("roles/viewer"),
        gcp_grant(viewer, "roles/viewer"),
        recommender(viewer, "roles/viewer", []),  # near miss: only read access goes
    )
    found = unused(inv)
    assert set(found) == {editor.id}
    hit = found[editor.id]
    assert hit.evidence["unused"] == ["roles/editor"] and hit.evidence["scope"] == f"projects/{PROJECT}"
    assert "replaceable by roles/storage.objectViewer" in hit.message
    assert hit.evidence["sensitive"] == ["ai-models", "databases"]  # storage stays with the replacement


def test_azure_sign_in_activity_is_never_read_as_unused_permissions():
    principal = sp("app")
    inv = estate(
        principal,
        PermissionUsage(identity_id=principal.id, source=UsageSource.AZURE_SIGN_INS, observed_at=NOW, window_days=400),
    )
    assert unused(inv) == {}
