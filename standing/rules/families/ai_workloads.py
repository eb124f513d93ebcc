"""AI workloads (training, notebooks, inference, agents) with standing access."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from standing.analysis.graph import PrivilegeGraph
from standing.core.facts import is_nhi
from standing.core.findings import Severity
from standing.core.model import Provider, WorkloadKind
from standing.rules.engine import Hit, Rule

AI_WORKLOADS = frozenset({WorkloadKind.TRAINING, WorkloadKind.NOTEBOOK, WorkloadKind.INFERENCE, WorkloadKind.AGENT})
# Invoking any model or endpoint: what a stolen credential is used for in LLMjacking.
MODEL_INVOCATION = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream", "sagemaker:InvokeEndpoint")


class AiWorkloadStandingAccess(Rule):
    """An AI workload that holds a static key, or may invoke any model.

    Agents, notebooks and training jobs run briefly and often act on untrusted input; a
    static key or a standing ``bedrock:InvokeModel`` on ``*`` outlives every run and is what
    attackers resell (LLMjacking). Give each run or tool call short-lived, scoped credentials
    and name the models it may invoke.
    """

    id = "ai-workload-standing-access"
    title = "AI workload with a static key or model invocation on every resource"
    severity = Severity.HIGH

    def evaluate(self, graph: PrivilegeGraph, params: object, now: datetime) -> Iterable[Hit]:
        for identity in graph.identities():
            if not is_nhi(identity):
                continue
            workload = graph.workload_of(identity.id)
            if workload.kind not in AI_WORKLOADS:
                continue
            secrets = graph.standing_secrets_of(identity.id)
            invoke = self._invocation_on_everything(graph, identity.id) if identity.provider is Provider.AWS else []
            if not secrets and not invoke:
                continue
            problems = []
            if secrets:
                problems.append(f"holds long-lived secret(s) {', '.join(secrets)}")
            if invoke:
                problems.append(f"may call {', '.join(invoke)} on any model or endpoint")
            yield Hit(
                identity=identity,
                message=f"{workload.kind.value} workload {identity.name} " + " and ".join(problems),
                evidence={
                    "workload": workload.kind.value,
                    "workload_evidence": workload.reason,
                    "long_lived_secrets": secrets,
                    "model_invocation_on_any_resource": invoke,
                },
            )

    @staticmethod
    def _invocation_on_everything(graph: PrivilegeGraph, identity_id: str) -> list[str]:
        policy = graph.aws_policy_set(identity_id)
        return [a for a in MODEL_INVOCATION if policy.allows(a, "*") is not None]
