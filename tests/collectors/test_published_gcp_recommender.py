"""Google's own published IAM role recommendations, replayed through ``google-cloud-recommender``.

No repository holds an example of a ``google.iam.policy.Recommender`` recommendation; Google's
documentation pages do (provenance in each fixture and in PROVENANCE.md): the "Review and apply
role recommendations" page's gcloud output, and the Security Operations Recommender
integration page's action results. Each is served as the ``recommendations`` of one project's
``recommendations.list`` and read by the collector through the real client library over REST,
exactly as a live scan reads it; the gcloud output is also imported as the file it is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from google.oauth2.credentials import Credentials

from standing.collectors.gcp import GcpScanOptions, ImportFiles, collect_gcp, import_gcp
from standing.core.model import CoverageStatus, Inventory, RoleReplacement, UsageSource
from tests.support.gcp_wire import GcpWire, http_routes
from tests.support.published import body
from tests.test_gcp_end_to_end import AS_OF, IMPORTS

ROUTE = "GET /v1/projects/acme-dev/locations/global/recommenders/google.iam.policy.Recommender/recommendations"
LIST = "recommender:projects.locations.recommenders.recommendations.list"


def replay(recommendations: list[Any]) -> Inventory:
    routes = http_routes()
    routes[ROUTE] = {"pages": {"": {"recommendations": recommendations}}}
    with GcpWire(routes) as wire:
        options = GcpScanOptions(projects=("acme-dev",), api_endpoint=wire.http.url, grpc_endpoint=wire.grpc.target)
        return collect_gcp(options, credentials=Credentials(token="test-token"), now=lambda: AS_OF)


def listing(inventory: Inventory) -> str:
    [entry] = [c for c in inventory.coverage if c.operation == LIST]
    assert entry.status is CoverageStatus.OK and entry.scope == "projects/acme-dev"
    return entry.detail or ""


def test_the_published_remove_role_for_a_service_account_is_its_usage_record():
    inventory = replay(body("gcp", "recommender-v1-secops-get-recommendation"))
    [record] = inventory.usage
    assert record.identity_id == "service_account_id.iam.gserviceaccount.com"  # the page's placeholder, lower-cased
    assert record.source is UsageSource.GCP_RECOMMENDER and record.window_days == 90
    assert record.observed_at.isoformat() == "2023-07-28T07:00:00+00:00"
    # REMOVE_ROLE: nothing replaces it
    assert record.replacements == [
        RoleReplacement(
            scope_id="projects/PROJECT_ID", role_id="roles/monitoring.admin", replace_with=[], recommendation_id="name"
        )
    ]
    assert listing(inventory) == "1 active role recommendation: 1 for service accounts, 0 for people (left out)"


def test_the_published_applied_replacements_for_a_user_are_no_evidence():
    """Near miss: REPLACE_ROLE with its add and remove, but applied (SUCCEEDED) and for a person."""
    published = body("gcp", "recommender-v1-secops-applied-recommendations")
    assert [r["stateInfo"]["state"] for r in published["applied_recommendations"]] == ["SUCCEEDED", "SUCCEEDED"]
    inventory = replay(published["applied_recommendations"])
    assert inventory.usage == []
    assert listing(inventory) == "0 active role recommendations: 0 for service accounts, 0 for people (left out)"


def test_the_review_page_s_example_spells_path_filters_as_the_api_does_not_and_names_no_binding():
    """The page writes ``pathFilter``; the client reads the API's ``pathFilters`` and drops the
    unknown field, so the recommendation names no member or role: counted as unread, never guessed."""
    published = body("gcp", "recommender-v1-list-remove-role-gcloud")
    [operation] = published[0]["content"]["operationGroups"][0]["operations"]
    assert "pathFilter" in operation and "pathFilters" not in operation
    inventory = replay(published)
    assert inventory.usage == []
    assert listing(inventory) == (
        "1 active role recommendation: 0 for service accounts, 0 for people (left out), 1 naming no binding (left out)"
    )


def test_the_review_page_s_gcloud_output_imports_as_the_live_read_gives_it(tmp_path: Path):
    published = body("gcp", "recommender-v1-list-remove-role-gcloud")
    export = tmp_path / "recommendations.json"
    export.write_text(json.dumps(published))
    imported = import_gcp(
        ImportFiles(service_accounts=(IMPORTS / "service-accounts.json",), recommendations=(export,)), now=lambda: AS_OF
    )
    assert imported.usage == replay(published).usage == []
    assert not [g for g in imported.gaps if g.operation == LIST]
