"""Dormant privileged identities: privilege held with no live credential, and who could arm it.

Each case sits beside its near miss: the same identity with a live credential, with read-only
access, or in recent use, must stay silent.
"""

from __future__ import annotations

from standing.core.findings import Finding, Severity
from standing.core.model import (
    Credential,
    CredentialKind,
    Identity,
    IdentityKind,
    Inventory,
    Provider,
    TrustKind,
    UsageStatus,
)
from standing.rules.analyse import analyse
from standing.rules.config import ScanConfig
from tests.builders import NOW, allow, arn, days_ago, key, role, trust, user
from tests.planner.cases import TENANT, sa, sp
from tests.rule_cases import OWNER, SUB, azure_grant, estate, gcp_grant, gcp_role, holding, secret

RULE = "dormant-privileged-identity"


def dormant(inv: Inventory) -> dict[str, Finding]:
    return {f.identity: f for f in analyse(inv, ScanConfig(), as_of=NOW) if f.rule_id == RULE}


def test_an_admin_user_without_a_live_credential_names_who_could_mint_one():
    retired, minter, keyed, reader = user("retired"), user("minter"), user("keyed"), user("reader")
    found = dormant(
        estate(
            *holding(retired, "Admin", allow("*")),
            key(retired, "AKIARETIRED", age=400, used=300, active=False),
            *holding(minter, "MintRetired", allow("iam:CreateAccessKey", arn("user", "retired"))),
            key(minter, "AKIAMINTER", age=10, used=1),
            *holding(keyed, "Admin", allow("*")),
            key(keyed, "AKIAKEYED", age=10, used=1),  # near miss: a live key, admin-equivalent's business
            *holding(reader, "ReadOnly", allow("s3:GetObject")),  # near miss: no credential, read-only
        )
    )
    assert set(found) == {retired.id}
    hit = found[retired.id]
    assert hit.severity is Severity.HIGH
    assert hit.message == (
        "retired holds admin permissions but no live credential; "
        "1 identity could mint one or act as it: minter (create-credentials)"
    )
    assert hit.evidence["could_mint"] == [
        {
            "who": minter.id,
            "name": "minter",
            "how": "create-credentials",
            "why": "MintRetired allows iam:CreateAccessKey on retired",
        }
    ]


def test_privilege_management_is_high_a_path_to_admin_medium_and_a_console_password_is_a_live_credential():
    admin = role("admin")
    iam_writer, climber, person = user("iam-writer"), user("climber"), user("person-like")
    password = Credential(id="login-profile", identity_id=person.id, kind=CredentialKind.PASSWORD, active=True)
    found = dormant(
        estate(
            *holding(admin, "Admin", allow("*")),
            trust(admin, f"arn:aws:iam::{admin.account}:root", TrustKind.ACCOUNT),
            *holding(iam_writer, "IamWrite", allow("iam:*")),
            *holding(climber, "AssumeAdmin", allow("sts:AssumeRole", arn("role", "admin"))),
            *holding(person, "IamWrite", allow("iam:*")),
            password,  # near miss: someone signs in with it today
        )
    )
    assert {who: f.severity for who, f in found.items()} == {
        iam_writer.id: Severity.HIGH,
        climber.id: Severity.MEDIUM,
    }
    assert "a path to admin (climber -> admin)" in found[climber.id].message
    assert [h["to"] for h in found[climber.id].evidence["hops"]] == [admin.id]
    # The admin role itself has nothing to mint: roles are path-to-admin's and admin-equivalent's.
    assert admin.id not in found


def test_a_gcp_owner_account_without_a_key_is_dormant_only_when_its_provider_reports_it_idle():
    idle = sa("idle-owner", last_used_status=UsageStatus.NEVER)  # never authenticated in the window
    running = sa("running-owner", last_used=days_ago(3), last_used_status=UsageStatus.USED)
    unknown = sa("unknown-owner")  # use not reported: it may run attached to a workload
    fresh = sa("fresh-owner", created=days_ago(5), last_used_status=UsageStatus.NEVER)  # being set up
    keyed = sa("keyed-owner", last_used_status=UsageStatus.NEVER)
    google_managed = Credential(
        id="projects/acme-prod/serviceAccounts/idle-owner/keys/sys",
        identity_id=idle.id,
        kind=CredentialKind.SA_KEY,
        active=True,
        user_managed=False,  # Google's own key for attached workloads: nobody outside holds it
    )
    user_key = Credential(
        id="projects/acme-prod/serviceAccounts/keyed-owner/keys/k1",
        identity_id=keyed.id,
        kind=CredentialKind.SA_KEY,
        active=True,
        created=days_ago(10),
    )
    # Impersonates the idle owner (a path to admin) but runs today: not dormant itself.
    deployer = sa("deployer", last_used=days_ago(1), last_used_status=UsageStatus.USED)
    found = dormant(
        estate(
            gcp_role("roles/owner"),
            idle,
            running,
            unknown,
            fresh,
            keyed,
            deployer,
            google_managed,
            user_key,
            gcp_grant(idle, "roles/owner"),
            gcp_grant(running, "roles/owner"),  # near miss: in use by a workload it is attached to
            gcp_grant(unknown, "roles/owner"),  # near miss: unknown use is not idleness
            gcp_grant(fresh, "roles/owner"),  # near miss: never used, but created five days ago
            gcp_grant(keyed, "roles/owner"),  # near miss: a live user-managed key
            trust(idle, deployer.id, TrustKind.IMPERSONATION, action="roles/iam.serviceAccountTokenCreator"),
        )
    )
    assert set(found) == {idle.id}
    assert found[idle.id].evidence["could_mint"][0]["how"] == "impersonate"
    assert "deployer@acme-prod.iam.gserviceaccount.com (impersonate)" in found[idle.id].message


def test_an_entra_app_holding_owner_with_no_secret_names_its_owners_and_one_with_a_secret_is_silent():
    alice = Identity(
        id="person-alice", provider=Provider.AZURE, kind=IdentityKind.USER, account=TENANT, name="alice", human=True
    )
    parked = sp("parked-owner-app", last_used=days_ago(200), last_used_status=UsageStatus.USED)
    live = sp("live-owner-app", last_used=days_ago(200), last_used_status=UsageStatus.USED)
    found = dormant(
        estate(
            OWNER,
            alice,
            parked,
            live,
            azure_grant(parked, OWNER, SUB),
            azure_grant(live, OWNER, SUB),
            secret(live, "live-secret", lifetime=180),  # near miss: a live client secret
            trust(parked, alice.id, TrustKind.OWNER),
            trust(live, alice.id, TrustKind.OWNER),
        )
    )
    assert set(found) == {parked.id}
    assert found[parked.id].severity is Severity.HIGH
    assert "alice (owner)" in found[parked.id].message
