"""AWS estates for the demo, the end-to-end tests and the benchmarks, seeded into moto.

An estate is declared with frozen dataclasses (``EstateSpec``, ``UserSpec``, ``RoleSpec``...;
see ``standing.demo.spec``). ``seed_estate`` creates it through boto3 against a real HTTP
endpoint, moto's ``ThreadedMotoServer`` running in this process, then sets the dates no API
can set (key creation and last use, role last use) on moto's backends, relative to ``now``::

    with start_moto_server() as server:
        seeded = seed_estate(TEST_ESTATE, endpoint_url=server.endpoint_url, now=now)
        ...  # scan server.endpoint_url; compare with TEST_ESTATE.expected_findings()

AWS managed policies in moto
----------------------------
moto ships about 1,580 AWS managed policies but loads them only when asked. It reads the
switch each time it builds (or resets) an account's IAM backend, and it builds the backend
lazily, on that account's first IAM request. The server runs in this process, so the switch
is a process-wide setting, either of:

- ``moto.core.config.default_user_config["iam"]["load_aws_managed_policies"] = True``, or
- the environment variable ``MOTO_IAM_LOAD_MANAGED_POLICIES=true``,

set before the backend exists, or followed by a reset (``POST /moto-api/reset`` rebuilds
the existing backends, then drops them, so the next request builds them afresh). Both work
with ``ThreadedMotoServer`` (verified with moto 5.2.5). The ``/moto-api/config`` endpoint
does not: it ignores the ``iam`` section. ``start_moto_server(aws_managed_policies=...)``
resets moto with loading off, then sets the config entry to the requested value, so each
server starts empty and builds its backends with the requested setting on the first IAM
request; ``stop()`` puts the previous value back. The environment variable, when ``true``,
wins over ``aws_managed_policies=False``. The seeder never turns loading on: an estate that
attaches an AWS managed policy fails early, before creating anything, with
``ManagedPoliciesNotLoaded`` when the server lacks the policy.

Cost, measured on the development machine (2 CPUs): loading adds about 1 s to the first
IAM request, because moto builds one IAM backend per partition (six in 5.2.5), each with all
1,582 policies. The larger cost is on the scanning side: moto's
``GetAccountAuthorizationDetails`` without a filter returns every loaded AWS managed policy,
so each call grows from under 0.1 s to about 2.3 s. The demo's admin roles therefore use the
customer-managed ``AdminEverything`` policy ("*" on "*"); the one role with
``AdministratorAccess`` is opt-in: ``demo_estate(aws_managed_admin_role=True)``.

Other costs: each IAM call through the server takes 7–10 ms (about half in botocore, half
in moto; both hold the GIL, so client threads do not help). Seeding ``DEMO_ESTATE`` takes
about 1 s and ``synthetic_estate(1000)`` (about 2,850 calls) 20–30 s; seed once, scan many
times. ``stop()`` takes 0.5 s, the poll interval of werkzeug's server loop.

An estate whose ``account_id`` is not moto's default (123456789012) is created in that
moto account: the seeder's calls carry the header ``x-moto-account-id``
(``iam_client(endpoint, account_id=...)`` does the same for a reader); a scanner can also
reach it through ``sts:AssumeRole`` into a role ARN of that account.

moto keeps one set of backends per process, shared by every server and by ``mock_aws``; do
not run two estates in one process at the same time.
"""

from __future__ import annotations

from standing.demo.catalogue import DEMO_ESTATE, TEST_ESTATE, demo_estate, synthetic_estate
from standing.demo.seeder import (
    ManagedPoliciesNotLoaded,
    MotoServer,
    NotInProcess,
    SeededEstate,
    SeededKey,
    iam_client,
    seed_estate,
    start_moto_server,
)
from standing.demo.spec import (
    EstateSpec,
    FunctionSpec,
    GroupSpec,
    InstanceSpec,
    KeySpec,
    OidcProviderSpec,
    PolicySpec,
    RoleSpec,
    RuleId,
    UserSpec,
    expected_key_rules,
)

__all__ = [
    "DEMO_ESTATE",
    "TEST_ESTATE",
    "EstateSpec",
    "FunctionSpec",
    "GroupSpec",
    "InstanceSpec",
    "KeySpec",
    "ManagedPoliciesNotLoaded",
    "MotoServer",
    "NotInProcess",
    "OidcProviderSpec",
    "PolicySpec",
    "RoleSpec",
    "RuleId",
    "SeededEstate",
    "SeededKey",
    "UserSpec",
    "demo_estate",
    "expected_key_rules",
    "iam_client",
    "seed_estate",
    "start_moto_server",
    "synthetic_estate",
]
