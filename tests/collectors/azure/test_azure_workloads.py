"""Azure workloads, live: the real Resource Graph client against the loopback server, paged, and denied."""

from __future__ import annotations

from datetime import datetime

from standing.collectors.azure import AzureScanOptions, collect_azure
from standing.collectors.azure.clients import StaticTokenCredential
from standing.core.model import ComputeKind, CoverageStatus
from tests.support.azure_wire import TENANT, AzureWire, AzureWireServer

AS_OF = datetime.fromisoformat(TENANT["as_of"])
TOKEN = "workloads-test-token"
SUB = TENANT["subscriptions"]["prod"]
MI_DEPLOY = TENANT["service_principals"]["mi-deploy"]


def scan(wire: AzureWire):
    with AzureWireServer(wire) as url:
        return collect_azure(
            AzureScanOptions(arm_endpoint=url, graph_endpoint=url),
            credential=StaticTokenCredential(TOKEN),
            now=lambda: AS_OF,
            sleep=lambda _: None,
        )


def test_one_paged_resource_graph_query_lists_compute_with_the_identities_it_runs_as():
    wire = AzureWire(token=TOKEN)
    inv = scan(wire)
    found = {w.name: w for w in inv.workloads}
    # a function app with no identity runs as nobody: left out
    assert sorted(found) == ["aks-prod", "func-deploy", "vm-build"]
    vm, func, aks = found["vm-build"], found["func-deploy"], found["aks-prod"]
    assert vm.kind is ComputeKind.AZURE_VM and vm.account == SUB and vm.region == "westeurope"
    # the user-assigned identity is named as the collector names its service principal
    assert vm.identity_ids == [MI_DEPLOY] and any(i.id == MI_DEPLOY for i in inv.identities)
    assert vm.attributes == {"identity_type": "UserAssigned", "os_type": "Linux", "power_state": "PowerState/running"}
    assert vm.id == f"/subscriptions/{SUB}/resourcegroups/rg-apps/providers/microsoft.compute/virtualmachines/vm-build"
    # system- and user-assigned together; the kind text decides function app over web app
    assert func.kind is ComputeKind.FUNCTION_APP
    assert func.identity_ids == sorted([MI_DEPLOY, "5b0c9a52-0000-4000-8000-00000000f001"])
    assert func.state == "Running" and func.attributes["https_only"] == "false"
    # AKS: the control plane's identity and the kubelet's (what the nodes run as)
    assert aks.kind is ComputeKind.AKS_CLUSTER
    assert "5b0c9a52-0000-4000-8000-00000000f003" in aks.identity_ids
    assert aks.attributes["workload_identity"] == "true" and aks.attributes["local_accounts"] == "true"
    # one query, two pages: the second asks with the first's $skipToken
    posts = [c for c in wire.calls if c.method == "POST"]
    assert [c.path for c in posts] == ["/providers/Microsoft.ResourceGraph/resources"] * 2
    statuses = {c.status for c in inv.coverage if c.operation == "arm:resourceGraph.resources"}
    assert statuses == {CoverageStatus.OK}


def test_a_denied_query_is_a_gap_and_the_identities_stay():
    wire = AzureWire(token=TOKEN, forbidden_prefixes=["/providers/Microsoft.ResourceGraph"])
    inv = scan(wire)
    assert inv.workloads == []
    gaps = [c for c in inv.coverage if c.operation == "arm:resourceGraph.resources"]
    assert [g.status for g in gaps] == [CoverageStatus.DENIED]
    assert "AuthorizationFailed" in (gaps[0].detail or "")
    assert any(i.id == MI_DEPLOY for i in inv.identities)
