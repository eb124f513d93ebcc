"""Each cloud's knowledge is one profile looked up by ``Provider``; a provider without one fails loudly."""

from __future__ import annotations

import pytest

from standing.analysis import providers as analysis_providers
from standing.analysis import sensitive
from standing.analysis.graph import PrivilegeGraph
from standing.core.model import Provider
from standing.planner import providers as planner_providers
from tests.planner.cases import CASES, plans_of
from tests.planner.cases import _azure_pim as azure_estate
from tests.planner.cases import _gcp_pam as gcp_estate


@pytest.mark.parametrize("provider", list(Provider))
def test_every_provider_has_an_analysis_and_a_planner_profile(provider):
    assert analysis_providers.profile(provider).provider is provider
    assert planner_providers.profile(provider).provider is provider


@pytest.mark.parametrize("lookup", [analysis_providers.profile, planner_providers.profile])
def test_an_unknown_provider_is_an_error_naming_it(lookup):
    with pytest.raises(LookupError, match=r"no (analysis|planner) profile for provider 'oci': add one to standing/"):
        lookup("oci")


def test_analysis_without_a_profile_for_the_provider_fails_instead_of_judging_nothing(monkeypatch):
    inventory = gcp_estate()
    monkeypatch.delitem(analysis_providers._PROFILES, Provider.GCP)
    graph = PrivilegeGraph(inventory)
    with pytest.raises(analysis_providers.UnknownProvider, match="gcp"):
        graph.privilege_of(inventory.identities[0].id)


def test_planning_without_a_profile_for_the_provider_fails_instead_of_planning_for_another_cloud(monkeypatch):
    inventory = azure_estate()
    monkeypatch.delitem(planner_providers._PROFILES, Provider.AZURE)
    with pytest.raises(planner_providers.UnknownProvider, match="azure"):
        plans_of(inventory)


def test_every_provider_judges_the_same_kinds_of_sensitive_data():
    assert (
        set(sensitive.AWS_ACTIONS) == set(sensitive.GCP_ROLES) == set(sensitive.GCP_PERMISSIONS) == set(sensitive.KINDS)
    )
    assert set(sensitive.AZURE_ACTIONS) == set(sensitive.AZURE_DATA_ACTIONS) == set(sensitive.KINDS)


def test_every_agent_pattern_is_a_planned_case():
    assert {planner_providers.profile(p).agent_pattern for p in Provider} <= set(CASES)
