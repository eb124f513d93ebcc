"""Azure SDK clients for the collector: credentials, transport, authentication and the read guard.

Production talks to ``https`` endpoints with azure-core's own bearer-token policies, which
refuse to send a token over plain ``http``. An ``http`` endpoint is accepted only on a
loopback address (an emulator or a test server on this machine) and only with the static
test token (``STANDING_AZURE_TEST_TOKEN``), never a real credential; there, and only there,
a policy that checks every request's host stays loopback sets the token header itself.
Every client carries a guard that refuses any request that is not a declared read
(``operations.py``): a bug that would write fails loudly instead of reaching Azure.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

from azure.core import PipelineClient
from azure.core.credentials import AccessToken, TokenCredential
from azure.core.exceptions import HttpResponseError, ODataV4Format, ServiceRequestError
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import (
    BearerTokenCredentialPolicy,
    HeadersPolicy,
    RetryPolicy,
    SansIOHTTPPolicy,
    UserAgentPolicy,
)
from azure.core.rest import HttpRequest, HttpResponse

import standing
from standing.collectors.azure.operations import declared
from standing.core.errors import UserError
from standing.core.loopback import is_loopback

if TYPE_CHECKING:  # azure-core's public module exports it through an untyped __getattr__ (mypy: Any)
    from azure.core.pipeline.transport._requests_basic import RequestsTransport
else:
    from azure.core.pipeline.transport import RequestsTransport

ARM_ENDPOINT = "https://management.azure.com"
GRAPH_ENDPOINT = "https://graph.microsoft.com"
TEST_TOKEN_ENV = "STANDING_AZURE_TEST_TOKEN"
_QUERY_SAFE = "$,()'"  # OData punctuation stays readable; spaces become %20


@dataclass(frozen=True, kw_only=True)
class AzureScanOptions:
    auth: str = "default"
    tenant_id: str | None = None
    client_id: str | None = None
    arm_endpoint: str = ARM_ENDPOINT
    graph_endpoint: str = GRAPH_ENDPOINT
    subscriptions: tuple[str, ...] = field(default=())
    max_workers: int = 8
    sign_in_activity: bool = True


class UndeclaredRequestError(RuntimeError):
    """The collector tried a request that is not a declared read: a bug, never sent."""


class StaticTokenCredential:
    """A fixed bearer token, for tests and emulators only (``STANDING_AZURE_TEST_TOKEN``)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + 3600)


def check_endpoint(name: str, url: str) -> str:
    """An https endpoint, or an http one on loopback; anything else is the user's to fix."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url.rstrip("/")
    if parts.scheme == "http" and is_loopback(url):
        return url.rstrip("/")
    raise UserError(name, f"{url!r} must be an https URL (plain http is accepted only on loopback)")


def make_credential(options: AzureScanOptions, environ: dict[str, str] | None = None) -> TokenCredential:
    """The scanner's own credential: keyless where it can be (managed or workload identity)."""
    env = os.environ if environ is None else environ
    test_token = env.get(TEST_TOKEN_ENV)
    if test_token:
        if not (is_loopback(options.arm_endpoint) and is_loopback(options.graph_endpoint)):
            raise UserError(TEST_TOKEN_ENV, "a test token is only accepted with loopback endpoints")
        return StaticTokenCredential(test_token)
    from azure import identity

    kw: dict[str, Any] = {}
    if options.auth == "managed-identity":
        return (
            identity.ManagedIdentityCredential(client_id=options.client_id)
            if options.client_id
            else identity.ManagedIdentityCredential()
        )
    if options.auth == "workload-identity":
        if options.tenant_id:
            kw["tenant_id"] = options.tenant_id
        if options.client_id:
            kw["client_id"] = options.client_id
        try:
            return identity.WorkloadIdentityCredential(**kw)
        except ValueError as err:
            raise UserError("workload identity", str(err)) from err
    if options.auth == "cli":
        return (
            identity.AzureCliCredential(tenant_id=options.tenant_id)
            if options.tenant_id
            else identity.AzureCliCredential()
        )
    if options.auth == "environment":
        return identity.EnvironmentCredential()
    if options.client_id:
        kw["managed_identity_client_id"] = options.client_id
        kw["workload_identity_client_id"] = options.client_id
    if options.tenant_id:
        kw["workload_identity_tenant_id"] = options.tenant_id
    return identity.DefaultAzureCredential(**kw)


class LoopbackBearerPolicy(SansIOHTTPPolicy[HttpRequest, HttpResponse]):
    """Sets the bearer token on requests to a loopback address and refuses any other host.

    azure-core's own policies refuse plain http; an emulator on this machine speaks only
    http. This policy never sends a token off the machine, so it cannot weaken production,
    which never uses it (``https`` endpoints keep azure-core's policies).
    """

    def __init__(self, credential: TokenCredential, scope: str) -> None:
        self._credential = credential
        self._scope = scope

    def on_request(self, request: PipelineRequest[HttpRequest]) -> None:
        if not is_loopback(request.http_request.url):
            raise ServiceRequestError(f"refusing to send a token to {urlsplit(request.http_request.url).hostname}")
        token = self._credential.get_token(self._scope).token
        request.http_request.headers["Authorization"] = f"Bearer {token}"


