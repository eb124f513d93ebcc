"""Which compute runs as an identity, whether it is live, and who can take it over.

One index over ``Inventory.workloads`` per graph, so risk, ``identity-unused``, the planner
and ``standing explain`` read the same answer: "Lambda function `billing-sync` in eu-west-1
runs as this role". Takeover comes from the escalation hops (``EXISTING_COMPUTE``), never
recomputed here.

Live or not: compute the provider reports as stopped, terminated, deleted or failed runs no
code now, so it does not make a role "in use"; compute in any other state, or with no state
reported, counts as live (unknown is never read as idle).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from standing.analysis.hops import Hop, HopKind
from standing.core.model import ComputeKind, Workload

if TYPE_CHECKING:
    from standing.analysis.graph import PrivilegeGraph

# What a person calls each kind of compute, for "Lambda function `x` in eu-west-1".
KIND_WORDS: dict[ComputeKind, str] = {
    ComputeKind.LAMBDA_FUNCTION: "Lambda function",
    ComputeKind.EC2_INSTANCE: "EC2 instance",
    ComputeKind.ECS_SERVICE: "ECS service",
    ComputeKind.CLOUDFORMATION_STACK: "CloudFormation stack",
    ComputeKind.GLUE_DEV_ENDPOINT: "Glue dev endpoint",
    ComputeKind.SAGEMAKER_NOTEBOOK: "SageMaker notebook instance",
    ComputeKind.CODEBUILD_PROJECT: "CodeBuild project",
    ComputeKind.EKS_POD_IDENTITY: "EKS pod identity",
    ComputeKind.GCE_INSTANCE: "Compute Engine instance",
    ComputeKind.CLOUD_RUN_SERVICE: "Cloud Run service",
    ComputeKind.CLOUD_FUNCTION: "Cloud Function",
    ComputeKind.GKE_NODE_POOL: "GKE node pool",
    ComputeKind.GKE_WORKLOAD_IDENTITY: "GKE Kubernetes service account",
    ComputeKind.AZURE_VM: "Azure VM",
    ComputeKind.APP_SERVICE: "App Service app",
    ComputeKind.FUNCTION_APP: "Function App",
    ComputeKind.AKS_CLUSTER: "AKS cluster",
    ComputeKind.AUTOMATION_ACCOUNT: "Automation account",
    ComputeKind.LOGIC_APP: "Logic App",
    ComputeKind.KEY_VAULT: "Key Vault",
}

# Provider words (lower case, any provider) for compute that runs nothing now. Matched as
# whole words of the state, so "PowerState/deallocated" and "DELETE_COMPLETE" are caught and
# "Active" is not.
_IDLE_WORDS = frozenset(
    {
        "stopped",
        "stopping",
        "terminated",
        "shutting-down",
        "deallocated",
        "deallocating",
        "deleted",
        "deleting",
        "inactive",
        "failed",
        "suspended",
        "disabled",
    }
)


def is_live(workload: Workload) -> bool:
    """Runs (or may run) code now: every state but the provider's stopped, deleted or failed ones."""
    if not workload.state:
        return True
    state = workload.state.lower().replace("_", " ").replace("/", " ")
    if state == "delete complete":  # CloudFormation: the stack is gone
        return False
    return not (_IDLE_WORDS & set(state.split()))


def describe(workload: Workload) -> str:
    """ "Lambda function `billing-sync` in eu-west-1" (names are cloud text: callers escape it)."""
    where = f" in {workload.region}" if workload.region else f" in {workload.account}"
    state = "" if is_live(workload) else f" ({workload.state})"
    return f"{KIND_WORDS[workload.kind]} `{workload.name}`{where}{state}"


class ComputeUses:
    """Workloads by the identity they run as; built once per graph."""

    def __init__(self, graph: PrivilegeGraph) -> None:
        self.graph = graph
        self._by_identity: dict[str, list[Workload]] = {}
        for workload in sorted(graph.inventory.workloads, key=lambda w: w.id):
            for identity_id in dict.fromkeys(workload.identity_ids):
                self._by_identity.setdefault(identity_id, []).append(workload)

    def running_as(self, identity_id: str) -> list[Workload]:
        """Every workload whose code runs as the identity, live or not, by id."""
        return list(self._by_identity.get(identity_id, ()))

    def live_running_as(self, identity_id: str) -> list[Workload]:
        return [w for w in self._by_identity.get(identity_id, ()) if is_live(w)]

    def takeovers_into(self, identity_id: str) -> list[Hop]:
        """Hops through existing compute into the identity: who can run code as it."""
        return [h for h in self.graph.escalation_hops if h.target == identity_id and h.kind is HopKind.EXISTING_COMPUTE]


_INDEX: WeakKeyDictionary[PrivilegeGraph, ComputeUses] = WeakKeyDictionary()


def compute_uses(graph: PrivilegeGraph) -> ComputeUses:
    """The graph's index, built on first use (a graph is analysed many times, its workloads never change)."""
    found = _INDEX.get(graph)
    if found is None:
        found = _INDEX[graph] = ComputeUses(graph)
    return found
