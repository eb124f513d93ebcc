"""What a user sees of compute and cuts through the command line: `standing explain` and `standing plan`."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from standing.cli.main import main
from standing.core.model import (
    ComputeKind,
    CredentialKind,
    Grant,
    Identity,
    IdentityKind,
    Inventory,
    Provider,
    Role,
    ScanMeta,
    Scope,
    ScopeKind,
    Trust,
    TrustKind,
    Workload,
)
from standing.core.snapshot import dump_snapshot
from standing.planner.model import PlansDocument
from tests.builders import ACCOUNT, NOW, allow, arn, grant, inventory, key, policy, role, trust, user
from tests.test_compute_uses import function, with_workloads

AS_OF = NOW.isoformat()


def run(tmp_path: Path, inv: Inventory, *args: str) -> str:
    snap = tmp_path / "snap.json"
    snap.write_text(dump_snapshot(inv))
    result = CliRunner().invoke(main, [*args, "--snapshot", str(snap), "--as-of", AS_OF])
    assert result.exit_code == 0, result.output
    return result.output


def plans(tmp_path: Path, inv: Inventory, identity: str) -> PlansDocument:
    return PlansDocument.model_validate(
        json.loads(run(tmp_path, inv, "plan", "--identity", identity, "--format", "json"))
    )


# -- GCP: an account that can rewrite the metadata of an instance running as the project owner ---


def sa(name: str) -> Identity:
    email = f"{name}@p1.iam.gserviceaccount.com"
    return Identity(
        id=email, provider=Provider.GCP, kind=IdentityKind.SERVICE_ACCOUNT, account="p1", name=email, human=False
    )


ATTACKER, OWNER = sa("attacker"), sa("owner")
TAKEOVER = Role(
    id="projects/p1/roles/metadata",
    provider=Provider.GCP,
    name="metadata",
    permissions=["compute.instances.setMetadata", "iam.serviceAccounts.actAs"],
)


def gcp_estate(runs_as: Identity) -> Inventory:
    vm = Workload(
        id="//compute.googleapis.com/projects/p1/zones/europe-west1-b/instances/etl-vm",
        provider=Provider.GCP,
        kind=ComputeKind.GCE_INSTANCE,
        name="etl-vm",
        account="p1",
        region="europe-west1-b",
        identity_ids=[runs_as.id],
        state="RUNNING",
    )
    bystander = sa("bystander")
    return Inventory(
        meta=ScanMeta(tool_version="test", started_at=NOW, finished_at=NOW, providers=[Provider.GCP]),
        identities=[ATTACKER, OWNER, bystander],
        scopes=[Scope(id="projects/p1", provider=Provider.GCP, kind=ScopeKind.PROJECT, name="p1")],
        roles=[TAKEOVER, Role(id="roles/owner", provider=Provider.GCP, name="Owner")],
        grants=[
            Grant(principal_id=ATTACKER.id, role_id=TAKEOVER.id, scope_id="projects/p1"),
            Grant(principal_id=OWNER.id, role_id="roles/owner", scope_id="projects/p1"),
        ],
        credentials=[key(ATTACKER, "attacker-key", age=30, used=1, kind=CredentialKind.SA_KEY)],
        workloads=[vm],
    )


def test_explain_shows_the_compute_running_as_a_role_and_who_can_take_it_over(tmp_path):
    shown = run(tmp_path, gcp_estate(OWNER), "explain", OWNER.id)
    assert "Compute that runs as it (1):" in shown
    assert "Compute Engine instance `etl-vm` in europe-west1-b" in shown
    assert "Who can take that compute over (1):" in shown
    assert f"{ATTACKER.id} [gcp-compute-003]" in shown
    # Near miss: the instance runs as another account: the owner shows no compute, no takeover.
    elsewhere = run(tmp_path, gcp_estate(sa("bystander")), "explain", OWNER.id)
    assert "Compute that runs as it" not in elsewhere and "take that compute over" not in elsewhere


def dev_estate(*, trusted: bool) -> Inventory:
    """dev may impersonate the attacker (a token-creator binding on it), who can take over the owner's VM."""
    dev = sa("dev")
    base = gcp_estate(OWNER)
    binding = Trust(
        target_id=ATTACKER.id if trusted else sa("bystander").id,
        principal=dev.id,
        kind=TrustKind.IMPERSONATION,
        actions=["roles/iam.serviceAccountTokenCreator"],
    )
    return base.model_copy(
        update={
            "identities": [*base.identities, dev],
            "trusts": [binding],
            "credentials": [*base.credentials, key(dev, "dev-key", age=30, used=1, kind=CredentialKind.SA_KEY)],
        }
    )


