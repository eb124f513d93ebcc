"""GCP compute that runs as service accounts: read from the APIs and from gcloud files alike."""

from __future__ import annotations

import json

import pytest
from google.oauth2.credentials import Credentials

from standing.collectors.gcp import GcpScanOptions, ImportFiles, collect_gcp, import_gcp
from standing.core.errors import UserError
from standing.core.model import ComputeKind
from tests.support.gcp_wire import FIXTURES, GcpWire, http_routes
from tests.test_gcp_end_to_end import AS_OF, COMPUTE, sa

IMPORTS = FIXTURES / "import"
DEV_COMPUTE = "1002-compute@developer.gserviceaccount.com"


def clock():
    return AS_OF


@pytest.fixture(scope="module")
def scanned():
    with GcpWire() as wire:
        options = GcpScanOptions(
            organization="123456789012", max_workers=3, api_endpoint=wire.http.url, grpc_endpoint=wire.grpc.target
        )
        return collect_gcp(options, credentials=Credentials(token="test-token"), now=clock)


COMPLETE = {
    "asset_search": (IMPORTS / "asset-search.json",),
    "service_accounts": (IMPORTS / "service-accounts.json",),
    "compute_instances": (IMPORTS / "compute-instances.json",),
    "run_services": (IMPORTS / "run-services.json",),
    "functions": (IMPORTS / "functions.json",),
    "container_clusters": (IMPORTS / "container-clusters.json",),
}


def files(**changed: tuple) -> ImportFiles:
    """The estate's files (policies, accounts and every compute listing), some replaced."""
    return ImportFiles(**{**COMPLETE, **changed})


def runs_as(inventory) -> dict[str, tuple[ComputeKind, tuple[str, ...]]]:
    return {w.id: (w.kind, tuple(w.identity_ids)) for w in inventory.workloads}


def test_every_kind_of_compute_is_listed_with_the_account_it_runs_as(scanned):
    assert runs_as(scanned) == {
        # two zones on two pages of the aggregated listing
        "//compute.googleapis.com/projects/acme-prod/zones/us-central1-a/instances/web-1": (
            ComputeKind.GCE_INSTANCE,
            (COMPUTE,),
        ),
        "//compute.googleapis.com/projects/acme-prod/zones/europe-west1-b/instances/batch-1": (
            ComputeKind.GCE_INSTANCE,
            (sa("object-reader"),),
        ),
        "//run.googleapis.com/projects/acme-prod/locations/us-central1/services/api": (
            ComputeKind.CLOUD_RUN_SERVICE,
            (sa("forever-key"),),
        ),
        # no account set: Cloud Run runs it as the project's default compute account
        "//run.googleapis.com/projects/acme-prod/locations/europe-west1/services/worker": (
            ComputeKind.CLOUD_RUN_SERVICE,
            (COMPUTE,),
        ),
        "//cloudfunctions.googleapis.com/projects/acme-dev/locations/us-central1/functions/hook": (
            ComputeKind.CLOUD_FUNCTION,
            (sa("gh-pinned", "acme-dev"),),
        ),
        # `serviceAccount: default` is the default compute account of the cluster's project
        "//container.googleapis.com/projects/acme-dev/locations/us-central1/clusters/dev-cluster/nodePools/default-pool": (
            ComputeKind.GKE_NODE_POOL,
            (DEV_COMPUTE,),
        ),
        "//container.googleapis.com/projects/acme-dev/locations/us-central1/clusters/dev-cluster/nodePools/builders": (
            ComputeKind.GKE_NODE_POOL,
            (sa("ci-deployer", "acme-dev"),),
        ),
        # roles/iam.workloadIdentityUser on ci-deployer for the Kubernetes account ci/runner
        "acme-dev.svc.id.goog[ci/runner]": (ComputeKind.GKE_WORKLOAD_IDENTITY, (sa("ci-deployer", "acme-dev"),)),
    }


def test_attributes_say_what_decides_a_takeover(scanned):
    by_name = {w.name: w for w in scanned.workloads}
    assert by_name["web-1"].attributes["cloud_platform_scope"] == "true"
    assert by_name["batch-1"].attributes["cloud_platform_scope"] == "false"  # near miss: storage read only
    assert by_name["web-1"].attributes["os_login"] == "true" and by_name["web-1"].region == "us-central1-a"
    assert by_name["worker"].attributes["default_service_account"] == "true"
    assert by_name["api"].attributes["default_service_account"] == "false"
    assert by_name["dev-cluster/builders"].attributes["workload_metadata"] == "GCE_METADATA"
    assert by_name["dev-cluster/default-pool"].attributes["workload_metadata"] == "GKE_METADATA"
    assert by_name["hook"].attributes["build_service_account"] == sa("gh-pinned", "acme-dev")
    assert by_name["ci/runner"].attributes["workload_pool"] == "acme-dev.svc.id.goog"


