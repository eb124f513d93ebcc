"""What kind of workload an identity serves, when its collector could not tell.

Collectors set ``Identity.workload`` from the provider's own evidence (a workload tag, the
service an AWS role trusts, a CI issuer). For everything else the judgement is made here,
the same way for every cloud, from evidence any provider has: a ``workload`` tag, the roles
the identity holds (Vertex AI user, SageMaker full access, AzureML data scientist), and the
words of its name. Names are split into words, so "management" never reads as "agent".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from standing.core.model import Identity, Role, WorkloadKind

_TAG_KEYS = ("standing:workload", "workload")
_VALUES = frozenset(kind.value for kind in WorkloadKind)

# Fragments of role ids or names (lower case) that only a workload of that kind needs.
ROLE_HINTS: tuple[tuple[str, WorkloadKind], ...] = (
    ("roles/notebooks.", WorkloadKind.NOTEBOOK),
    ("amazonsagemakerfullaccess", WorkloadKind.TRAINING),
    ("roles/ml.", WorkloadKind.TRAINING),
    ("azureml data scientist", WorkloadKind.TRAINING),
    ("roles/aiplatform.", WorkloadKind.INFERENCE),
    ("amazonbedrock", WorkloadKind.INFERENCE),
    ("cognitive services openai", WorkloadKind.INFERENCE),
)
# Whole words of a name or display name.
NAME_HINTS: dict[str, WorkloadKind] = {
    # "agent" alone is too common (monitoring agents, build agents) to mean an AI agent;
    # it counts only beside an AI word (see _AI_WORDS).
    **dict.fromkeys(("agentic", "copilot", "mcp"), WorkloadKind.AGENT),
    **dict.fromkeys(("notebook", "notebooks", "jupyter", "workbench", "colab"), WorkloadKind.NOTEBOOK),
    **dict.fromkeys(("train", "training", "trainer", "finetune", "finetuning", "mlops"), WorkloadKind.TRAINING),
    **dict.fromkeys(
        (
            "inference",
            "llm",
            "genai",
            "openai",
            "bedrock",
            "vertex",
            "sagemaker",
            "gpt",
            "embedding",
            "embeddings",
            "rag",
        ),
        WorkloadKind.INFERENCE,
    ),
}
_WORD = re.compile(r"[a-z0-9]+")
_MOST_SPECIFIC_FIRST = (WorkloadKind.AGENT, WorkloadKind.NOTEBOOK, WorkloadKind.TRAINING, WorkloadKind.INFERENCE)
_AI_WORDS = frozenset({"ai", "llm", "genai", "gpt", "openai", "bedrock", "vertex"})


@dataclass(frozen=True)
class WorkloadJudgement:
    kind: WorkloadKind
    reason: str


def judge_workload(identity: Identity, roles: Iterable[Role]) -> WorkloadJudgement:
    if identity.workload is not WorkloadKind.UNKNOWN:
        return WorkloadJudgement(identity.workload, "from the provider's own evidence")
    for key in _TAG_KEYS:
        value = identity.tags.get(key, "").strip().lower()
        if value in _VALUES and value != WorkloadKind.UNKNOWN.value:
            return WorkloadJudgement(WorkloadKind(value), f"tag {key}={value}")
    for role in roles:
        text = f"{role.id} {role.name}".lower()
        for fragment, kind in ROLE_HINTS:
            if fragment in text:
                return WorkloadJudgement(kind, f"holds {role.name}")
    names = [identity.name, identity.tags.get("displayName", "")]
    for name in names:
        # "vertexTrainer" -> vertex trainer; "svc_llm-gateway" -> svc llm gateway
        words = _WORD.findall(re.sub(r"([a-z])([A-Z])", r"\1 \2", name.split("@", 1)[0]).lower())
        if {"agent", "agents"} & set(words) and _AI_WORDS & set(words):
            return WorkloadJudgement(WorkloadKind.AGENT, f"name {name!r} says AI agent")
        hinted = {NAME_HINTS[w]: w for w in reversed(words) if w in NAME_HINTS}
        for kind in _MOST_SPECIFIC_FIRST:  # "vertex-trainer" is training, not any inference
            if kind in hinted:
                return WorkloadJudgement(kind, f"name {name!r} says {hinted[kind]!r}")
    return WorkloadJudgement(WorkloadKind.UNKNOWN, "no evidence")
