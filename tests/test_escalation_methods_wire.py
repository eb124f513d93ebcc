"""Every GCP and Azure escalation method shown through the wire, each beside its near miss.

Per cloud, one replayed estate (``tests.support.methods_world_gcp`` / ``methods_world_azure``)
is read once by the real clients against the local replay servers, then analysed; per method,
the identity holding what it needs has a hop carrying the method, and the one holding its near
miss has none.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from google.oauth2.credentials import Credentials

from standing.analysis.graph import PrivilegeGraph
from standing.analysis.methods.azure import METHODS as AZURE_METHODS
from standing.analysis.methods.gcp import METHODS as GCP_METHODS
from standing.collectors.azure import AzureScanOptions, collect_azure
from standing.collectors.azure.clients import StaticTokenCredential
from standing.collectors.gcp import GcpScanOptions, collect_gcp
from standing.core.model import Inventory
from tests.support import methods_world_azure as azure_world
from tests.support import methods_world_gcp as gcp_world
from tests.support.azure_wire import TENANT, AzureWire, AzureWireServer
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
    return methods_by_source(inventory)


def methods_by_source(inventory: Inventory) -> dict[str, set[str]]:
    """Identity -> the methods of its hops; every identity the collector read holding a grant, or
    in an ownership, is a key (so a near miss the collector dropped cannot pass unseen)."""
    found: dict[str, set[str]] = {g.principal_id: set() for g in inventory.grants}
    found.update({who: set() for t in inventory.trusts for who in (t.principal, t.target_id)})
    for hop in PrivilegeGraph(inventory).escalation_hops:
        found.setdefault(hop.source, set()).add(hop.method)
    return found


@pytest.mark.parametrize("method", sorted(gcp_world.PLAN))
def test_gcp_method_through_the_wire_and_its_near_miss(method, gcp_methods):
    assert method in gcp_methods.get(gcp_world.case(method), set())
    assert method not in gcp_methods[gcp_world.near_miss(method)]


def test_every_gcp_method_is_shown_through_the_wire():
    assert set(gcp_world.PLAN) | set(gcp_world.IN_CODE_ONLY) == {m.id for m in GCP_METHODS}
    assert not set(gcp_world.PLAN) & set(gcp_world.IN_CODE_ONLY)


@pytest.fixture(scope="module")
def azure_methods(tmp_path_factory) -> dict[str, set[str]]:
    """Service principal -> the methods of its hops, from one collect of the replayed tenant."""
    token = "methods-wire-token"
    wire = azure_world.install(AzureWire(token=token), tmp_path_factory.mktemp("azure-methods"))
    with AzureWireServer(wire) as url:
        inventory = collect_azure(
            AzureScanOptions(arm_endpoint=url, graph_endpoint=url),
            credential=StaticTokenCredential(token),
            now=lambda: datetime.fromisoformat(TENANT["as_of"]),
            sleep=lambda _: None,
        )
    return methods_by_source(inventory)


@pytest.mark.parametrize("method", sorted(azure_world.PLAN))
def test_azure_method_through_the_wire_and_its_near_miss(method, azure_methods):
    assert method in azure_methods.get(azure_world.case(method), set())
    assert method not in azure_methods[azure_world.near_miss(method)]


def test_every_azure_method_is_shown_through_the_wire():
    assert set(azure_world.PLAN) == {m.id for m in AZURE_METHODS}


def test_service_account_user_is_a_hop_only_beside_a_launcher_through_the_wire(gcp_methods):
    # Service Account User on the target alone: the collector reads it (a grant and a trust),
    # but actAs with nothing to launch is no hop
    assert gcp_methods[gcp_world.email(gcp_world.ACT_AS_ALONE)] == set()
    # with Compute Instance Admin on the target's project: an instance launched as the target
    assert "gcp-compute-001" in gcp_methods[gcp_world.email(gcp_world.ACT_AS_LAUNCHER)]
