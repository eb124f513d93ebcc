"""Azure workloads, live: the real Resource Graph client against the loopback server, paged, and denied."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from standing.collectors.azure import AzureScanOptions, collect_azure
from standing.collectors.azure.clients import StaticTokenCredential
from standing.collectors.azure.importer import Extras, import_azure
from standing.collectors.azure.operations import declared
from standing.core.errors import UserError
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


def test_the_documented_query_is_the_one_sent():
    from standing.collectors.azure.workloads import WORKLOAD_QUERY

    page = (Path(__file__).parents[3] / "docs" / "workloads.md").read_text()
    assert WORKLOAD_QUERY in page


EXPORT = Path(__file__).parents[3] / "fixtures" / "azure" / "export"


def _import(tmp_path: Path, workloads: object | None):
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    sps = EXPORT / "az-ad-sp-list.json"
    extras = Extras()
    if workloads is not None:
        path = tmp_path / "workloads.json"
        path.write_text(json.dumps(workloads))
        extras = Extras(workloads=path)
    return import_azure(
        sp_list=sps, app_list=empty, role_assignments=[empty], tenant_id=TENANT["tenant_id"], extras=extras,
        now=lambda: AS_OF,
    )  # fmt: skip


def test_az_graph_query_output_imports_the_same_workloads_and_a_missing_file_names_its_command(tmp_path):
    printed = json.loads((EXPORT / "az-graph-query-workloads.json").read_text())
    inv = _import(tmp_path, printed)
    assert sorted(w.name for w in inv.workloads) == ["aks-prod", "func-deploy", "vm-build"]
    assert next(w for w in inv.workloads if w.name == "vm-build").identity_ids == [MI_DEPLOY]
    # several pages merged into one array are read too
    assert len(_import(tmp_path, printed["data"]).workloads) == 3
    # near miss: no file, no workloads, and a gap naming the az command that writes it
    missing = _import(tmp_path, None)
    assert missing.workloads == []
    (gap,) = [g for g in missing.gaps if g.operation == "arm:resourceGraph.resources"]
    assert "az graph query" in (gap.detail or "")


def test_one_page_of_several_or_a_wrong_shape_is_refused(tmp_path):
    printed = json.loads((EXPORT / "az-graph-query-workloads.json").read_text())
    with pytest.raises(UserError, match="skip_token"):
        _import(tmp_path, {**printed, "skip_token": "ew0KICAiJGlkIjogIjEi"})
    bad = [{**printed["data"][0], "identity": {"principalId": 5}}]
    with pytest.raises(UserError, match="principalId"):
        _import(tmp_path, bad)


def test_only_the_resource_graph_query_may_be_posted():
    assert declared("POST", "/providers/Microsoft.ResourceGraph/resources").name == "arm:resourceGraph.resources"
    # near miss: a POST anywhere else (an action, a write) is no declared read; nor a GET of the query path
    assert declared("POST", f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleAssignments") is None
    assert declared("PUT", "/providers/Microsoft.ResourceGraph/resources") is None
    assert declared("GET", "/providers/Microsoft.ResourceGraph/resources") is None
