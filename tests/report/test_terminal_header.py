"""The summary's header names what was scanned, per cloud, and the people left out."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from rich.console import Console

from standing.core.findings import Exposure
from standing.core.findings_json import build_document
from standing.core.model import Grant, Identity, IdentityKind, Inventory, Provider, ScanMeta, Scope, ScopeKind
from standing.reports.terminal import render_summary

NOW = datetime(2026, 6, 1, tzinfo=UTC)
NO_EXPOSURE = Exposure(standing_secrets=0, standing_secret_days=0, admin_secrets=0, admin_secret_days=0)


def header(inventory: Inventory) -> list[str]:
    document = build_document(inventory, [], exposure=NO_EXPOSURE, expired_waivers=[], as_of=NOW, generated_at=NOW)
    console = Console(file=io.StringIO(), width=120, color_system=None, highlight=False)
    render_summary(console, document, written=[])
    return console.file.getvalue().splitlines()[1:4]


def estate(provider: Provider, scopes: list[tuple[str, ScopeKind]], **records: list) -> Inventory:
    meta = ScanMeta(tool_version="t", started_at=NOW, finished_at=NOW, providers=[provider])
    found = [Scope(id=i, provider=provider, kind=k, name=i) for i, k in scopes]
    return Inventory(meta=meta, scopes=found, **records)


SA = Identity(id="sa@p1.iam.gserviceaccount.com", provider=Provider.GCP, kind=IdentityKind.SERVICE_ACCOUNT,
              account="p1", name="sa@p1.iam.gserviceaccount.com", human=False)  # fmt: skip


@pytest.mark.parametrize(
    ("inventory", "line"),
    [
        (estate(Provider.AWS, [("aws:account:111122223333", ScopeKind.ACCOUNT)]), "aws account(s) 111122223333:"),
        (
            estate(
                Provider.GCP,
                [
                    ("projects/p1", ScopeKind.PROJECT),
                    ("projects/p2", ScopeKind.PROJECT),
                    ("folders/9", ScopeKind.FOLDER),
                ],
                identities=[SA],
            ),
            "gcp project(s) p1, p2:",
        ),
        (
            estate(Provider.AZURE, [("entra:t-1", ScopeKind.TENANT), ("/subscriptions/s", ScopeKind.SUBSCRIPTION)]),
            "azure tenant(s) t-1:",
        ),
    ],
    ids=["aws", "gcp", "azure"],
)
def test_the_header_names_accounts_projects_and_tenants(inventory, line):
    assert header(inventory)[0].startswith(line)


def test_people_are_counted_in_the_header_and_silent_when_there_are_none():
    grants = [
        Grant(principal_id=p, role_id="roles/owner", scope_id="projects/p1")
        for p in ("user:a@example.com", "group:ops@example.com", "user:a@example.com", "serviceAccount:x", SA.id)
    ]
    with_people = estate(Provider.GCP, [("projects/p1", ScopeKind.PROJECT)], identities=[SA], grants=grants)
    assert "People left out (counted, not judged): gcp 2" in header(with_people)
    # The near miss: only service accounts hold roles; no line about people.
    without = estate(Provider.GCP, [("projects/p1", ScopeKind.PROJECT)], identities=[SA], grants=grants[3:])
    assert not any("People" in line for line in header(without))


def test_a_scan_with_no_identity_says_nothing_was_judged():
    empty = estate(Provider.GCP, [("projects/p1", ScopeKind.PROJECT)])
    assert "No identity was found, so nothing was judged." in header(empty)
    assert not any("No identity" in line for line in header(estate(Provider.GCP, [], identities=[SA])))
