"""A loopback HTTP server that answers ARM and Microsoft Graph requests from ``fixtures/azure/wire``.

The real SDK clients (management clients, azure-core's pipeline for Graph) are pointed at
it. A request's path names its fixture file (matched case-insensitively, as ARM matches
ids); a ``$skiptoken`` selects a later page (``<path>@<token>.json``). The one ``POST`` served
is Resource Graph's query, whose ``$skipToken`` travels in the body's ``options``. ``{base}`` in a
fixture becomes this server's URL, so ``nextLink`` / ``@odata.nextLink`` come back here.
Every request is recorded; faults are answered in ARM's and Graph's own error format: a
403 for paths under a forbidden prefix, a 429 with ``Retry-After`` for the first N
requests to a path.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

RESOURCE_GRAPH = "/providers/microsoft.resourcegraph/resources"
FIXTURES = Path(__file__).parents[2] / "fixtures" / "azure"
TENANT = json.loads((FIXTURES / "tenant.json").read_text())


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    query: str
    authorization: str | None


@dataclass
class Throttle:
    path: str
    times: int
    retry_after: str


@dataclass
class AzureWire:
    token: str
    forbidden_prefixes: list[str] = field(default_factory=list)
    throttles: list[Throttle] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    base_url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _index: dict[str, Path] = field(default_factory=dict)

    def __post_init__(self) -> None:
        wire = FIXTURES / "wire"
        for path in wire.rglob("*.json"):
            key = "/" + str(path.relative_to(wire))[: -len(".json")]
            self._index[key.lower()] = path

    def answer(
        self, method: str, raw_path: str, authorization: str | None, body: dict | None = None
    ) -> tuple[int, dict, dict]:
        parts = urlsplit(raw_path)
        path = parts.path.rstrip("/") or "/"
        with self._lock:
            self.calls.append(Call(method, path, parts.query, authorization))
            throttle = next((t for t in self.throttles if t.path.lower() == path.lower() and t.times > 0), None)
            if throttle is not None:
                throttle.times -= 1
        if authorization != f"Bearer {self.token}":
            return 401, {}, _error("InvalidAuthenticationToken", "missing or wrong bearer token")
        resource_graph = method == "POST" and path.lower() == RESOURCE_GRAPH
        if method != "GET" and not resource_graph:
            return 405, {}, _error("MethodNotAllowed", f"{method} is not served here")
        if any(path.lower().startswith(p.lower()) for p in self.forbidden_prefixes):
            return (
                403,
                {},
                _error(
                    "AuthorizationFailed",
                    f"The client does not have authorization to perform action over scope '{path}'.",
                ),
            )
        if throttle is not None:
            return 429, {"Retry-After": throttle.retry_after}, _error("TooManyRequests", "slow down")
        token = parse_qs(parts.query).get("$skiptoken", [None])[0]
        if resource_graph:
            token = ((body or {}).get("options") or {}).get("$skipToken")
        fixture = self._index.get((f"{path}@{token}" if token else path).lower())
        if fixture is None:
            return 404, {}, _error("NotFound", f"no fixture for {path}")
        return 200, {}, json.loads(fixture.read_text().replace("{base}", self.base_url))

    def paths(self) -> list[str]:
        return [c.path for c in self.calls]


def _error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


class _Handler(BaseHTTPRequestHandler):
    wire: AzureWire

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        sent = json.loads(self.rfile.read(length) or b"null") if length else None
        status, headers, body = self.wire.answer(self.command, self.path, self.headers.get("Authorization"), sent)
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


class AzureWireServer:
    """``with AzureWireServer(wire) as url:`` serves ``wire`` on 127.0.0.1 at a free port."""

    def __init__(self, wire: AzureWire) -> None:
        handler = type("Handler", (_Handler,), {"wire": wire})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        wire.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.wire = wire
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return self.wire.base_url

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def fixture_wire(token: str, *, retry_after: str = "0", throttled_path: str = "/v1.0/applications") -> AzureWire:
    """The fixture tenant: subscription 'restricted' answers 403, one Graph list answers 429 once."""
    return AzureWire(
        token=token,
        forbidden_prefixes=[TENANT["forbidden_prefix"]],
        throttles=[Throttle(throttled_path, 1, retry_after)],
    )