def guard_request(request: PipelineRequest[HttpRequest]) -> None:
    http = request.http_request
    path = urlsplit(http.url).path
    if declared(http.method, path) is None:
        raise UndeclaredRequestError(f"{http.method} {path} is not a declared read-only Azure call")


class ReadOnlyGuardPolicy(SansIOHTTPPolicy[HttpRequest, HttpResponse]):
    def on_request(self, request: PipelineRequest[HttpRequest]) -> None:
        guard_request(request)


def make_transport(sleep: Callable[[float], None]) -> RequestsTransport:
    """azure-core's requests transport; retry waits (Retry-After, back-off) go through ``sleep``."""

    class _Transport(RequestsTransport):
        def sleep(self, duration: float) -> None:
            sleep(duration)

    return _Transport()


@dataclass
class ClientFactory:
    """Builds the real SDK clients with the scan's credential, endpoints, guard and transport."""

    credential: TokenCredential
    options: AzureScanOptions
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        # A real Azure token never travels over plain http, not even to this machine.
        for flag, url in (
            ("--arm-endpoint", self.options.arm_endpoint),
            ("--graph-endpoint", self.options.graph_endpoint),
        ):
            if url.startswith("http://") and not isinstance(self.credential, StaticTokenCredential):
                raise UserError(
                    flag,
                    f"{url} is plain http: it takes only the test token ({TEST_TOKEN_ENV}), never a real credential",
                )

    def _arm_kwargs(self) -> dict[str, Any]:
        base = self.options.arm_endpoint
        scope = f"{ARM_ENDPOINT if base.startswith('http://') else base}/.default"
        kwargs: dict[str, Any] = {
            "base_url": base,
            "credential_scopes": [scope],
            "transport": make_transport(self.sleep),
            "raw_request_hook": guard_request,
        }
        if base.startswith("http://"):
            kwargs["authentication_policy"] = LoopbackBearerPolicy(self.credential, scope)
        return kwargs

    def subscriptions(self) -> Any:
        from azure.mgmt.resource.subscriptions import SubscriptionClient

        return SubscriptionClient(self.credential, **self._arm_kwargs())

    def management_groups(self) -> Any:
        from azure.mgmt.managementgroups import ManagementGroupsMgmtClient

        return ManagementGroupsMgmtClient(self.credential, **self._arm_kwargs())

    def authorization(self, subscription_id: str) -> Any:
        from azure.mgmt.authorization import AuthorizationManagementClient

        return AuthorizationManagementClient(self.credential, subscription_id, **self._arm_kwargs())

    def msi(self, subscription_id: str) -> Any:
        from azure.mgmt.msi import ManagedServiceIdentityClient

        return ManagedServiceIdentityClient(self.credential, subscription_id, **self._arm_kwargs())

    def resource_graph(self) -> Any:
        from azure.mgmt.resourcegraph import ResourceGraphClient

        return ResourceGraphClient(self.credential, **self._arm_kwargs())

    def graph(self, *, connect_retries: int = 3) -> GraphReader:
        """``connect_retries``: the first call retries a refused connection once, at once, then
        reports it; later calls ride out blips with azure-core's back-off."""
        base = self.options.graph_endpoint
        scope = f"{GRAPH_ENDPOINT if base.startswith('http://') else base}/.default"
        auth: SansIOHTTPPolicy[HttpRequest, HttpResponse] | BearerTokenCredentialPolicy[HttpRequest, HttpResponse]
        if base.startswith("http://"):
            auth = LoopbackBearerPolicy(self.credential, scope)
        else:
            auth = BearerTokenCredentialPolicy(self.credential, scope)
        client: PipelineClient[HttpRequest, HttpResponse] = PipelineClient(
            base_url=base,
            policies=[
                HeadersPolicy(),
                UserAgentPolicy(f"standing/{standing.__version__}"),
                RetryPolicy(retry_connect=connect_retries),
                auth,
                ReadOnlyGuardPolicy(),
            ],
            transport=make_transport(self.sleep),
        )
        return GraphReader(client, base)


class GraphReader:
    """Paged GETs on Microsoft Graph through azure-core; follows ``@odata.nextLink``.

    A next link pointing at another host is refused: the bearer token goes only where the
    scan was pointed.
    """

    def __init__(self, client: PipelineClient[HttpRequest, HttpResponse], base: str) -> None:
        self._client = client
        self._netloc = urlsplit(base).netloc

    def list(self, path: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
        url = self._client.format_url(path)
        if params:
            url = f"{url}?{urlencode(params, safe=_QUERY_SAFE, quote_via=quote)}"
        items: list[dict[str, Any]] = []
        while url:
            response = self._client.send_request(HttpRequest("GET", url))
            if response.status_code >= 400:
                # Graph errors are OData v4 ({"error": {"code", "message"}}): keep code and message.
                raise HttpResponseError(response=response, error_format=ODataV4Format)
            body = response.json()
            items.extend(body.get("value", []))
            url = body.get("@odata.nextLink")
            if url and urlsplit(url).netloc != self._netloc:
                raise HttpResponseError(message=f"next link leaves {self._netloc}: {urlsplit(url).netloc}")
        return items

    def close(self) -> None:
        self._client.close()