def test_explain_and_plan_name_the_trust_edit_that_cuts_a_gcp_path(tmp_path):
    dev = sa("dev")
    shown = " ".join(run(tmp_path, dev_estate(trusted=True), "explain", dev.id).split())  # rich wraps lines
    assert f"Cut it now: remove {dev.id} from the trust of {ATTACKER.id} (impersonate)" in shown
    [plan] = plans(tmp_path, dev_estate(trusted=True), dev.id).plans
    assert plan.cut is not None and (plan.cut.change.value, plan.cut.trust_of) == ("trust-edit", ATTACKER.id)
    [cut_tf] = [s.terraform for s in plan.iac if s.filename.startswith("cut-")]
    assert (
        f"gcloud iam service-accounts remove-iam-policy-binding {ATTACKER.id} --member=serviceAccount:{dev.id}"
        in cut_tf
    )
    # Near miss: the binding is on a bystander, not on the attacker: no path, no cut.
    [plan] = plans(tmp_path, dev_estate(trusted=False), dev.id).plans
    assert plan.cut is None and not any(s.filename.startswith("cut-") for s in plan.iac)


# -- AWS: the plan names the compute to switch; a compensated identity gets the cut as a control --


def billing_estate(*, with_function: bool) -> Inventory:
    billing = role("billing")
    admin = policy("BillingAdmin", allow("*"))
    inv = inventory(billing, admin, grant(billing, admin), trust(billing, "lambda.amazonaws.com", TrustKind.SERVICE))
    return with_workloads(inv, *([function(billing.id)] if with_function else []))


def test_plan_names_the_lambda_function_to_switch(tmp_path):
    [plan] = plans(tmp_path, billing_estate(with_function=True), "billing").plans
    assert plan.compute == ["Lambda function `billing-sync` in eu-west-1"]
    [switch] = [s for s in plan.steps if s.kind.value == "switch-consumer"]
    assert switch.instruction.endswith(
        "Compute that runs as it today, each to switch: Lambda function `billing-sync` in eu-west-1."
    )
    assert "Lambda function `billing-sync` in eu-west-1 runs as this identity" in plan.current_state
    markdown = run(tmp_path, billing_estate(with_function=True), "plan", "--identity", "billing")
    assert "Lambda function `billing-sync` in eu-west-1" in markdown
    explained = " ".join(run(tmp_path, billing_estate(with_function=True), "explain", "billing").split())
    assert "serves Lambda function `billing-sync` in eu-west-1" in explained  # no use on record, not unused
    # Near miss: the same role with no compute read names none.
    [bare] = plans(tmp_path, billing_estate(with_function=False), "billing").plans
    assert bare.compute == [] and "Compute that runs as it" not in json.dumps(bare.model_dump(mode="json"))
    assert "serves" not in run(tmp_path, billing_estate(with_function=False), "explain", "billing")


def legacy_estate(*, jump: bool) -> Inventory:
    admin, legacy = role("admin"), user("legacy-sync", tags={"standing:exception": "legacy"})
    admin_policy = policy("Admin", allow("*"))
    held = policy("LegacyJump", allow("sts:AssumeRole", arn("role", "admin") if jump else arn("role", "nothing")))
    return inventory(
        admin,
        admin_policy,
        grant(admin, admin_policy),
        trust(admin, f"arn:aws:iam::{ACCOUNT}:root", TrustKind.ACCOUNT),
        legacy,
        held,
        grant(legacy, held),
        key(legacy, "AKIALEGACY", age=30, used=1),
    )


def test_an_identity_that_cannot_move_yet_gets_the_cut_as_a_control_and_terraform(tmp_path):
    [plan] = plans(tmp_path, legacy_estate(jump=True), "legacy-sync").plans
    assert plan.pattern.value == "compensate"
    cut = {c.kind.value: c for c in plan.controls}["cut-path"]
    assert cut.description.startswith("cut the path to admin now: a Deny policy on legacy-sync: sts:AssumeRole")
    assert plan.cut is not None and plan.cut.policy == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "StandingCutAssumeRole",
                "Effect": "Deny",
                "Action": ["sts:AssumeRole"],
                "Resource": arn("role", "admin"),
            }
        ],
    }
    [cut_tf] = [s.terraform for s in plan.iac if s.filename.startswith("cut-")]
    assert 'resource "aws_iam_user_policy"' in cut_tf and 'user = "legacy-sync"' in cut_tf
    assert '"Effect": "Deny"' in cut_tf
    markdown = run(tmp_path, legacy_estate(jump=True), "plan", "--identity", "legacy-sync")
    assert "### Cut the path to admin now" in markdown
    # Near miss: the same exception with no path to admin: no cut, no cut-path control.
    [calm] = plans(tmp_path, legacy_estate(jump=False), "legacy-sync").plans
    assert calm.pattern.value == "compensate" and calm.cut is None
    assert "cut-path" not in {c.kind.value for c in calm.controls}
