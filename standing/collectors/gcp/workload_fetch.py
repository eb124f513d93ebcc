"""The compute of one project that runs as service accounts, read with the discovery clients.

One listing per API and project, across every zone or region at once (``aggregatedList``,
location ``-``), so a project costs four calls plus pages whatever its size. Each listing is
kept as the API returns it (bundle keys ``instances``, ``runServices``, ``functions``,
``clusters``); ``workloads`` turns them into records. A denied listing, or an API the project
has not enabled (Google answers 403 for both), is a coverage gap naming the method, and the
other listings go on; so is an answer that names locations it could not reach (what it did
return is kept).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from standing.core.model import CoverageStatus

if TYPE_CHECKING:
    from standing.collectors.gcp.fetch import CoverageLog, GcpClients

WORKLOAD_KEYS = ("instances", "runServices", "functions", "clusters")


def _walk(
    request: Any,
    next_page: Callable[[Any, Any], Any] | None,
    items_of: Callable[[dict[str, Any]], list[dict[str, Any]]],
    missing: str,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Every item over all pages, and the locations the answer says it could not reach
    (``unreachable``, ``unreachables``, ``missingZones``): what they hold was not read."""
    items: list[dict[str, Any]] = []
    unreached: list[str] = []
    while request is not None:
        response = request.execute()
        items.extend(items_of(response))
        unreached.extend(str(u) for u in response.get(missing) or [])
        request = next_page(request, response) if next_page is not None else None
    return items, unreached


def _zones(response: dict[str, Any]) -> list[dict[str, Any]]:
    """``aggregatedList`` answers ``{"items": {"zones/z": {"instances": [...]}}}``."""
    return [i for scoped in (response.get("items") or {}).values() for i in scoped.get("instances", [])]


def fetch_workloads(clients: GcpClients, project_id: str, log: CoverageLog) -> dict[str, list[Any]]:
    scope = f"projects/{project_id}"
    everywhere = f"{scope}/locations/-"
    instances = clients.discovery("compute").instances()
    clusters = clients.discovery("container").projects().locations().clusters()

    def listing(method: str, read: Callable[[], tuple[list[dict[str, Any]], list[str]]]) -> list[dict[str, Any]]:
        found = log.attempt(scope, method, read)
        if found is None:
            return []
        items, unreached = found
        if unreached:
            log.record(
                scope,
                method,
                CoverageStatus.FAILED,
                f"unreachable: {', '.join(sorted(set(unreached))[:10])}; the compute there was not read",
            )
        return items

    def regional(api: str, collection: str, method: str) -> list[dict[str, Any]]:
        """A v2 listing of every region at once (Cloud Run services, functions)."""
        coll = getattr(clients.discovery(api, "v2").projects().locations(), collection)()
        return listing(
            method,
            lambda: _walk(
                coll.list(parent=everywhere),
                lambda r, p: coll.list_next(previous_request=r, previous_response=p),
                lambda response: response.get(collection, []),
                "unreachable",
            ),
        )

    return {
        "instances": listing(
            "compute:instances.aggregatedList",
            lambda: _walk(
                instances.aggregatedList(project=project_id),
                lambda r, p: instances.aggregatedList_next(previous_request=r, previous_response=p),
                _zones,
                "unreachables",
            ),
        ),
        "runServices": regional("run", "services", "run:projects.locations.services.list"),
        "functions": regional("cloudfunctions", "functions", "cloudfunctions:projects.locations.functions.list"),
        "clusters": listing(
            "container:projects.locations.clusters.list",
            lambda: _walk(
                clusters.list(parent=everywhere), None, lambda response: response.get("clusters", []), "missingZones"
            ),
        ),
    }
