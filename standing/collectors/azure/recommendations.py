"""Entra's directory recommendations: the app credentials Microsoft Entra itself reports unused.

Entra's recommendation service checks a tenant daily. Its ``staleAppCreds`` recommendation
("Remove unused credentials from applications") lists, as impacted resources, the secrets and
certificates of apps and service principals not used in the past 30 days (expired ones are
left out). That is the provider's own word on a credential's use, cited beside the tool's
judgement. It is read where readable: the beta ``/directory/recommendations`` API needs
``DirectoryRecommendations.Read.All`` and this recommendation a Microsoft Entra Workload ID
licence, so a 403 is a skipped read with a note, as for the sign-in reports, never a failed scan.

Only what is still open counts: a recommendation or impacted resource whose ``status`` is not
``active`` (``dismissed``, ``postponed``, ``completedByUser``, ``completedBySystem``) says
nothing about today: Entra completes a resource once its credential expired or was removed,
and a person's dismissal is a decision, not a fact of use. The expiry recommendations
(``applicationCredentialExpiry``, ``servicePrincipalKeyExpiry``) are not read: each
credential's own end date already is.

``fetch_credential_recommendations`` makes the reads; ``unused_credentials`` (pure) reads which
credential key ids they name. Imports nothing of the SDK on load, so ``normalize`` stays SDK-free.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from standing.collectors.azure.operations import operation
from standing.collectors.azure.raw import TENANT_SCOPE
from standing.core.model import CoverageStatus

if TYPE_CHECKING:
    from standing.collectors.azure.clients import GraphReader
    from standing.collectors.azure.fetch import CoverageLog

UNUSED_CREDENTIALS = "staleAppCreds"
UNUSED_WINDOW_DAYS = 30  # "not used in the past 30 days", Entra's own definition of unused
SOURCE = f"entra-recommendation:{UNUSED_CREDENTIALS}"
ACTIVE = "active"
LIST = "graph:beta.directoryRecommendations"
IMPACTED = "graph:beta.directoryRecommendations.impactedResources"
UNAVAILABLE = (
    "Entra recommendations unavailable (need DirectoryRecommendations.Read.All; unused-credential "
    "recommendations need Microsoft Entra Workload ID); credentials Entra reports unused are not marked"
)
# How a credential's key id and last use are spelled inside ``additionalDetails`` (compared
# lower-case without '_' or '-'): Graph documents the field as free key/value pairs.
_KEY_ID = frozenset({"keyid", "credentialid"})
_LAST_ACTIVE = frozenset({"lastactivedate", "lastactivedatetime", "lastsignindatetime", "lastuseddatetime"})


@dataclass(frozen=True)
class UnusedCredential:
    """One credential an open ``staleAppCreds`` recommendation names, as Entra wrote it."""

    key_id: str  # lower-case, as ``Credential.id``
    app_id: str | None  # the impacted resource's ``subjectId`` (the app's appId), lower-case
    recommendation_id: str
    reported_at: str | None  # the recommendation's last check, else when the resource was added
    last_active: str | None


def is_open(record: dict[str, Any]) -> bool:
    return str(record.get("status") or "").lower() == ACTIVE


def is_unused_credentials(recommendation: dict[str, Any]) -> bool:
    return str(recommendation.get("recommendationType") or "").lower() == UNUSED_CREDENTIALS.lower()


def fetch_credential_recommendations(
    graph: GraphReader, log: CoverageLog
) -> tuple[list[dict[str, Any]] | None, dict[str, list[dict[str, Any]]] | None]:
    """The tenant's recommendations, and the impacted resources of each open ``staleAppCreds`` one."""
    listed = log.attempt(
        operation(LIST), TENANT_SCOPE, lambda: graph.list("/beta/directory/recommendations"), unavailable=UNAVAILABLE
    )
    if listed is None:
        log.record(operation(IMPACTED), TENANT_SCOPE, CoverageStatus.SKIPPED, "recommendations were not read")
        return None, None
    wanted = [r for r in listed if is_unused_credentials(r) and is_open(r) and r.get("id")]
    if not wanted:
        log.record(
            operation(IMPACTED),
            TENANT_SCOPE,
            CoverageStatus.OK,
            f"no open {UNUSED_CREDENTIALS} recommendation: Entra reports no unused credential "
            "(or the tenant has no Microsoft Entra Workload ID licence)",
        )
        return listed, {}
    resources: dict[str, list[dict[str, Any]]] = {}
    for rec in wanted:
        rec_id = str(rec["id"])
        got = log.attempt(
            operation(IMPACTED),
            TENANT_SCOPE,
            lambda: graph.list(f"/beta/directory/recommendations/{quote(rec_id, safe='')}/impactedResources"),
            unavailable=UNAVAILABLE,
        )
        if got is not None:
            resources[rec_id] = got
    return listed, resources


def unused_credentials(
    recommendations: list[dict[str, Any]] | None, resources: dict[str, list[dict[str, Any]]] | None
) -> list[UnusedCredential]:
    """Pure: every credential an open ``staleAppCreds`` recommendation names in an open impacted resource."""
    found: list[UnusedCredential] = []
    for rec in recommendations or []:
        if not (is_unused_credentials(rec) and is_open(rec) and rec.get("id")):
            continue
        rec_id = str(rec["id"])
        for resource in (resources or {}).get(rec_id, []):
            if not isinstance(resource, dict) or not is_open(resource):
                continue
            app_id = str(resource.get("subjectId") or "").lower() or None
            reported = rec.get("lastCheckedDateTime") or resource.get("addedDateTime")
            for key_id, last_active in _named_credentials(resource.get("additionalDetails")):
                found.append(
                    UnusedCredential(
                        key_id=key_id,
                        app_id=app_id,
                        recommendation_id=rec_id,
                        reported_at=str(reported) if reported else None,
                        last_active=last_active,
                    )
                )
    return found


def _norm(key: Any) -> str:
    return str(key).lower().replace("_", "").replace("-", "")


def _named_credentials(details: Any) -> list[tuple[str, str | None]]:
    """The ``(key id, last active)`` pairs in an impacted resource's ``additionalDetails``.

    Either a pair whose key is the credential id, or a pair whose value is JSON text holding
    credential records (``key_id``, ``last_active_date`` ...). A resource naming no key id
    names no credential: nothing is attributed by guesswork.
    """
    pairs: list[tuple[str, str | None]] = []
    for item in details if isinstance(details, list) else []:
        if not isinstance(item, dict):
            continue
        key, value = item.get("key"), item.get("value")
        if _norm(key) in _KEY_ID and isinstance(value, str) and value.strip():
            pairs.append((value.strip().lower(), None))
            continue
        for record in _json_records(value):
            fields = {_norm(k): v for k, v in record.items()}
            key_id = next((fields[k] for k in _KEY_ID if isinstance(fields.get(k), str) and fields[k]), None)
            if key_id is None:
                continue
            last = next((fields[k] for k in _LAST_ACTIVE if isinstance(fields.get(k), str) and fields[k]), None)
            pairs.append((key_id.strip().lower(), last))
    return pairs


def _json_records(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, str) or not value.lstrip().startswith(("[", "{")):
        return []
    try:
        parsed = json.loads(value)
    except (ValueError, RecursionError):
        return []
    items = parsed if isinstance(parsed, list) else [parsed]
    return [i for i in items if isinstance(i, dict)]
