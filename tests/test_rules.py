"""Each rule against a small typed estate: the whole set of (rule, subject) pairs is asserted.

The census of standing secrets (one low finding per live secret, ``Trait.SECRET_CENSUS``) is left
out of ``pairs``: it is asserted on its own in tests/test_gate_rule.py.
"""

from __future__ import annotations

from standing.core.findings import Severity
from standing.core.model import CredentialKind, Identity, IdentityKind, Membership, Provider, TrustKind
from standing.core.traits import Trait
from standing.rules.analyse import analyse
from standing.rules.config import ScanConfig, parse_config
from standing.rules.registry import traits_of
from tests.builders import ACCOUNT, NOW, allow, arn, grant, group, inventory, key, policy, role, trust, user


def judged(inv, config: ScanConfig | None = None):
    """Every finding but the secret census."""
    findings = analyse(inv, config or ScanConfig(), as_of=NOW)
    return [f for f in findings if Trait.SECRET_CENSUS not in traits_of(f.rule_id)]


def pairs(inv, config: ScanConfig | None = None) -> set[tuple[str, str]]:
    return {(f.rule_id, f.subject) for f in judged(inv, config)}


def test_key_age_and_use_rules_judge_each_key_once_and_never_guess_unknown_use():
    ci = user("ci")
    inv = inventory(
        ci,
        key(ci, "AKIAOLDUSED", age=200, used=1),  # old, in use
        key(ci, "AKIAFRESHIDLE", age=60, used=50, active=True),  # idle 50 > 45
        key(ci, "AKIANEVER", age=30, used=None),  # never used past grace
        key(ci, "AKIANEWNEVER", age=3, used=None),  # within grace
        key(ci, "AKIAUNKNOWN", age=10, used="unknown"),  # provider can't say
        key(ci, "AKIAOLDINACTIVE", age=900, used=None, active=False),
    )
    assert pairs(inv) == {
        ("key-too-old", "AKIAOLDUSED"),
        ("key-unused", "AKIAFRESHIDLE"),
        ("key-unused", "AKIANEVER"),
        ("two-active-keys", ci.id),
    }


def test_thresholds_come_from_config():
    svc = user("svc")
    inv = inventory(svc, key(svc, "AKIA1", age=70, used=1))
    assert pairs(inv) == set()
    config = parse_config({"rules": {"key-too-old": {"max_age_days": 60}}}, "test.toml")
    assert pairs(inv, config) == {("key-too-old", "AKIA1")}
    disabled = parse_config({"rules": {"key-too-old": {"max_age_days": 60, "enabled": False}}}, "t")
    assert pairs(inv, disabled) == set()


def test_severity_override_replaces_the_rules_own_grading():
    svc = user("svc")
    inv = inventory(svc, key(svc, "AKIA1", age=700, used=1))
    [finding] = judged(inv, parse_config({"rules": {"key-too-old": {"severity": "low"}}}, "t"))
    assert finding.severity is Severity.LOW


def test_root_key_and_console_users():
    root = Identity(
        id=f"arn:aws:iam::{ACCOUNT}:root",
        provider=Provider.AWS,
        kind=IdentityKind.ROOT,
        account=ACCOUNT,
        name="root",
        human=True,
    )
    mixed = user("alice-or-bot", console_access=True, human=None)
    console_only = user("bob", console_access=True, human=True)
    inv = inventory(
        root,
        key(root, f"{root.id}/access-key-1", age=5, used=1),
        mixed,
        key(mixed, "AKIAMIXED", age=5, used=1),
        console_only,
    )
    assert pairs(inv) == {
        ("root-access-key", f"{root.id}/access-key-1"),
        ("console-and-keys", mixed.id),
    }


