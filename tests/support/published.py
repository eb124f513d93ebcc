"""The providers' own published example responses (``fixtures/published``), served to the real clients.

Each fixture is ``{"provenance": {...}, "response": <the published body>}``: where the body
was published (repository, path, commit, which example; or, for an example only a
documentation page carries, the page and the day it was read) and the body itself, unchanged.

``PublishedAzureWire`` answers ARM and Graph requests from a table of path -> body, with
two replay rules, because a published example is one page cut out of a conversation:

- the service roots a body names in its links (``https://serviceRoot``, the real ARM and
  Graph hosts) stand for this server, so a ``nextLink`` comes back here; a ``nextLink`` of
  ``...`` (the specifications' placeholder) stands for "the next page of this list"
  (``resolve_placeholders=False`` serves it as it is);
- the page behind a published ``nextLink`` was never published: it is answered as an
  empty page, which ends the paging where the example ends.

Anything else unrouted is a 404 in ARM's / Graph's error format, like ``azure_wire``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.azure_wire import RESOURCE_GRAPH, AzureWire, Call, _error

PUBLISHED = Path(__file__).parents[2] / "fixtures" / "published"
SERVICE_ROOTS = ("https://serviceRoot", "https://management.azure.com", "https://graph.microsoft.com")
PROVENANCE_KEYS = ("repository", "path", "commit", "url", "example_of", "replayed_as")
# An example published on a provider's documentation page (no repository holds it): the page and the day it was read.
PAGE_KEYS = ("page", "read_at", "example_of", "replayed_as")
DOCUMENTATION = ("https://docs.cloud.google.com/", "https://cloud.google.com/")


@dataclass(frozen=True)
class Published:
    provenance: dict[str, str]
    response: Any


def load(provider: str, name: str) -> Published:
    data = json.loads((PUBLISHED / provider / f"{name}.json").read_text())
    return Published(provenance=data["provenance"], response=data["response"])


def body(provider: str, name: str) -> Any:
    return load(provider, name).response


def all_fixtures() -> list[Path]:
    return sorted(PUBLISHED.glob("*/*.json"))


def provenance_problems(data: Any) -> list[str]:
    """What a fixture lacks to say where its body was published (empty: nothing)."""
    if not isinstance(data, dict) or set(data) != {"provenance", "response"}:
        return ["not {provenance, response}"]
    prov = data["provenance"]
    if "page" in prov:
        problems = [f"no {k}" for k in PAGE_KEYS if not (isinstance(prov.get(k), str) and prov[k])]
        if not str(prov.get("page", "")).startswith(DOCUMENTATION):
            problems.append("page is not the provider's documentation")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(prov.get("read_at", ""))):
            problems.append("read_at is not a date")
        return problems
    problems = [f"no {k}" for k in PROVENANCE_KEYS if not (isinstance(prov.get(k), str) and prov[k])]
    if not re.fullmatch(r"[0-9a-f]{40}", str(prov.get("commit", ""))):
        problems.append("commit is not a 40-hex git commit")
    if prov.get("url") != f"https://github.com/{prov.get('repository')}/blob/{prov.get('commit')}/{prov.get('path')}":
        problems.append("url does not name the repository, commit and path")
    return problems


@dataclass
class PublishedAzureWire(AzureWire):
    """``routes``: request path (any case) -> the JSON body to answer with."""

    routes: dict[str, Any] = field(default_factory=dict)
    resolve_placeholders: bool = True
    _links: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.routes = {k.lower(): v for k, v in self.routes.items()}

    def _serve(self, path: str, value: Any) -> Any:
        if self.resolve_placeholders and isinstance(value, dict) and value.get("nextLink") == "...":
            value = {**value, "nextLink": f"{self.base_url}{path}?$skiptoken=placeholder"}
        text = json.dumps(value)
        for root in SERVICE_ROOTS:
            text = text.replace(root, self.base_url)
        served = json.loads(text)
        if isinstance(served, dict):
            for key in ("nextLink", "@odata.nextLink"):
                link = served.get(key)
                if isinstance(link, str) and link:
                    self._links.add(("/" + urlsplit(link).path.lstrip("/")).lower())
        return served

    def answer(
        self, method: str, raw_path: str, authorization: str | None, body: dict | None = None
    ) -> tuple[int, dict, dict]:
        parts = urlsplit(raw_path)
        path = parts.path.rstrip("/") or "/"
        with self._lock:
            self.calls.append(Call(method, path, parts.query, authorization))
        if authorization != f"Bearer {self.token}":
            return 401, {}, _error("InvalidAuthenticationToken", "missing or wrong bearer token")
        if method != "GET" and not (method == "POST" and path.lower() == RESOURCE_GRAPH):
            return 405, {}, _error("MethodNotAllowed", f"{method} is not served here")
        query = {k.lower() for k in parse_qs(parts.query)}
        if path.lower() in self._links and ("$skiptoken" in query or path.lower() not in self.routes):
            return 200, {}, {"value": []}
        if path.lower() not in self.routes:
            return 404, {}, _error("NotFound", f"no fixture for {path}")
        return 200, {}, self._serve(path, self.routes[path.lower()])
