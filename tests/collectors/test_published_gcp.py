"""Google's own published example of an IAM policy, replayed to the GCP collector.

``google.iam.v1.Policy`` is what every ``getIamPolicy`` the collector calls returns
(Resource Manager for the organization, folders and projects over REST; IAM for a service
account over gRPC). Google publishes one JSON example of it, in the message's reference
comment in ``googleapis/googleapis`` (provenance in the fixture and PROVENANCE.md). The
fixture organization of ``tests/support/gcp_wire.py`` is scanned with that example as the
answer of one policy read, through the real client libraries, and the grants must be
exactly the example's bindings. Google publishes no example response for the other reads
(service accounts, keys, pools, activities, org policies, and the compute listings of
``Inventory.workloads``: instances, Cloud Run services, functions, GKE clusters): see
PROVENANCE.md, which names the discovery-schema tests that hold those fixtures instead.
"""

from __future__ import annotations

from typing import Any

import pytest
from google.oauth2.credentials import Credentials

from standing.collectors.gcp import GcpScanOptions, collect_gcp
from standing.core.model import GrantDuration, Inventory
from tests.support.gcp_wire import GcpWire, http_routes
from tests.support.published import body
from tests.test_gcp_end_to_end import AS_OF

POLICY = body("gcp", "iam-v1-policy-json-example")
ORG = "organizations/123456789012"
SA = "projects/acme-dev/serviceAccounts/ci-deployer@acme-dev.iam.gserviceaccount.com"
EXAMPLE_GRANTS = {
    ("my-other-app@appspot.gserviceaccount.com", "roles/owner"),  # a service account: lower-cased email
    ("user:mike@example.com", "roles/owner"),
    ("group:admins@example.com", "roles/owner"),
    ("domain:google.com", "roles/owner"),
    ("user:sean@example.com", "roles/viewer"),
}


def scan(routes: dict[str, Any] | None = None, grpc_policies: dict[str, Any] | None = None) -> Inventory:
    with GcpWire(routes) as wire:
        for resource, policy in (grpc_policies or {}).items():
            wire.grpc.responses["GetIamPolicy"][resource] = {"": policy}
        options = GcpScanOptions(
            organization=ORG, max_workers=2, api_endpoint=wire.http.url, grpc_endpoint=wire.grpc.target
        )
        return collect_gcp(options, credentials=Credentials(token="test-token"), now=lambda: AS_OF)


def grants_on(inv: Inventory, scope: str) -> set[tuple[str, str]]:
    assert all(g.duration is GrantDuration.STANDING for g in inv.grants if g.scope_id == scope)
    return {(g.principal_id, g.role_id) for g in inv.grants if g.scope_id == scope}


@pytest.mark.parametrize(
    ("route", "scope"),
    [
        ("POST /v3/projects/acme-dev:getIamPolicy", "projects/acme-dev"),
        (f"POST /v3/{ORG}:getIamPolicy", ORG),
    ],
)
def test_published_policy_example_becomes_exactly_its_bindings(route, scope):
    routes = http_routes()
    routes[route] = {"pages": {"": POLICY}}
    inv = scan(routes)
    assert grants_on(inv, scope) == EXAMPLE_GRANTS


def test_published_policy_example_on_a_service_account_over_grpc():
    inv = scan(grpc_policies={SA: POLICY})
    assert grants_on(inv, SA) == EXAMPLE_GRANTS


def test_the_example_s_people_and_outside_account_are_not_made_workloads_of_this_organization():
    routes = http_routes()
    routes["POST /v3/projects/acme-dev:getIamPolicy"] = {"pages": {"": POLICY}}
    with_example = {i.id for i in scan(routes).identities}
    assert with_example == {i.id for i in scan().identities}  # the same service accounts as without it
    assert not {p for p, _ in EXAMPLE_GRANTS} & with_example
