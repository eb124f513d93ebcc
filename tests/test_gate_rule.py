"""long-lived-secret: one low finding per live long-lived secret, in scans and in the gate.

The census covers every standing secret (findings.json, plans, counts), the gate blocks a new
one by its trait whatever its severity, and the terminal summary groups them into one line.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

from rich.console import Console

from standing.core.findings import Severity
from standing.core.model import Credential, CredentialKind, Identity, IdentityKind, Provider
from standing.gate.judge import gate_config
from standing.gate.policy import GatePolicy
from standing.planner.builder import build_plans
from standing.reports.terminal import render_summary
from standing.rules.analyse import analyse, analyse_estate
from standing.rules.config import ScanConfig, parse_config
from standing.scan import scan_inventory
from tests.builders import NOW, days_ago, inventory, key, user

TENANT = "6d1f2b3a-4c5d-4e6f-8a9b-0c1d2e3f4a5b"


def _census(inv, config=None):
    return {f.subject: f for f in analyse(inv, config or ScanConfig(), as_of=NOW) if f.rule_id == "long-lived-secret"}


def _gcp_sa(name: str) -> Identity:
    email = f"{name}@acme-prod.iam.gserviceaccount.com"
    return Identity(
        id=email, provider=Provider.GCP, kind=IdentityKind.SERVICE_ACCOUNT, account="acme-prod", name=email, human=False
    )


def _gcp_key(sa: Identity, key_id: str, *, user_managed: bool) -> Credential:
    return Credential(
        id=f"projects/acme-prod/serviceAccounts/{sa.id}/keys/{key_id}",
        identity_id=sa.id,
        kind=CredentialKind.SA_KEY,
        active=True,
        created=days_ago(20),
        expires=NOW + timedelta(days=70),
        user_managed=user_managed,
    )


def _azure_app(name: str, kind: IdentityKind = IdentityKind.SERVICE_PRINCIPAL) -> Identity:
    object_id = f"00000000-0000-4000-8000-{abs(hash(name)) % 10**12:012d}"
    return Identity(id=object_id, provider=Provider.AZURE, kind=kind, account=TENANT, name=name, human=False)


def _azure_secret(holder: Identity, key_id: str, *, days: int, kind=CredentialKind.CLIENT_SECRET) -> Credential:
    return Credential(
        id=key_id,
        identity_id=holder.id,
        kind=kind,
        active=True,
        created=days_ago(5),
        expires=days_ago(5) + timedelta(days=days),
    )


def test_scans_report_every_live_standing_secret_at_low_even_young_and_expiring():
    aws = user("svc-deploy")
    yesterday = key(aws, "AKIANEW000000001", age=1, used=None)  # created yesterday, never used
    sa = _gcp_sa("etl")
    weeks_old = _gcp_key(sa, "k1", user_managed=True)  # a few weeks old, expires in 70 days
    app = _azure_app("billing-app")
    half_year = _azure_secret(app, "secret-180d", days=180)
    census = _census(inventory(aws, yesterday, sa, weeks_old, app, half_year))
    assert set(census) == {yesterday.id, weeks_old.id, half_year.id}
    assert {f.severity for f in census.values()} == {Severity.LOW}
    assert census[half_year.id].evidence["lifetime_days"] == 180
    assert census[weeks_old.id].evidence["lifetime_days"] == 90


def test_short_lived_inactive_expired_and_provider_managed_secrets_are_not_in_the_census():
    app = user("svc-app")
    inactive = key(app, "AKIAAPP000000002", age=10, used=None, active=False)
    cert_day = key(app, "cert-12h", age=0, kind=CredentialKind.CERTIFICATE).model_copy(
        update={"expires": NOW + timedelta(hours=12)}
    )
    expired = key(app, "secret-old", age=400, kind=CredentialKind.CLIENT_SECRET).model_copy(
        update={"expires": NOW - timedelta(days=1)}
    )
    sa = _gcp_sa("runtime")
    google_managed = _gcp_key(sa, "sys1", user_managed=False)  # keyType SYSTEM_MANAGED
    mi = _azure_app("id-aks-admin", IdentityKind.MANAGED_IDENTITY)
    mi_cert = _azure_secret(mi, "mi-cert", days=90, kind=CredentialKind.CERTIFICATE)
    assert _census(inventory(app, inactive, cert_day, expired, sa, google_managed, mi, mi_cert)) == {}


def test_the_gate_blocks_a_new_standing_key_by_its_trait_whatever_the_fail_on_severity():
    new_key = next(iter(_census(inventory(user("ci"), key(user("ci"), "AKIACI0000000001", age=0, used=None))).values()))
    assert new_key.severity is Severity.LOW
    for fail_on in ("keys", "low", "medium", "high", "critical"):
        assert GatePolicy.parse(fail_on).blocks(new_key), fail_on
    assert not GatePolicy.parse("none").blocks(new_key)


def test_a_config_can_turn_the_census_off_in_scans_but_the_gate_turns_it_back_on():
    inv = inventory(user("svc-app"), key(user("svc-app"), "AKIAAPP000000001", age=3, used=None))
    off = parse_config({"rules": {"long-lived-secret": {"enabled": False}}}, "t.toml")
    assert _census(inv, off) == {}
    assert set(_census(inv, gate_config(off))) == {"AKIAAPP000000001"}
    tuned = parse_config({"rules": {"long-lived-secret": {"max_lifetime_days": 30}}}, "t.toml")
    assert tuned.rules["long-lived-secret"].enabled is True


def test_one_plan_per_identity_not_per_key():
    holder = user("svc-two-keys")
    alone = user("svc-one-key")
    inv = inventory(
        holder,
        key(holder, "AKIATWO000000001", age=3, used=1),
        key(holder, "AKIATWO000000002", age=2, used=1),
        alone,
        key(alone, "AKIAONE000000001", age=3, used=1),
    )
    analysis = analyse_estate(inv, ScanConfig(), as_of=NOW)
    assert {f.subject for f in analysis.findings if f.rule_id == "long-lived-secret"} == {
        "AKIATWO000000001",
        "AKIATWO000000002",
        "AKIAONE000000001",
    }
    plans = build_plans(analysis.model, analysis.findings)
    assert sorted(p.identity_name for p in plans) == ["svc-one-key", "svc-two-keys"]


_ROW = re.compile(r"^(CRITICAL|HIGH|MEDIUM|LOW|INFO)\b")


def _summary(inv, *, show_all: bool) -> list[str]:
    result = scan_inventory(inv, ScanConfig(), as_of=NOW, generated_at=NOW, output_dir=None)
    console = Console(file=io.StringIO(), width=100, color_system=None, highlight=False)
    render_summary(console, result.document, written=[Path("out/findings.json")], show_all=show_all)
    return console.file.getvalue().splitlines()


def test_the_summary_groups_the_census_into_one_line_and_all_lists_every_key():
    records: list = []
    for n in range(12):
        bot = user(f"bot-{n:02d}")
        records += [bot, key(bot, f"AKIABOT0000000{n:02d}", age=2, used=1)]
    stale = user("svc-stale")
    records += [stale, key(stale, "AKIASTALE0000001", age=500, used=1)]  # key-too-old: a row of its own
    grouped = _summary(inventory(*records), show_all=False)
    # the stale key is in the census too, and its own key-too-old finding is still a row
    assert (
        grouped[-1]
        == "13 live long-lived secret(s) on 13 identities (census, low): see out/findings.json or run with --all"
    )
    rows = [line for line in grouped if _ROW.match(line)]
    assert [row.split()[2:4] for row in rows] == [["key-too-old", "svc-stale"]]
    every = _summary(inventory(*records), show_all=True)
    assert sum("long-lived-secret" in line for line in every if _ROW.match(line)) == 13
    assert not any("live long-lived secret(s) on" in line for line in every)
