"""Local servers that replay the fixture organization in Google's own wire formats.

``GcpHttpServer`` answers the REST-capable clients (Resource Manager, Org Policy) and the
discovery clients (IAM keys and workload identity pools, Policy Analyzer) from
``fixtures/gcp/api/http.json``; ``GcpGrpcServer`` answers ``iam_admin_v1.IAMClient`` from
``grpc.json`` (``ListRoles`` as Google answers it: permissions only in the FULL view, deleted
roles only when asked for). Both record every method called, so a test can hold a full scan to the
read-only verbs. Page tokens, 403s and unknown routes (404) behave as Google's do.
"""

from __future__ import annotations

import json
import threading
from concurrent import futures
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import grpc
from google.cloud.iam_admin_v1.types import iam as T
from google.iam.v1 import iam_policy_pb2, policy_pb2
from google.protobuf import json_format

FIXTURES = Path(__file__).parents[2] / "fixtures" / "gcp"
_IGNORED = {"$alt", "alt", "pageSize", "pageToken", "prettyPrint"}


@dataclass
class CallLog:
    calls: list[str] = field(default_factory=list)  # "GET /v3/folders", "grpc ListServiceAccounts"
    authorization: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, call: str, auth: str | None = None) -> None:
        with self.lock:
            self.calls.append(call)
            if auth:
                self.authorization.add(auth)


class GcpHttpServer:
    def __init__(self, log: CallLog, routes: dict[str, Any] | None = None) -> None:
        self.routes = routes if routes is not None else json.loads((FIXTURES / "api" / "http.json").read_text())
        self.log = log
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                query = dict(parse_qsl(parts.query))
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                server.log.add(f"{self.command} {parts.path}", self.headers.get("Authorization"))
                kept = "&".join(f"{k}={v}" for k, v in sorted(query.items()) if k not in _IGNORED)
                route = server.routes.get(f"{self.command} {parts.path}" + (f"?{kept}" if kept else ""))
                if route is None:
                    self._reply(
                        404,
                        {
                            "error": {
                                "code": 404,
                                "status": "NOT_FOUND",
                                "message": f"no fixture for {self.command} {self.path}",
                            }
                        },
                    )
                elif "status" in route:
                    self._reply(route["status"], route["body"])
                else:
                    page = route["pages"].get(query.get("pageToken", ""))
                    if page is None:
                        self._reply(
                            400, {"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "bad page token"}}
                        )
                    else:
                        self._reply(200, page)

            def _reply(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> GcpHttpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


_GRPC_TYPES = {
    "ListServiceAccounts": (T.ListServiceAccountsRequest.deserialize, T.ListServiceAccountsResponse, lambda r: r.name),
    "ListServiceAccountKeys": (
        T.ListServiceAccountKeysRequest.deserialize,
        T.ListServiceAccountKeysResponse,
        lambda r: r.name,
    ),
    "GetIamPolicy": (iam_policy_pb2.GetIamPolicyRequest.FromString, policy_pb2.Policy, lambda r: r.resource),
    "ListRoles": (T.ListRolesRequest.deserialize, T.ListRolesResponse, lambda r: r.parent),
}


def _as_asked(method: str, request: Any, page: dict[str, Any]) -> dict[str, Any]:
    """What Google sends for this request: ``ListRoles`` gives permissions only in the FULL view
    and deleted roles only with ``show_deleted``."""
    if method != "ListRoles":
        return page
    roles = [r for r in page.get("roles", []) if request.show_deleted or not r.get("deleted")]
    if request.view != T.RoleView.FULL:
        roles = [{k: v for k, v in r.items() if k != "includedPermissions"} for r in roles]
    return {**page, "roles": roles}


def _encode(message_type: Any, data: dict[str, Any]) -> bytes:
    if hasattr(message_type, "from_json"):  # proto-plus
        return message_type.serialize(message_type.from_json(json.dumps(data)))
    return json_format.ParseDict(data, message_type()).SerializeToString()


class _IamHandler(grpc.GenericRpcHandler):
    SERVICE = "/google.iam.admin.v1.IAM/"

    def __init__(self, server: GcpGrpcServer) -> None:
        self.server = server

    def service(self, details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        method = details.method.rsplit("/", 1)[-1]
        self.server.log.add(f"grpc {method}", dict(details.invocation_metadata).get("authorization"))
        if not details.method.startswith(self.SERVICE) or method not in _GRPC_TYPES:
            return None  # UNIMPLEMENTED, and recorded above for the read-only test
        deserialize, response_type, key = _GRPC_TYPES[method]
        table = self.server.responses.get(method, {})

        def handle(request: Any, context: grpc.ServicerContext) -> bytes:
            entry = table.get(key(request))
            if entry is None:
                context.abort(grpc.StatusCode.NOT_FOUND, f"no fixture for {method} {key(request)}")
            if "error" in entry:
                context.abort(getattr(grpc.StatusCode, entry["error"]), "The caller does not have permission")
            page = entry.get(getattr(request, "page_token", "") or "")
            if page is None:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "bad page token")
            return _encode(response_type, _as_asked(method, request, page))

        return grpc.unary_unary_rpc_method_handler(
            handle, request_deserializer=deserialize, response_serializer=lambda b: b
        )


class GcpGrpcServer:
    def __init__(self, log: CallLog, responses: dict[str, Any] | None = None) -> None:
        self.responses = (
            responses if responses is not None else json.loads((FIXTURES / "api" / "grpc.json").read_text())
        )
        self.log = log
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        self.server.add_generic_rpc_handlers((_IamHandler(self),))
        port = self.server.add_insecure_port("127.0.0.1:0")
        self.target = f"127.0.0.1:{port}"

    def __enter__(self) -> GcpGrpcServer:
        self.server.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.stop(grace=None)


def http_routes() -> dict[str, Any]:
    """A fresh copy of the REST routes, for a test that changes an answer."""
    return json.loads((FIXTURES / "api" / "http.json").read_text())


class GcpWire:
    """Both servers, one call log; ``http_routes`` replaces the REST answers."""

    def __init__(self, http_routes: dict[str, Any] | None = None) -> None:
        self.log = CallLog()
        self.http = GcpHttpServer(self.log, http_routes)
        self.grpc = GcpGrpcServer(self.log)

    def __enter__(self) -> GcpWire:
        self.http.__enter__()
        self.grpc.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.grpc.__exit__(*exc)
        self.http.__exit__(*exc)

    def cli_args(self) -> list[str]:
        return ["--api-endpoint", self.http.url, "--grpc-endpoint", self.grpc.target]