def test_admin_equivalence_through_groups_boundaries_and_humans():
    admin_policy = policy("Admin", allow("*"))
    iam_write = policy("IamWrite", allow(["iam:AttachUserPolicy", "iam:PutRolePolicy"]))
    scoped_iam = policy("ScopedIam", allow("iam:PutRolePolicy", arn("role", "app-*")))
    read_only = policy("ReadOnly", allow(["s3:Get*", "ec2:Describe*"]))
    boundary = policy("Boundary", allow("s3:*"))
    admins = group("admins")
    via_group = user("deployer")  # a workload user: it holds a key
    keyed_admin = user("terraform")
    capped = role("capped", permissions_boundary=boundary.id)
    iam_role = role("iam-manager")
    scoped = role("scoped")
    reader = role("reader")
    admin_role = role("admin-role")
    keyless_user = user("dormant-admin")  # no live secret: cannot act as a workload
    sso = role("AWSReservedSSO_Admin_1234", human=True, provider_managed=True)
    inv = inventory(
        admin_policy,
        iam_write,
        scoped_iam,
        read_only,
        boundary,
        admins,
        via_group,
        Membership(member_id=via_group.id, group_id=admins.id),
        grant(admins, admin_policy),
        key(via_group, "AKIADEPLOY", age=10, used=1, active=False),
        key(via_group, "AKIADEPLOY2", age=1, used=1),
        keyed_admin,
        grant(keyed_admin, admin_policy),
        key(keyed_admin, "AKIATF", age=10, used=1),
        capped,
        grant(capped, admin_policy),
        iam_role,
        grant(iam_role, iam_write),
        scoped,
        grant(scoped, scoped_iam),
        reader,
        grant(reader, read_only),
        sso,
        grant(sso, admin_policy),
        keyless_user,
        grant(keyless_user, admin_policy),
        admin_role,
        grant(admin_role, admin_policy),
    )
    findings = {f.subject: f for f in analyse(inv, ScanConfig(), as_of=NOW) if f.rule_id == "admin-equivalent"}
    assert set(findings) == {via_group.id, keyed_admin.id, iam_role.id, admin_role.id}
    assert findings[keyed_admin.id].severity is Severity.CRITICAL  # admin behind a long-lived key
    assert findings[via_group.id].severity is Severity.CRITICAL
    assert findings[admin_role.id].severity is Severity.HIGH  # admin, but no secret to leak
    assert findings[iam_role.id].evidence["privilege"] == "privilege-management"
    assert any("iam:AttachUserPolicy" in e for e in findings[iam_role.id].evidence["because"])


def test_open_trusts_and_oidc_subjects():
    gh = "token.actions.githubusercontent.com"
    gh_provider = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{gh}"
    wild = role("open-to-all")
    ext = role("vendor")
    ext_ok = role("vendor-with-external-id")
    internal = role("sibling-account")
    no_sub = role("gha-no-sub")
    wild_sub = role("gha-wild-sub")
    pinned = role("gha-pinned")
    branch_wild = role("gha-any-branch")
    web = "sts:AssumeRoleWithWebIdentity"
    inv = inventory(
        wild,
        trust(wild, "*", TrustKind.ANY),
        ext,
        trust(ext, "arn:aws:iam::999988887777:root", TrustKind.ACCOUNT),
        ext_ok,
        trust(
            ext_ok, "arn:aws:iam::999988887777:root", TrustKind.ACCOUNT, {"StringEquals": {"sts:ExternalId": "x-123"}}
        ),
        internal,
        trust(internal, f"arn:aws:iam::{ACCOUNT}:root", TrustKind.ACCOUNT),
        no_sub,
        trust(
            no_sub,
            gh_provider,
            TrustKind.OIDC,
            {"StringEquals": {f"{gh}:aud": "sts.amazonaws.com"}},
            issuer=gh,
            action=web,
        ),
        wild_sub,
        trust(
            wild_sub, gh_provider, TrustKind.OIDC, {"StringLike": {f"{gh}:sub": "repo:acme/*"}}, issuer=gh, action=web
        ),
        pinned,
        trust(
            pinned,
            gh_provider,
            TrustKind.OIDC,
            {"StringEquals": {f"{gh}:sub": "repo:acme/api:ref:refs/heads/main"}},
            issuer=gh,
            action=web,
        ),
        branch_wild,
        trust(
            branch_wild,
            gh_provider,
            TrustKind.OIDC,
            {"StringLike": {f"{gh}:sub": "repo:acme/api:*"}},
            issuer=gh,
            action=web,
        ),
    )
    findings = {(f.rule_id, f.subject): f for f in analyse(inv, ScanConfig(), as_of=NOW)}
    assert set(findings) == {
        ("open-trust", wild.id),
        ("open-trust", ext.id),
        ("oidc-subject-unpinned", no_sub.id),
        ("oidc-subject-unpinned", wild_sub.id),
        # The outside account holds the role either way (its privilege graded by third-party-aws-trust).
        ("third-party-aws-trust", ext.id),
        ("third-party-aws-trust", ext_ok.id),
    }
    assert findings[("open-trust", wild.id)].severity is Severity.CRITICAL
    assert findings[("oidc-subject-unpinned", no_sub.id)].severity is Severity.CRITICAL