def test_a_denied_or_disabled_api_is_a_gap_and_the_other_projects_compute_is_kept(scanned):
    gaps = {(c.scope, c.operation): c.detail for c in scanned.coverage if c.status != "ok"}
    assert (
        "has not been used in project 1003 before or it is disabled"
        in gaps[("projects/acme-locked", "run:projects.locations.services.list")]
    )
    assert ("projects/acme-locked", "compute:instances.aggregatedList") in gaps
    assert not any(w.account == "acme-locked" for w in scanned.workloads) and len(scanned.workloads) == 8


def test_gcloud_files_give_the_same_workloads_as_the_apis(scanned):
    imported = import_gcp(files(), now=clock)

    def facts(inventory):
        return {(w.id, w.kind, tuple(w.identity_ids), w.account, w.region, tuple(sorted(w.attributes.items())))
                for w in inventory.workloads}  # fmt: skip

    assert facts(imported) == facts(scanned)
    assert not {c.operation for c in imported.coverage} & {"compute:instances.aggregatedList"}


def test_a_compute_file_not_given_is_a_gap_naming_its_gcloud_command():
    imported = import_gcp(files(functions=()), now=clock)
    gaps = {(c.scope, c.operation): c.detail for c in imported.coverage}
    assert (
        "`gcloud functions list --project=acme-dev --format=json` (--from-functions)"
        in gaps[("projects/acme-dev", "cloudfunctions:projects.locations.functions.list")]
    )
    assert ("projects/acme-dev", "compute:instances.aggregatedList") not in gaps  # near miss: that file was given
    assert ComputeKind.CLOUD_FUNCTION not in {w.kind for w in imported.workloads}


def test_a_malformed_compute_file_is_refused_naming_the_field(tmp_path):
    bad = tmp_path / "instances.json"
    bad.write_text(json.dumps([{"name": "x", "selfLink": "https://x/projects/p/zones/z/instances/x",
                                "serviceAccounts": [{"email": 3}]}]))  # fmt: skip
    with pytest.raises(UserError, match=r"serviceAccounts\[0\]\.email"):
        import_gcp(files(compute_instances=(bad,)), now=clock)


def test_the_scanned_default_compute_account_reaches_an_owner_through_compute(scanned):
    from standing.analysis.graph import PrivilegeGraph

    graph = PrivilegeGraph(scanned)
    to_owner = {h.method: h.reason for h in graph.escalation_hops if (h.source, h.target) == (COMPUTE, sa("owner-sa"))}
    # Editor on acme-prod holds actAs, compute.instances.create and setServiceAccount there, and
    # the scan saw instances in acme-prod to switch
    assert set(to_owner) == {"gcp-compute-001", "gcp-compute-002"}
    assert "roles/editor on projects/acme-prod grants compute.instances.create" in to_owner["gcp-compute-001"]
    assert [h.target for h in graph.paths_to_admin[COMPUTE]] == [sa("owner-sa")]
    # near miss: Viewer on the same project launches nothing
    assert sa("clean-control") not in graph.paths_to_admin


def test_locations_a_listing_could_not_reach_are_a_gap_and_what_it_returned_is_kept():
    routes = http_routes()
    route = "GET /v2/projects/acme-dev/locations/-/functions"
    routes[route]["pages"][""]["unreachable"] = ["projects/acme-dev/locations/asia-east1"]
    with GcpWire(routes) as wire:
        options = GcpScanOptions(projects=("acme-dev",), api_endpoint=wire.http.url, grpc_endpoint=wire.grpc.target)
        inventory = collect_gcp(options, credentials=Credentials(token="test-token"), now=clock)
    gaps = {(g.scope, g.operation): g.detail for g in inventory.gaps}
    assert "asia-east1" in gaps[("projects/acme-dev", "cloudfunctions:projects.locations.functions.list")]
    assert "hook" in {w.name for w in inventory.workloads}  # the function it did return
    # near miss: the clusters listing reached every location, so it is no gap
    assert ("projects/acme-dev", "container:projects.locations.clusters.list") not in gaps
