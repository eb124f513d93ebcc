"""What analysis knows about each cloud, in one profile per ``Provider``.

A profile names how the provider's privilege is judged and which of its grants reach
sensitive data. Code that needs a provider's own judgement asks ``profile(provider)``; a
provider with no profile is an error, never a silent "nothing to see". Adding a provider
means adding its profile here (and the planner's in ``standing.planner.providers``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from standing.analysis import privilege_azure, privilege_gcp
from standing.analysis.privilege import PrivilegeAssessment
from standing.analysis.sensitive import aws_sensitive, azure_sensitive, gcp_sensitive
from standing.core.model import Grant, Identity, Provider, Role

if TYPE_CHECKING:
    from standing.analysis.graph import PrivilegeGraph

Assessor = Callable[[Sequence[tuple[Grant, Role]]], PrivilegeAssessment]
SensitiveJudge = Callable[["PrivilegeGraph", Identity], frozenset[str]]


class UnknownProvider(LookupError):
    """A provider this version has no profile for: a programming error, not bad input."""


@dataclass(frozen=True)
class AnalysisProfile:
    provider: Provider
    # The judge of the provider's roles: it receives an identity's standing (grant, role)
    # pairs and returns one assessment (the grant's scope matters: Owner of one resource group
    # is not Owner of the tenant). None: privilege is read from IAM policy documents, which
    # the graph parses once per policy and caps by a permissions boundary (AWS).
    assess: Assessor | None
    # Which kinds of sensitive data (``sensitive.KINDS``) an identity's standing grants reach.
    sensitive: SensitiveJudge


_PROFILES = {
    Provider.AWS: AnalysisProfile(Provider.AWS, assess=None, sensitive=aws_sensitive),
    Provider.GCP: AnalysisProfile(Provider.GCP, assess=privilege_gcp.assess, sensitive=gcp_sensitive),
    Provider.AZURE: AnalysisProfile(Provider.AZURE, assess=privilege_azure.assess, sensitive=azure_sensitive),
}


def profile(provider: Provider) -> AnalysisProfile:
    try:
        return _PROFILES[provider]
    except KeyError:
        raise UnknownProvider(
            f"no analysis profile for provider {provider!r}: add one to standing/analysis/providers.py"
        ) from None


def sensitive_kinds(graph: PrivilegeGraph, identity: Identity) -> frozenset[str]:
    """Kinds of sensitive data the identity's standing grants reach, judged by its provider's profile."""
    return profile(identity.provider).sensitive(graph, identity)