def test_a_trust_whose_only_subject_condition_is_negated_is_unpinned():
    """StringNotEquals / StringNotLike on ``sub`` shuts out one repository and admits every other."""
    gh = "token.actions.githubusercontent.com"
    gh_provider = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{gh}"
    web = "sts:AssumeRoleWithWebIdentity"
    all_but_one = role("gha-all-but-forks")
    not_like = role("gha-not-like")
    pinned_and_fenced = role("gha-pinned-no-bots")
    aud = {f"{gh}:aud": "sts.amazonaws.com"}
    inv = inventory(
        all_but_one,
        trust(
            all_but_one,
            gh_provider,
            TrustKind.OIDC,
            {"StringEquals": aud, "StringNotEquals": {f"{gh}:sub": "repo:acme/fork:pull_request"}},
            issuer=gh,
            action=web,
        ),
        not_like,
        trust(
            not_like,
            gh_provider,
            TrustKind.OIDC,
            {"StringEquals": aud, "ForAnyValue:StringNotLike": {f"{gh}:sub": ["repo:evil/*", "repo:*:pull_request"]}},
            issuer=gh,
            action=web,
        ),
        # near miss: the subject is pinned; the negation is on another key and only narrows further
        pinned_and_fenced,
        trust(
            pinned_and_fenced,
            gh_provider,
            TrustKind.OIDC,
            {
                "StringEquals": {**aud, f"{gh}:sub": "repo:acme/api:ref:refs/heads/main"},
                "StringNotEquals": {f"{gh}:actor": "dependabot[bot]"},
            },
            issuer=gh,
            action=web,
        ),
    )
    findings = {(f.rule_id, f.subject): f for f in analyse(inv, ScanConfig(), as_of=NOW)}
    assert set(findings) == {
        ("oidc-subject-unpinned", all_but_one.id),
        ("oidc-subject-unpinned", not_like.id),
    }
    negated = findings[("oidc-subject-unpinned", all_but_one.id)]
    assert negated.severity is Severity.CRITICAL  # as wide as no subject at all, for GitHub
    assert "every subject except 'repo:acme/fork:pull_request'" in negated.message


def test_findings_are_ranked_worst_first_with_stable_fingerprints():
    svc = user("svc")
    root = Identity(
        id=f"arn:aws:iam::{ACCOUNT}:root",
        provider=Provider.AWS,
        kind=IdentityKind.ROOT,
        account=ACCOUNT,
        name="root",
        human=True,
    )
    inv = inventory(
        svc,
        key(svc, "AKIA1", age=30, used=None),
        root,
        key(root, "rootkey", age=1, used=1, kind=CredentialKind.ACCESS_KEY),
    )
    first = analyse(inv, ScanConfig(), as_of=NOW)
    again = analyse(inv, ScanConfig(), as_of=NOW)
    # the two secrets' census findings (low) rank after everything they hold
    assert [f.severity for f in first] == [Severity.CRITICAL, Severity.MEDIUM, Severity.LOW, Severity.LOW]
    assert [f.fingerprint for f in first] == [f.fingerprint for f in again]
    assert len({f.fingerprint for f in first}) == 4


def test_secret_lifecycle_rules_judge_only_secrets_that_can_expire():
    from datetime import timedelta

    sa = user("sa@p.iam.gserviceaccount.com")
    never = key(sa, "k-never", age=10, used=1, kind=CredentialKind.SA_KEY)
    long_lived = key(sa, "k-long", age=10, used=1, kind=CredentialKind.CLIENT_SECRET).model_copy(
        update={"expires": NOW + timedelta(days=700)}
    )
    short = key(sa, "k-short", age=10, used=1, kind=CredentialKind.CERTIFICATE).model_copy(
        update={"expires": NOW + timedelta(days=30)}
    )
    leaked = short.model_copy(update={"id": "k-leaked", "compromised": "exposed"})
    leaked_disabled = leaked.model_copy(update={"id": "k-leaked-off", "active": False})
    aws_key = key(sa, "AKIA-no-expiry-by-design", age=10, used=1)
    inv = inventory(sa, never, long_lived, short, leaked, leaked_disabled, aws_key)
    assert {p for p in pairs(inv) if p[0] != "two-active-keys"} == {
        ("secret-never-expires", "k-never"),
        ("secret-lifetime-too-long", "k-long"),
        ("compromised-secret-active", "k-leaked"),
    }


