"""The compute of one project that runs as service accounts, read with the discovery clients.

One listing per API and project, across every zone or region at once (``aggregatedList``,
location ``-``), so a project costs four calls plus pages whatever its size. Each listing is
kept as the API returns it (bundle keys ``instances``, ``runServices``, ``functions``,
``clusters``); ``workloads`` turns them into records. A denied listing, or an API the project
has not enabled (Google answers 403 for both), is a coverage gap naming the method, and the
other listings go on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from standing.collectors.gcp.paging import pages

if TYPE_CHECKING:
    from standing.collectors.gcp.fetch import CoverageLog, GcpClients

WORKLOAD_KEYS = ("instances", "runServices", "functions", "clusters")


def _aggregated(request: Any, next_page: Callable[[Any, Any], Any]) -> list[dict[str, Any]]:
    """``aggregatedList`` answers ``{"items": {"zones/z": {"instances": [...]}}}``, page by page."""
    found: list[dict[str, Any]] = []
    while request is not None:
        response = request.execute()
        for scoped in (response.get("items") or {}).values():
            found.extend(scoped.get("instances", []))
        request = next_page(request, response)
    return found


def fetch_workloads(clients: GcpClients, project_id: str, log: CoverageLog) -> dict[str, list[Any]]:
    scope = f"projects/{project_id}"
    everywhere = f"{scope}/locations/-"
    instances = clients.discovery("compute").instances()
    clusters = clients.discovery("container").projects().locations().clusters()

    def regional(api: str, version: str, collection: str, method: str) -> list[Any]:
        """A v2 listing of every region at once, page by page (Cloud Run services, functions)."""
        coll = getattr(clients.discovery(api, version).projects().locations(), collection)()
        found = log.attempt(
            scope,
            method,
            lambda: pages(
                coll.list(parent=everywhere),
                lambda r, p: coll.list_next(previous_request=r, previous_response=p),
                collection,
            ),
        )
        return found or []

    return {
        "instances": log.attempt(
            scope,
            "compute:instances.aggregatedList",
            lambda: _aggregated(
                instances.aggregatedList(project=project_id),
                lambda r, p: instances.aggregatedList_next(previous_request=r, previous_response=p),
            ),
        )
        or [],
        "runServices": regional("run", "v2", "services", "run:projects.locations.services.list"),
        "functions": regional("cloudfunctions", "v2", "functions", "cloudfunctions:projects.locations.functions.list"),
        "clusters": log.attempt(
            scope,
            "container:projects.locations.clusters.list",
            lambda: clusters.list(parent=everywhere).execute().get("clusters", []),
        )
        or [],
    }
