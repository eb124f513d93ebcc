"""Every GCP escalation method shown through the wire, each beside its near miss.

One replayed organization (``tests.support.methods_world_gcp``) is read once by the real Google
clients against the local replay servers, then analysed; per method, the account holding what
it needs has a hop carrying the method, and the account holding its near miss has none.
"""

from __future__ import annotations

import pytest
from google.oauth2.credentials import Credentials

from standing.analysis.graph import PrivilegeGraph
from standing.analysis.methods.gcp import METHODS as GCP_METHODS
from standing.collectors.gcp import GcpScanOptions, collect_gcp
from tests.support import methods_world_gcp as gcp_world
from tests.support.gcp_wire import GcpWire
from tests.test_gcp_end_to_end import AS_OF


@pytest.fixture(scope="module")
def gcp_methods() -> dict[str, set[str]]:
    """Account -> the methods of its hops, from one collect of the replayed organization."""
    routes, responses = gcp_world.world()
    with GcpWire(routes) as wire:
        wire.grpc.responses = responses
        options = GcpScanOptions(
            organization=gcp_world.ORG, max_workers=3, api_endpoint=wire.http.url, grpc_endpoint=wire.grpc.target
        )
        inventory = collect_gcp(options, credentials=Credentials(token="test-token"), now=lambda: AS_OF)
    found: dict[str, set[str]] = {}
    for hop in PrivilegeGraph(inventory).escalation_hops:
        found.setdefault(hop.source, set()).add(hop.method)
    return found


@pytest.mark.parametrize("method", sorted(gcp_world.PLAN))
def test_gcp_method_through_the_wire_and_its_near_miss(method, gcp_methods):
    assert method in gcp_methods.get(gcp_world.case(method), set())
    assert method not in gcp_methods.get(gcp_world.near_miss(method), set())


def test_every_gcp_method_is_shown_through_the_wire():
    assert set(gcp_world.PLAN) | set(gcp_world.IN_CODE_ONLY) == {m.id for m in GCP_METHODS}
    assert not set(gcp_world.PLAN) & set(gcp_world.IN_CODE_ONLY)