def test_ai_workloads_with_static_keys_or_model_invocation_on_everything():
    from standing.core.model import WorkloadKind

    trainer = user("trainer", workload=WorkloadKind.TRAINING)
    agent = role("agent", workload=WorkloadKind.AGENT)
    pinned_agent = role("pinned-agent", workload=WorkloadKind.AGENT)
    app = role("app", workload=WorkloadKind.APP)
    invoke_any = policy("InvokeAny", allow("bedrock:InvokeModel"))
    invoke_one = policy(
        "InvokeOne", allow("bedrock:InvokeModel", "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-v2")
    )
    inv = inventory(
        trainer,
        key(trainer, "AKIATRAIN", age=5, used=1),
        agent,
        invoke_any,
        grant(agent, invoke_any),
        pinned_agent,
        invoke_one,
        grant(pinned_agent, invoke_one),
        app,
        grant(app, invoke_any),
    )
    assert set(pairs(inv)) == {
        ("ai-workload-standing-access", trainer.id),
        ("ai-workload-standing-access", agent.id),
    }


def test_shared_identity_from_ownership_tags_or_concurrent_use_from_several_services():
    two_teams = user("two-teams", tags={"team": "checkout", "owner-secondary": "billing"})
    one_team = user("one-team", tags={"team": "checkout", "owner": "checkout"})
    busy = user("busy")
    rotating = user("rotating")
    used_from = lambda cred, service: cred.model_copy(update={"last_used_service": service})  # noqa: E731
    inv = inventory(
        two_teams,
        one_team,
        busy,
        used_from(key(busy, "AKIAB1", age=30, used=1), "s3"),
        used_from(key(busy, "AKIAB2", age=30, used=2), "sqs"),
        rotating,
        used_from(key(rotating, "AKIAR1", age=30, used=1), "s3"),
        used_from(key(rotating, "AKIAR2", age=3, used=0), "s3"),
    )
    assert {p for p in pairs(inv) if p[0] == "shared-identity"} == {
        ("shared-identity", two_teams.id),
        ("shared-identity", busy.id),
    }


def test_shared_identity_reads_a_list_in_one_tag_and_namespaced_keys():
    tagged = {
        "comma-list": {"owner-teams": "search,billing"},
        "semicolon-list": {"Owners": "search; billing"},
        "spaced-plural": {"teams": "search billing"},
        "namespaced": {"acme:owner": "search", "app.example.com/consumer": "billing"},
        "camel-case": {"OwningTeam": "search", "ConsumerTeams": "billing|fraud"},
        # near misses: one party however it is written
        "spaced-singular": {"team": "Platform Team"},
        "one-in-a-list": {"owner-teams": "search"},
        "same-twice": {"owners": "Search, search", "acme:team": "SEARCH"},
        "not-ownership": {"teamcity-url": "https://ci", "cost-center": "a,b"},
    }
    inv = inventory(*(user(name, tags=tags) for name, tags in tagged.items()))
    found = {f.identity_name: f for f in analyse(inv, ScanConfig(), as_of=NOW) if f.rule_id == "shared-identity"}
    assert set(found) == {"comma-list", "semicolon-list", "spaced-plural", "namespaced", "camel-case"}
    assert found["comma-list"].evidence["owners"] == ["billing", "search"]
    assert found["camel-case"].evidence["owners"] == ["billing", "fraud", "search"]
    assert "tagged for 2 owners (billing, search)" in found["spaced-plural"].message


def test_identity_unused_judges_dead_identities_without_secrets_and_never_guesses():
    from standing.core.model import UsageStatus
    from tests.builders import days_ago

    dead = role("dead", last_used=days_ago(200), last_used_status=UsageStatus.USED)
    busy = role("busy", last_used=days_ago(3), last_used_status=UsageStatus.USED)
    never_old = role("never-old", created=days_ago(60), last_used_status=UsageStatus.NEVER)
    never_new = role("never-new", created=days_ago(5), last_used_status=UsageStatus.NEVER)
    unknown = role("unknown", created=days_ago(900))
    disabled = role("disabled", last_used=days_ago(300), last_used_status=UsageStatus.USED, disabled=True)
    keyed = user("keyed", last_used=days_ago(300), last_used_status=UsageStatus.USED)
    inv = inventory(
        dead, busy, never_old, never_new, unknown, disabled, keyed, key(keyed, "AKIAKEYED", age=300, used=1)
    )
    assert {p for p in pairs(inv) if p[0] == "identity-unused"} == {
        ("identity-unused", dead.id),
        ("identity-unused", never_old.id),
    }


