"""Blast radius, risk score and exposure on a small known estate."""

from __future__ import annotations

from standing.core.model import TrustKind
from standing.rules.analyse import analyse_estate
from standing.rules.config import ScanConfig
from tests.builders import ACCOUNT, NOW, allow, arn, grant, inventory, key, policy, role, trust, user


def estate():
    admin = role("admin")
    admin_policy = policy("Admin", allow("*"))
    ci = user("ci")
    ci_policy = policy("CiAssume", allow("sts:AssumeRole", arn("role", "admin")))
    reader = user("reader")
    reader_policy = policy("Reader", allow("s3:GetObject", "arn:aws:s3:::reports/*"))
    return (
        inventory(
            admin,
            admin_policy,
            grant(admin, admin_policy),
            trust(admin, f"arn:aws:iam::{ACCOUNT}:root", TrustKind.ACCOUNT),
            ci,
            ci_policy,
            grant(ci, ci_policy),
            key(ci, "AKIACI", age=400, used=1),
            reader,
            reader_policy,
            grant(reader, reader_policy),
            key(reader, "AKIAREADER", age=100, used=1),
        ),
        admin,
        ci,
        reader,
    )


def test_blast_radius_and_score_follow_the_documented_formula():
    inv, admin, ci, reader = estate()
    analysis = analyse_estate(inv, ScanConfig(), as_of=NOW)
    by = {(f.rule_id, f.identity): f for f in analysis.findings}
    path = by[("path-to-admin", ci.id)]
    assert path.blast_radius.reachable == [admin.id]
    assert path.blast_radius.reaches_admin and path.blast_radius.accounts == [ACCOUNT]
    # critical 40 + admin 25 + secret 15 + age 400d -> 10 + no outsider 0 + sensitive 5
    assert path.risk == 95
    old_reader = by[("key-too-old", reader.id)]
    assert old_reader.blast_radius.reachable == [] and not old_reader.blast_radius.reaches_admin
    assert old_reader.blast_radius.sensitive == ["storage"]
    # high 28 + secret 15 + 100d -> 2 + sensitive 5
    assert old_reader.risk == 50
    assert [f.rule_id for f in analysis.findings][:1] == ["path-to-admin"]


def test_exposure_counts_secret_days_and_those_reaching_admin():
    inv, *_ = estate()
    exposure = analyse_estate(inv, ScanConfig(), as_of=NOW).exposure
    assert (exposure.standing_secrets, exposure.standing_secret_days) == (2, 500)
    assert (exposure.admin_secrets, exposure.admin_secret_days) == (1, 400)


def test_sensitive_data_is_judged_in_every_cloud_by_what_the_grants_hand_out():
    from standing.analysis.graph import PrivilegeGraph
    from standing.analysis.privilege_azure import CONTRIBUTOR
    from standing.analysis.providers import sensitive_kinds
    from standing.core.model import Grant, Identity, IdentityKind, Provider, Role

    def holder(provider, name, *roles, scope):
        who = Identity(id=name, provider=provider, kind=IdentityKind.SERVICE_ACCOUNT, account="a", name=name)
        return [who, *[Grant(principal_id=name, role_id=r.id, scope_id=scope) for r in roles]]

    secrets_role = Role(id="roles/secretmanager.secretAccessor", provider=Provider.GCP, name="accessor")
    custom = Role(
        id="projects/p/roles/predictor",
        provider=Provider.GCP,
        name="predictor",
        permissions=["aiplatform.endpoints.predict", "logging.logEntries.create"],
    )
    viewer = Role(id="roles/viewer", provider=Provider.GCP, name="viewer")
    blob_reader = Role(
        id="/providers/Microsoft.Authorization/roleDefinitions/blob",
        provider=Provider.AZURE,
        name="Blob Reader",
        documents=[
            {
                "permissions": [
                    {
                        "actions": [],
                        "dataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
                    }
                ]
            }
        ],
    )
    contributor = Role(
        id=f"/providers/Microsoft.Authorization/roleDefinitions/{CONTRIBUTOR}",
        provider=Provider.AZURE,
        name="Contributor",
    )
    vault_reader = Role(
        id="/providers/Microsoft.Authorization/roleDefinitions/kv",
        provider=Provider.AZURE,
        name="KV no secrets",
        documents=[
            {
                "permissions": [
                    {
                        "actions": ["Microsoft.KeyVault/*/read"],
                        "dataActions": ["Microsoft.KeyVault/*"],
                        "notDataActions": ["Microsoft.KeyVault/vaults/secrets/getSecret/action"],
                    }
                ]
            }
        ],
    )
    records = [
        *holder(Provider.GCP, "gcp-secrets", secrets_role, scope="projects/p"),
        *holder(Provider.GCP, "gcp-predict", custom, viewer, scope="projects/p"),
        *holder(Provider.AZURE, "az-blob", blob_reader, scope="/subscriptions/s"),
        *holder(Provider.AZURE, "az-contrib", contributor, scope="/subscriptions/s"),
        *holder(Provider.AZURE, "az-kv", vault_reader, scope="/subscriptions/s"),
        secrets_role,
        custom,
        viewer,
        blob_reader,
        contributor,
        vault_reader,
    ]
    graph = PrivilegeGraph(inventory(*records))
    assert {i.id: sorted(sensitive_kinds(graph, i)) for i in graph.identities()} == {
        "gcp-secrets": ["secrets"],
        "gcp-predict": ["ai-models"],
        "az-blob": ["storage"],
        # Contributor lists storage, Cosmos and Cognitive Services keys and rewrites vault policies.
        "az-contrib": ["ai-models", "databases", "keys", "secrets", "storage"],
        "az-kv": ["keys"],  # decrypt allowed, secret reads carved out
    }


def test_a_blast_radius_past_the_limit_is_the_first_identities_met_and_says_so():
    """Past MAX_REACHABLE identities the search stops (first met, breadth first) and says it is
    truncated; two identities one hop from the same roles get the same reach, each without itself."""
    from standing.analysis.risk import MAX_REACHABLE

    hub, spoke = user("hub"), user("spoke")
    assume_all = policy("AssumeAll", allow("sts:AssumeRole", arn("role", "*")))
    assume_few = policy("AssumeFew", allow("sts:AssumeRole", [arn("role", "r-0"), arn("role", "r-1")]))
    roles = [role(f"r-{i}") for i in range(MAX_REACHABLE + 20)]
    records = [hub, spoke, assume_all, assume_few, grant(hub, assume_all), grant(spoke, assume_few)]
    records += [
        grant(roles[1], assume_few),
        key(hub, "AKIAHUB", age=400, used=1),
        key(spoke, "AKIASP", age=400, used=1),
    ]
    for r in roles:
        records += [r, trust(r, f"arn:aws:iam::{ACCOUNT}:root", TrustKind.ACCOUNT)]
    analysis = analyse_estate(inventory(*records), ScanConfig(), as_of=NOW)
    blast = analysis.model.blast_radius
    assert blast(hub.id).truncated and len(blast(hub.id).reachable) == MAX_REACHABLE
    assert not blast(spoke.id).truncated and blast(spoke.id).reachable == sorted([roles[0].id, roles[1].id])
    assert blast(roles[1].id).reachable == [roles[0].id]  # r-1 reaches r-0 and itself, listed without itself
