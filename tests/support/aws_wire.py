"""A loopback HTTP proxy in front of moto's server that records and can fail AWS calls.

It sits where AWS would: the scanner talks to it through ``--endpoint-url``. Every request
is named by its service (from the SigV4 credential scope) and operation (``Action=`` for
query-protocol services such as IAM and STS, ``X-Amz-Target`` for JSON ones such as
Organizations), so a test sees exactly what went over the wire. Faults are answered in the
providers' own error formats, so botocore parses them as it would AWS's.
"""

from __future__ import annotations

import functools
import http.client
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import botocore.exceptions
import botocore.session

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")


@dataclass(frozen=True)
class Fault:
    """Answer matching calls with an AWS error, ``times`` times (None: always)."""

    service: str
    operation: str
    code: str
    status: int = 403
    times: int | None = None
    body_contains: str | None = None  # e.g. an account id inside an AssumeRole RoleArn


@dataclass(frozen=True)
class Answer:
    """Answer matching calls with ``body`` (in the service's own wire format), for an API moto
    lacks. ``operation`` is the Action / X-Amz-Target name, or for REST services (EKS) a
    regular expression the request path must match in full."""

    service: str
    operation: str
    body: str
    content_type: str = "application/x-amz-json-1.1"
    rest_path: bool = False


@dataclass
class WireLog:
    calls: list[tuple[str, str]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    _served: dict[int, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fault_for(self, service: str, operation: str, body: str) -> Fault | None:
        with self._lock:
            self.calls.append((service, operation))
            for index, fault in enumerate(self.faults):
                if (fault.service, fault.operation) != (service, operation):
                    continue
                if fault.body_contains and fault.body_contains not in body:
                    continue
                if fault.times is not None and self._served.get(index, 0) >= fault.times:
                    continue
                self._served[index] = self._served.get(index, 0) + 1
                return fault
        return None

    def answer_for(self, service: str, operation: str, path: str) -> Answer | None:
        for answer in self.answers:
            if answer.service != service:
                continue
            if (
                re.fullmatch(answer.operation, urlsplit(path).path)
                if answer.rest_path
                else answer.operation == operation
            ):
                return answer
        return None


def _operation(headers, body: str, service: str = "?", method: str = "POST", path: str = "/") -> str:
    target = headers.get("X-Amz-Target")
    if target:
        return target.rsplit(".", 1)[-1]
    rpc = re.search(r"/operation/(\w+)$", urlsplit(path).path)  # smithy RPC v2 (CodeBuild's CBOR)
    if rpc:
        return rpc.group(1)
    action = parse_qs(body).get("Action")
    if action:
        return action[0]
    return _rest_operation(service, method, urlsplit(path).path)


@functools.lru_cache(maxsize=16)
def _rest_routes(service: str) -> tuple[tuple[str, re.Pattern[str], str], ...]:
    """(method, path pattern, operation) from botocore's model of a REST service (Lambda, EKS)."""
    try:
        # the SigV4 scope gives the signing name: access-analyzer is botocore's accessanalyzer
        model = botocore.session.get_session().get_service_model(service.replace("-", ""))
    except botocore.exceptions.UnknownServiceError:
        return ()
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        uri = http.get("requestUri", "/").split("?")[0]
        # re.escape turns a {label} of the template into \{label\}: any one path segment.
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(uri))
        routes.append((http.get("method", "POST"), re.compile(pattern.rstrip("/") + "/?"), name))
    # Longer templates first, so /clusters/X/things/Y is not taken for /clusters/X/things.
    return tuple(sorted(routes, key=lambda r: -len(r[1].pattern)))


def _rest_operation(service: str, method: str, path: str) -> str:
    for route_method, pattern, name in _rest_routes(service):
        if route_method == method and pattern.fullmatch(path):
            return name
    return "?"


def _error_body(fault: Fault, json_protocol: bool) -> tuple[bytes, str]:
    message = f"injected by the test proxy: {fault.code}"
    if json_protocol:
        return (f'{{"__type": "{fault.code}", "message": "{message}"}}'.encode(), "application/x-amz-json-1.1")
    xml = (
        "<ErrorResponse><Error><Type>Sender</Type>"
        f"<Code>{fault.code}</Code><Message>{message}</Message></Error>"
        "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
    )
    return xml.encode(), "text/xml"


class AwsWireProxy:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname, parts.port)
        self.log = WireLog()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = raw.decode("utf-8", "replace")
                scope = _SCOPE.search(self.headers.get("Authorization", ""))
                service = scope.group(1) if scope else "?"
                operation = _operation(self.headers, body, service, self.command, self.path)
                fault = proxy.log.fault_for(service, operation, body)
                answer = None if fault else proxy.log.answer_for(service, operation, self.path)
                if answer is not None:
                    self._send(200, answer.body.encode(), answer.content_type)
                    return
                if fault is not None:
                    payload, ctype = _error_body(fault, "X-Amz-Target" in self.headers)
                    self.send_response(fault.status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                conn = http.client.HTTPConnection(*proxy.upstream, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                conn.request(self.command, self.path, body=raw, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                conn.close()

            def _send(self, status: int, payload: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _relay

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.endpoint_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> AwsWireProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