def test_identity_without_owner_is_off_until_enabled_then_flags_only_unowned_standing_access():
    writes = policy("Writes", allow("s3:PutObject"))
    unowned_key = user("unowned-key")
    unowned_writer = role("unowned-writer")
    tagged = user("tagged", tags={"Team": "payments"})  # key case ignored
    namespaced = user("namespaced", tags={"acme:owner": "data-eng"})
    blank = user("blank", tags={"owner": "  "})  # an empty tag names no one
    fielded = user("fielded", owner="platform@acme.example")
    reader = role("reader")  # no secret, nothing beyond read: nothing standing to answer for
    reads = policy("Reads", allow("s3:GetObject"))
    records = [
        unowned_key,
        unowned_writer,
        tagged,
        namespaced,
        blank,
        fielded,
        reader,
        writes,
        reads,
        grant(unowned_writer, writes),
        grant(reader, reads),
    ]
    records += [
        key(u, f"AKIA{u.name.upper().replace('-', '')}", age=10, used=1)
        for u in (unowned_key, tagged, namespaced, blank, fielded)
    ]
    inv = inventory(*records)
    assert {p for p in pairs(inv) if p[0] == "identity-without-owner"} == set()
    config = parse_config({"rules": {"identity-without-owner": {"enabled": True}}}, "test.toml")
    assert {p for p in pairs(inv, config) if p[0] == "identity-without-owner"} == {
        ("identity-without-owner", unowned_key.id),
        ("identity-without-owner", unowned_writer.id),
        ("identity-without-owner", blank.id),
    }
    narrower = parse_config(
        {"rules": {"identity-without-owner": {"enabled": True, "owner_tags": ["team"]}}}, "test.toml"
    )
    assert ("identity-without-owner", namespaced.id) in pairs(inv, narrower)


def test_an_azure_application_owned_by_a_person_has_an_owner():
    tenant = "72f988bf-0000-0000-0000-2d7cd011db47"
    app = Identity(
        id="app-1",
        provider=Provider.AZURE,
        kind=IdentityKind.SERVICE_PRINCIPAL,
        account=tenant,
        name="billing-sync",
        human=False,
    )
    orphan = Identity(
        id="app-2",
        provider=Provider.AZURE,
        kind=IdentityKind.SERVICE_PRINCIPAL,
        account=tenant,
        name="orphan-sync",
        human=False,
    )
    person = Identity(
        id="user-1",
        provider=Provider.AZURE,
        kind=IdentityKind.USER,
        account=tenant,
        name="dana@acme.example",
        human=True,
    )
    secrets = [key(i, f"secret-{i.id}", age=10, used=1, kind=CredentialKind.CLIENT_SECRET) for i in (app, orphan)]
    inv = inventory(app, orphan, person, *secrets, trust(app, person.id, TrustKind.OWNER))
    config = parse_config({"rules": {"identity-without-owner": {"enabled": True}}}, "test.toml")
    assert {p for p in pairs(inv, config) if p[0] == "identity-without-owner"} == {
        ("identity-without-owner", orphan.id)
    }


def test_ai_workloads_are_recognised_from_roles_names_and_tags_in_every_cloud():
    from standing.analysis.graph import PrivilegeGraph
    from standing.analysis.workloads import judge_workload
    from standing.core.model import Grant, Role

    def sa(name, **fields):
        return Identity(
            id=f"{name}@p.iam.gserviceaccount.com",
            provider=Provider.GCP,
            kind=IdentityKind.SERVICE_ACCOUNT,
            account="p",
            name=f"{name}@p.iam.gserviceaccount.com",
            human=False,
            **fields,
        )

    vertex = Role(id="roles/aiplatform.user", provider=Provider.GCP, name="Vertex AI User")
    holder, trainer, notebook, support_agent = (
        sa("batch-7"),
        sa("vertexTrainer"),
        sa("x", tags={"displayName": "Jupyter workbench"}),
        sa("support-ai-agent"),
    )
    monitoring, tagged, mgmt = sa("monitoring-agent"), sa("etl", tags={"workload": "inference"}), sa("management")
    records = [
        vertex,
        Grant(principal_id=holder.id, role_id=vertex.id, scope_id="projects/p"),
        holder,
        trainer,
        notebook,
        support_agent,
        monitoring,
        tagged,
        mgmt,
    ]
    graph = PrivilegeGraph(inventory(*records))
    assert {i.name.split("@")[0]: graph.workload_of(i.id).kind.value for i in graph.identities()} == {
        "batch-7": "inference",
        "vertexTrainer": "training",
        "x": "notebook",
        "support-ai-agent": "agent",
        "monitoring-agent": "unknown",
        "etl": "inference",
        "management": "unknown",
    }
    assert judge_workload(holder, [vertex]).reason == "holds Vertex AI User"
    keyed = [key(i, f"{i.name}/keys/k", age=10, used=1, kind=CredentialKind.SA_KEY) for i in (trainer, monitoring)]
    inv = inventory(*records, *keyed)
    assert {p for p in pairs(inv) if p[0] == "ai-workload-standing-access"} == {
        ("ai-workload-standing-access", trainer.id)
    }
